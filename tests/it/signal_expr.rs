//! One signal expression through the whole pipeline, as `vixshield signal`
//! runs it: parse and check (`check_expr`), compile (`compile_expr`),
//! evaluate over the bundled market (`MarketValues::compute`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::HashMap;

use chrono::NaiveDate;
use vixshield::check::expr::Ty;
use vixshield::check::{self, Env};
use vixshield::compile::compile_expr;
use vixshield::diag::Code;
use vixshield::eval::MarketValues;
use vixshield::market::{Calendar, Market};
use vixshield::source::SourceFile;

/// `(date, value)` on every bar of the bundled market.
fn evaluate(text: &str) -> (Ty, Vec<(NaiveDate, Option<f64>)>) {
    let src = SourceFile::new("<expr>", text);
    let check::CheckedExpr { expr, ty, .. } = check::check_expr(&src, &Env::default())
        .unwrap_or_else(|d| panic!("`{text}` does not check: {d:?}"));
    let (graph, id) = compile_expr(&expr, None, &[], &[]).expect("compiles");
    let market = Market::bundled().expect("bundled market");
    let calendar = Calendar::bundled().expect("bundled calendar");
    let values = MarketValues::compute(&graph, &market, &calendar, None).expect("evaluates");
    let rows = values
        .dates()
        .iter()
        .enumerate()
        .map(|(bar, d)| (*d, values.value_at(id, bar)))
        .collect();
    (ty, rows)
}

#[test]
fn rsi_through_the_pipeline_equals_talib() {
    let (ty, rows) = evaluate("rsi(vix, 14)");
    assert_eq!(ty, Ty::Num);
    assert_eq!(rows.len(), 9_235);
    let ours: HashMap<NaiveDate, Option<f64>> = rows.into_iter().collect();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/talib/rsi_14.csv"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let (date, value) = line.split_once(',').expect("date,value");
        let date: NaiveDate = date.parse().expect("a date");
        let expected = (!value.is_empty()).then(|| value.parse::<f64>().expect("a number"));
        let got = *ours
            .get(&date)
            .unwrap_or_else(|| panic!("{date} is no bar"));
        match (got, expected) {
            (None, None) => {}
            (Some(g), Some(e)) => assert!((g - e).abs() <= 1e-9, "{date}: {g} vs TA-Lib {e}"),
            _ => panic!("{date}: got {got:?}, TA-Lib {expected:?}"),
        }
        checked += 1;
    }
    assert!(checked > 1_000, "{checked} fixture rows");
}

#[test]
fn conditions_are_ones_and_zeros_and_unknown_where_unknown() {
    let (ty, rows) = evaluate("vix > 40 and within 1d of FOMC");
    assert_eq!(ty, Ty::Bool);
    let at = |d: &str| {
        let d: NaiveDate = d.parse().expect("date");
        rows.iter().find(|r| r.0 == d).expect("a bar").1
    };
    assert_eq!(at("2008-10-27"), Some(0.0)); // FOMC on 10-29: 2 days, vix 80.06
    assert_eq!(at("2008-10-28"), Some(1.0)); // 1 day, vix 66.96
    assert_eq!(at("2008-10-29"), Some(1.0)); // the day itself
    assert_eq!(at("2018-03-20"), Some(0.0)); // FOMC tomorrow, but vix 18.2
    // After the last known CPI release, `within` is unknown; `and` with a
    // false side is still false, with a true side unknown.
    let (_, rows) = evaluate("within 1d of CPI");
    let last = rows.last().expect("bars");
    assert_eq!(last.1, None, "{}: CPI dates end in June 2026", last.0);
    let (_, rows) = evaluate("within 1d of FOMC");
    let last = rows.last().expect("bars");
    assert_eq!(last.1, Some(0.0), "{}: FOMC dates go on to 2027", last.0);
    let (_, rows) = evaluate("ratio(vix, vix3m)");
    assert_eq!(rows[0].1, None, "no VIX3M in 1990");
}

