//! The hand-written expression parser against the grammar it stands for: on
//! token soup, `terms`, `expr` and `guard` by hand must succeed exactly where
//! pest's rules do, end at the same byte, and build the same tree with the
//! same spans.

use super::expr::Hand;
use super::{Builder, Grammar, Rule};
use pest::Parser as _;
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    " ",
    " ",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "a",
    "vix",
    "rsi",
    "x1",
    "_y",
    "order",
    "andx",
    "not_",
    "(",
    ")",
    "(",
    ")",
    ",",
    "and",
    "or",
    "not",
    "of",
    "crosses",
    "above",
    "below",
    "crosses above",
    "crosses \tbelow",
    "within",
    "within 1d of FOMC",
    "when",
    " when (",
    "when -",
    "whence",
    "1d",
    "FOMC",
    "..",
    ".",
    "1",
    "0",
    "1.5",
    "1.0.0",
    "1.0.0x",
    "2x",
    "15%",
    "18bps",
    "50pt",
    "5d",
    "5e",
    "$1,800",
    "$2.50",
    "$1,80",
    "$",
    "\"s p\"",
    "\"",
    "//c ",
    "/",
    "*",
    "+",
    "-",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "=",
    "}",
    "{",
    "no",
    "entry",
    "no entry",
    "under",
    "sigma",
    "under 3 sigma",
    "3",
    "99999999999999999999999999999",
    "é",
    "1.2.3.4",
    "12,345",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 0..24).prop_map(|t| t.concat())
}

/// What pest gives for `rule` at the start of `text`: where it ends, and the
/// tree the `Builder` makes of it (as `Debug` text, spans included), unless
/// building needed a diagnostic.
fn by_pest(rule: Rule, text: &str) -> Option<(usize, Option<String>)> {
    let pair = Grammar::parse(rule, text).ok()?.next()?;
    let end = pair.as_span().end();
    let mut b = Builder::default();
    let tree = match rule {
        Rule::terms => {
            // `setting`'s own code, on a pair that is only the terms.
            let mut terms = Vec::new();
            for term in pair.into_inner() {
                terms.push(b.term(term));
            }
            format!("{terms:?}")
        }
        Rule::expr => format!("{:?}", b.expr(pair)),
        _ => format!("{:?}", b.guard(pair)),
    };
    Some((end, b.diags.is_empty().then_some(tree)))
}

/// The same by hand; the tree unless a diagnostic is needed.
fn by_hand(rule: Rule, text: &str) -> Option<(usize, Option<String>)> {
    let mut h = Hand::new(text);
    let (end, tree) = match rule {
        Rule::terms => {
            let (t, end) = h.terms(0)?;
            let t: Vec<_> = t.into_iter().map(Some).collect();
            (end, format!("{t:?}"))
        }
        Rule::expr => {
            let (e, end) = h.expr(0)?;
            (end, format!("{:?}", Some(e)))
        }
        _ => {
            let (g, end) = h.guard(0)?;
            (end, format!("{:?}", Some(g)))
        }
    };
    Some((end, (!h.needs_full()).then_some(tree)))
}

fn same(rule: Rule, text: &str) {
    let pest = by_pest(rule, text);
    let hand = by_hand(rule, text);
    match (&pest, &hand) {
        (Some((pe, pt)), Some((he, ht))) => {
            assert_eq!(pe, he, "{rule:?} ends apart on {text:?}");
            if let (Some(pt), Some(ht)) = (pt, ht) {
                assert_eq!(pt, ht, "{rule:?} trees differ on {text:?}");
            }
            // A diagnostic by hand exactly when the builder has one.
            assert_eq!(
                pt.is_some(),
                ht.is_some(),
                "{rule:?} diagnostics differ on {text:?}"
            );
        }
        _ => assert_eq!(pest.is_some(), hand.is_some(), "{rule:?} on {text:?}"),
    }
}

#[test]
fn examples() {
    for text in [
        "a",
        "a  // c",
        "a and b // c",
        "14d..30d  // c",
        "1% of size",
        "1.6x into steps 3..4",
        "macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)\n        or rsi(vix, 14) > 70",
        "within 1d of FOMC, CPI  ",
        "no entry within 1d of FOMC, CPI, PPI",
        "quick_ratio >= 1.4 under 3 sigma // c",
        "f (\n a ,\n b\n )",
        "not - not a",
        "$100abc",
        "a\n\n // c\n  and b",
        "1..",
        "a and",
    ] {
        for rule in [Rule::terms, Rule::expr, Rule::guard] {
            same(rule, text);
        }
    }
}

/// Around the expression depth limit: calls, parentheses, prefixes and
/// operator chains, one level either side of [`super::MAX_EXPR_DEPTH`].
#[test]
fn depth_limit() {
    let limit = super::MAX_EXPR_DEPTH;
    for nest in [0, 1, 20, 40, 60] {
        for chain in [
            limit - 2 - nest,
            limit - 1 - nest,
            limit - nest,
            limit + 1 - nest,
        ] {
            for (open, close) in [("f(", ")"), ("(", ")"), ("g(x, ", ")")] {
                let mut text = open.repeat(nest);
                text.push('a');
                text.push_str(&" and a".repeat(chain));
                text.push_str(&close.repeat(nest));
                same(Rule::expr, &text);
                same(Rule::expr, &format!("{}{text}", "not ".repeat(3)));
                same(Rule::terms, &format!("{text}..{text}"));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hand_parser_is_the_grammar(text in soup()) {
        for rule in [Rule::terms, Rule::expr, Rule::guard] {
            same(rule, &text);
        }
    }
}