#[test]
fn an_unknown_function_is_e0201_at_its_name() {
    let src = SourceFile::new("<expr>", "rsii(vix, 14) > 70");
    let diags = check::check_expr(&src, &Env::default()).expect_err("an error");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::UnknownFunction);
    assert_eq!(diags[0].span.range(), 0..4);
    let shown = vixshield::diag::render_human(&src, &diags, false);
    assert!(
        shown.contains("error[E0201]: unknown signal function `rsii`"),
        "{shown}"
    );
    assert!(
        shown.contains("^^^^ no built-in or plugin has this name"),
        "{shown}"
    );
    assert!(shown.contains("did you mean `rsi`?"), "{shown}");
}

#[test]
fn every_problem_of_an_expression_is_reported() {
    for (text, code) in [
        ("rsi(vix)", Code::WrongArity),
        ("vixx", Code::UnknownName),
        ("theta_press", Code::UnknownName),
        ("rsi(vix, 14) + (vix > 2)", Code::TypeMismatch),
        ("within 1d of NFP", Code::UnknownEvent),
        ("$100 + vix", Code::UnitMismatch),
        ("rsi(vix, 0)", Code::NotPositive),
        ("rsi(vix,", Code::Syntax),
    ] {
        let src = SourceFile::new("<expr>", text);
        let diags = check::check_expr(&src, &Env::default()).expect_err(text);
        assert!(diags.iter().any(|d| d.code == code), "{text}: {diags:?}");
    }
}

#[test]
fn a_strategy_brings_its_signals_and_params() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/strategies/spx-mastery.vxs");
    let file = SourceFile::from_bytes(path, &std::fs::read(path).expect("strategy"));
    let checked = check::check_source(&file, &Env::default());
    let strategy = checked.strategy.expect("checks");
    let src = SourceFile::new("<expr>", "theta_press and not (vix > 40)");
    let check::CheckedExpr {
        expr, ty, warnings, ..
    } = check::check_expr_with(&src, &Env::default(), &checked.ast).expect("checks");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(ty, Ty::Bool);
    let (graph, id) = compile_expr(&expr, Some(&strategy), &[], &[]).expect("compiles");
    let market = Market::bundled().expect("market");
    let calendar = Calendar::bundled().expect("calendar");
    let values = MarketValues::compute(&graph, &market, &calendar, None).expect("evaluates");
    // Same as the definition written out.
    let (_, direct) = evaluate("vix < ema(vix, 10) and ratio(vix, vix3m) < 0.9 and not (vix > 40)");
    for (bar, (_, v)) in direct.iter().enumerate() {
        assert_eq!(values.value_at(id, bar), *v, "bar {bar}");
    }
}

/// A strategy's market values are computed for what its decisions read: a
/// signal nothing uses gets no column (a file of 40,000 unused signals made
/// `backtest` fill gigabytes), while the signals a trigger reads, and the
/// nodes under them, do. Identical market nodes are one node.
#[test]
fn only_the_signals_decisions_read_are_computed() {
    use vixshield::compile::compile;
    use vixshield::graph::Node;

    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/spx-mastery.vxs"
    ))
    .expect("strategy");
    let text = format!(
        "{base}\nsignal unused_a = rsi(vix, 14) > 71\nsignal unused_b = vix < 0.0\nsignal unused_c = vix < 0\n"
    );
    let src = SourceFile::new("unused.vxs", text.as_str());
    let strategy = check::check_source(&src, &Env::default())
        .strategy
        .expect("checks");
    let compiled = compile(&strategy, &[]).expect("compiles");
    let graph = &compiled.graph;
    let signal = |name: &str| {
        graph
            .nodes
            .iter()
            .position(|n| matches!(n, Node::Signal { name: s, .. } if s == name))
            .map(|i| vixshield::graph::NodeId(i as u32))
            .unwrap_or_else(|| panic!("no signal `{name}`"))
    };
    // `vix < 0.0` and `vix < 0` are the same comparison: one node.
    let value_of = |id| match graph.node(id) {
        Some(Node::Signal { value, .. }) => *value,
        other => panic!("not a signal: {other:?}"),
    };
    assert_eq!(value_of(signal("unused_b")), value_of(signal("unused_c")));

    let market = Market::bundled().expect("bundled market");
    let calendar = Calendar::bundled().expect("bundled calendar");
    let values = MarketValues::compute(graph, &market, &calendar, None).expect("evaluates");
    for unused in ["unused_a", "unused_b", "unused_c"] {
        assert!(values.column(signal(unused)).is_none(), "{unused} computed");
    }
    // `theta_press` feeds spx-mastery's roll override.
    let used = signal("theta_press");
    assert!(values.column(used).is_some(), "a used signal not computed");
    assert!(
        (0..values.dates().len()).any(|bar| values.value_at(used, bar).is_some()),
        "a used signal has no value on any bar"
    );
    // Asked for by name, an unused signal is computed.
    let alone = MarketValues::compute_for(graph, &[signal("unused_a")], &market, &calendar, None)
        .expect("evaluates");
    assert!(alone.column(signal("unused_a")).is_some());
    assert!(alone.column(used).is_none());
}

/// `Graph::add` shares a market node identical to one already added, and
/// only then, and never a decision node. Its `f64`s are compared bit for
/// bit, not with `==`: `0.0` and `-0.0` are two nodes (a plugin can tell
/// them apart with `copysign`, so one column for both would be wrong), and
/// a NaN is the same node as a NaN of the same bits.
#[test]
fn identical_market_nodes_are_one_node() {
    use vixshield::graph::{Graph, Input, Node};

    let mut g = Graph::default();
    let vix = g.add(Node::Series("vix".into()));
    assert_eq!(g.add(Node::Series("vix".into())), vix);
    assert_ne!(g.add(Node::Series("vix3m".into())), vix);
    let zero = g.add(Node::Const(0.0));
    assert_eq!(g.add(Node::Const(0.0)), zero);
    let minus_zero = g.add(Node::Const(-0.0));
    assert_ne!(minus_zero, zero);
    assert_eq!(g.add(Node::Const(-0.0)), minus_zero);
    let nan = g.add(Node::Const(f64::NAN));
    assert_eq!(g.add(Node::Const(f64::NAN)), nan);
    assert_ne!(g.add(Node::Const(-f64::NAN)), nan);
    // The same for a plugin's params.
    let plugin = |params: Vec<f64>| Node::Plugin {
        name: "p".into(),
        args: vec![vix],
        params,
    };
    let p0 = g.add(plugin(vec![1.0, 0.0]));
    assert_eq!(g.add(plugin(vec![1.0, 0.0])), p0);
    assert_ne!(g.add(plugin(vec![1.0, -0.0])), p0);
    assert_ne!(g.add(plugin(vec![1.0])), p0);
    let not = g.add(Node::Not(vix));
    assert_eq!(g.add(Node::Not(vix)), not);
    assert_ne!(g.add(Node::Neg(vix)), not);
    let step = g.add(Node::Input(Input::Step));
    assert_ne!(g.add(Node::Input(Input::Step)), step);
    let n = g.nodes.len();
    // Many distinct nodes, then each again: every second add is shared.
    let ids: Vec<_> = (0..1000)
        .map(|i| g.add(Node::Const(f64::from(i) + 0.5)))
        .collect();
    let again: Vec<_> = (0..1000)
        .map(|i| g.add(Node::Const(f64::from(i) + 0.5)))
        .collect();
    assert_eq!(ids, again);
    assert_eq!(g.nodes.len(), n + 1000);
}

/// `compile::f64_of` of the decimal `text` and Rust's parse of it: the same
/// `f64` (bits compared, so the sign of a zero counts too).
fn assert_nearest(text: &str) {
    use std::str::FromStr;
    let d = rust_decimal::Decimal::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let want: f64 = text.parse().unwrap();
    let got = vixshield::compile::f64_of(d);
    assert_eq!(
        got.to_bits(),
        want.to_bits(),
        "{text}: {got:e}, not {want:e}"
    );
}

/// A decimal literal is the `f64` nearest it, as Rust's parser (and a TOML
/// reader, for a plugin default) gives. `Decimal::to_f64` rounded twice:
/// `4.254318748406980` was 4.254318748406981, one ulp above the nearest.
#[test]
fn decimal_literals_are_the_nearest_f64() {
    for text in [
        "4.254318748406980",
        "-4.254318748406980",
        "4.25431874840698",
        "0.1",
        "1.1",
        "123456789.123456789",
        "79228162514264337593543950335",
        "0.0000000000000000000000000001",
        "0",
    ] {
        assert_nearest(text);
    }
    // Through the pipeline: the expression's constant is that `f64`.
    let (_, rows) = evaluate("4.254318748406980");
    assert_eq!(rows[0].1, Some(4.25431874840698));
    let (_, rows) = evaluate("4.254318748406980 == 4.25431874840698");
    assert_eq!(rows[0].1, Some(1.0));
}

proptest::proptest! {
    /// 17 significant digits (what it takes to tell `f64`s apart), the
    /// decimal point anywhere a `Decimal` can put it, either sign.
    #[test]
    fn decimals_of_17_digits_are_the_nearest_f64(
        digits in 10_000_000_000_000_000u64..100_000_000_000_000_000,
        scale in 0u32..=28,
        negative: bool,
    ) {
        let digits = digits.to_string();
        let scale = scale as usize;
        let unsigned = match digits.len().checked_sub(scale) {
            Some(0) => format!("0.{digits}"),
            Some(point) if scale > 0 => format!("{}.{}", &digits[..point], &digits[point..]),
            Some(_) => digits,
            None => format!("0.{}{digits}", "0".repeat(scale - digits.len())),
        };
        assert_nearest(&if negative { format!("-{unsigned}") } else { unsigned });
    }
}

/// A period in parentheses is the number inside them, as the compiler
/// reads it: `sma(vix, (10))` was refused ("must be a number, found a plain
/// number") though `sma(vix, 10)` is fine.
#[test]
fn a_period_in_parentheses_is_the_number_inside() {
    assert_eq!(evaluate("sma(vix, (10))"), evaluate("sma(vix, 10)"));
    assert_eq!(evaluate("rsi(vix, ((14)))"), evaluate("rsi(vix, 14)"));
}

/// A built-in over SPX counts SPX's own closes: on a day only VIX printed on
/// (2022-11-24 and 25 more US holidays from 2022, 2004-06-11, 2025-01-09),
/// SPX's close is carried forward and the built-in repeats its last value
/// rather than taking the carried close as a new bar. So on every SPX date
/// the pipeline's value is the built-in over SPX's own rows (as TA-Lib over
/// `data/spx-daily.csv` gives); counting carried closes, `sma(spx, 10)`
/// differed on 206 bars (1.26% on 2022-06-21), `rsi(spx, 14)` on 1,121
/// and `realized_vol(spx, 20)` on 429: 0.1764 on 2022-12-08, where numpy's
/// std(ddof=1) of SPX's last 20 log returns times sqrt(252) is 0.2601 (the
/// window let the 2022-11-10 CPI day go a day early).
#[test]
fn a_carried_close_is_no_new_bar_for_a_builtin() {
    let spx = match vixshield::market::bundled_series("spx") {
        Some(Ok(series)) => series,
        other => panic!("bundled spx: {other:?}"),
    };
    let own: HashMap<NaiveDate, usize> =
        spx.dates.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    for (text, ours) in [
        (
            "sma(spx, 10)",
            vixshield::signals::sma(&spx.close, 10).unwrap(),
        ),
        (
            "rsi(spx, 14)",
            vixshield::signals::rsi(&spx.close, 14).unwrap(),
        ),
        (
            "realized_vol(spx, 20)",
            vixshield::signals::realized_vol(&spx.close, 20).unwrap(),
        ),
        (
            "macd_hist(spx, 12, 26, 9)",
            vixshield::signals::macd_hist(&spx.close, 12, 26, 9).unwrap(),
        ),
    ] {
        let (_, rows) = evaluate(text);
        let mut held = 0;
        for (bar, (date, got)) in rows.iter().enumerate() {
            let expected = match own.get(date) {
                Some(&i) => ours[i],
                // Between SPX's first and last dates: carried, the value before.
                None if *date > spx.dates[0] && *date < spx.dates[spx.dates.len() - 1] => {
                    held += 1;
                    rows[bar - 1].1
                }
                None => None,
            };
            assert_eq!(*got, expected, "{text} on {date}");
        }
        assert_eq!(held, 26, "{text}: carried SPX bars");
    }
    let (_, rows) = evaluate("realized_vol(spx, 20)");
    let on = |d: &str| {
        rows.iter()
            .find(|r| r.0.to_string() == d)
            .unwrap()
            .1
            .unwrap()
    };
    assert!((on("2022-12-08") - 0.26009476010899896).abs() < 1e-12);
}
