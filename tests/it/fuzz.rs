//! The checker never panics: random bytes and random mutations of every
//! strategy file, 10,000+ cases in a run. Where a mutant still parses, the
//! formatter must keep its tree and be idempotent.

use proptest::prelude::*;
use std::sync::OnceLock;
use vixshield::check::{self, Env};
use vixshield::diag::Severity;
use vixshield::source::SourceFile;

fn corpus() -> &'static Vec<String> {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut v = Vec::new();
        for dir in ["strategies", "tests/cases/check"] {
            for e in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(t) = std::fs::read_to_string(e.path()) {
                    v.push(t);
                }
            }
        }
        v.sort();
        v
    })
}

/// The project's plugins (so mutants of plugin calls reach the plugin checks).
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        vixshield::plugin::PluginSetup::discover(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
            &[],
        )
        .map(|s| s.env())
        .expect("the project's plugins are discovered")
    })
}

/// Checks `bytes` and asserts the invariants every input must keep.
fn check_invariants(bytes: &[u8]) {
    let src = SourceFile::from_bytes("fuzz.vxs", bytes);
    let checked = check::check_source(&src, env());
    let len = src.text().len() as u32;
    for d in &checked.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= len,
            "span out of bounds: {d:?}"
        );
        assert!(!d.message.is_empty() && !d.message.ends_with('.'));
    }
    let has_errors = checked
        .diagnostics
        .iter()
        .any(|d| d.severity() == Severity::Error);
    // Exit-status semantics: a strategy exactly when there is no error.
    assert_eq!(checked.strategy.is_some(), !has_errors);
    let _ = vixshield::diag::render_human(&src, &checked.diagnostics, false);
    if src.invalid_utf8_at().is_none() {
        let parsed = vixshield::parse::parse(&src);
        same_as_full_grammar(&src, &parsed);
        if parsed.diagnostics.is_empty() {
            let once = vixshield::fmt::format(&src, &parsed);
            let src2 = SourceFile::new("fuzz.vxs", once.clone());
            let parsed2 = vixshield::parse::parse(&src2);
            assert!(
                parsed2.diagnostics.is_empty(),
                "formatted mutant does not parse:\n{once}"
            );
            assert_eq!(
                without_within_parens(parsed.file.clone()),
                without_within_parens(parsed2.file.clone())
            );
            assert_eq!(vixshield::fmt::format(&src2, &parsed2), once);
        }
    }
}

/// `file` with every `(within ...)` a bare `within ...`: the only
/// parentheses the formatter adds (a `within` list before a comma and a word
/// it would read as one more event, `fmt::absorbed`), which mean nothing else.
fn without_within_parens(mut file: vixshield::ast::File) -> vixshield::ast::File {
    use vixshield::ast::{Expr, ExprKind, Guard, Item, Term};
    fn expr(e: &mut Expr) {
        if let ExprKind::Paren(inner) = &e.kind
            && matches!(inner.kind, ExprKind::Within { .. })
        {
            *e = (**inner).clone();
        }
        match &mut e.kind {
            ExprKind::Call { args, .. } => args.iter_mut().for_each(expr),
            ExprKind::Unary(_, a) | ExprKind::Paren(a) => expr(a),
            ExprKind::Binary(_, a, b) => {
                expr(a);
                expr(b);
            }
            ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Within { .. } => {}
        }
    }
    for item in &mut file.items {
        match item {
            Item::Section(section) => {
                for term in section.settings.iter_mut().flat_map(|s| &mut s.terms) {
                    match term {
                        Term::Range(a, b, _) => {
                            expr(a);
                            expr(b);
                        }
                        Term::Expr(e) => expr(e),
                    }
                }
            }
            Item::Guards(guards) => {
                for g in &mut guards.guards {
                    match g {
                        Guard::Blackout { within, .. } => expr(within),
                        Guard::Condition { expr: e, .. } => expr(e),
                    }
                }
            }
            Item::Signal(s) => expr(&mut s.expr),
            Item::Param(p) => expr(&mut p.value),
        }
    }
    file
}

/// The fast path and the full grammar give the same tree, spans included, and the same diagnostics.
fn same_as_full_grammar(src: &SourceFile, parsed: &vixshield::parse::Parsed) {
    let full = vixshield::parse::parse_full(src);
    assert_eq!(
        format!("{:?}", parsed.file),
        format!("{:?}", full.file),
        "fast and full parses differ on {:?}",
        src.text()
    );
    assert_eq!(parsed.diagnostics, full.diagnostics);
    assert_eq!(parsed.comments, full.comments);
}

/// A mutation: replace, insert or delete a run of bytes, or splice in a token.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Token(usize, &'static str),
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "=",
    "..",
    "$",
    "%",
    "x",
    "d",
    "bps",
    "pt",
    "\n",
    "//",
    "\"",
    "or",
    "and",
    "not",
    "crosses above",
    "of",
    "within 1d of",
    ",",
    "-",
    "1.6x",
    "0",
    "99999999999999999999999999999",
    "step",
    "from step 9",
    "when",
    "priority 1",
    "\r\n",
    "\t",
    "\u{feff}",
    "é",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), proptest::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Token(i, t)),
    ]
}

fn apply(mut bytes: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let n = bytes.len().max(1);
        match m {
            Mutation::Replace(i, b) => {
                if let Some(x) = bytes.get_mut(i % n) {
                    *x = *b;
                }
            }
            Mutation::Insert(i, v) => {
                let at = (i % n).min(bytes.len());
                bytes.splice(at..at, v.iter().copied());
            }
            Mutation::Delete(i, k) => {
                let at = (i % n).min(bytes.len());
                let end = (at + k).min(bytes.len());
                bytes.drain(at..end);
            }
            Mutation::Token(i, t) => {
                let at = (i % n).min(bytes.len());
                bytes.splice(at..at, t.bytes());
            }
        }
    }
    bytes
}

/// Whether a line of `text` ends with an operator (or an open `(` or a
/// `,`), so that its value goes on over the next line: read the slow way by
/// design (only `and` / `or` continuation lines are fast).
fn value_over_lines(text: &str) -> bool {
    text.lines().any(|line| {
        let code = line.split("//").next().unwrap_or("").trim_end();
        ["(", ",", "<", ">", "=", "+", "-", "*", "/"]
            .iter()
            .any(|op| code.ends_with(op))
            || [" and", " or", " not"].iter().any(|w| code.ends_with(w))
    })
}

/// Every file of the corpus that parses clean is read all the fast way,
/// but for a value over several lines.
#[test]
fn clean_files_take_the_fast_path() {
    let mut clean = 0;
    for text in corpus() {
        let src = SourceFile::new("corpus.vxs", text.clone());
        if vixshield::parse::parse_full(&src).diagnostics.is_empty() && !value_over_lines(text) {
            assert!(vixshield::parse::all_fast(&src), "not all fast:\n{text}");
            clean += 1;
        }
    }
    assert!(clean >= 20, "only {clean} clean files in the corpus");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_strategies_never_panic(
        pick in any::<usize>(),
        ms in proptest::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let base = corpus.get(pick % corpus.len().max(1)).cloned().unwrap_or_default();
        check_invariants(&apply(base.into_bytes(), &ms));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_invariants(&bytes);
    }

    #[test]
    fn random_token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)) {
        check_invariants(tokens.concat().as_bytes());
    }
}

/// Blanks between tokens: mostly a space; sometimes none, a tab, a comment
/// and a line break, or line breaks (valid after an operator and before
/// `and` / `or`, else a syntax error).
fn gap() -> BoxedStrategy<&'static str> {
    prop_oneof![
        40 => Just(" "),
        1 => proptest::sample::select(&["", "  ", "\t", " // c\n    ", "\n", "\n\n  ", "\r\n "][..]),
    ]
    .boxed()
}

/// An operand of a generated expression: a name, a literal, a call or a
/// parenthesis; now and then a literal that needs a diagnostic.
fn operand() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        40 => proptest::sample::select(&[
            "vix", "theta_press", "size", "x", "1", "0.9", "15%", "18bps", "1.6x", "45d", "25pt",
            "$1,800", "$2.50", "\"text\"", "1.0.0", "within 1d of FOMC, CPI", "within 2d of PPI",
        ][..]),
        1 => proptest::sample::select(&["99999999999999999999999999999", "1.0.0x", "within 1 of FOMC"][..]),
    ]
    .prop_map(str::to_string);
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (expression_of(inner.clone(), false), gap(), gap())
                .prop_map(|(e, g, h)| format!("({g}{e}{h})")),
            (
                proptest::sample::select(&["rsi", "ema", "macd", "ratio", "f"][..]),
                proptest::collection::vec((expression_of(inner, false), gap()), 0..4),
            )
                .prop_map(|(f, args)| {
                    let list: Vec<String> = args.iter().map(|(a, g)| format!("{a}{g}")).collect();
                    format!("{f}({})", list.join(", "))
                }),
        ]
    })
    .boxed()
}

/// Operands joined by operators, with prefixes and random blanks; with
/// `terms`, also side by side and as ranges.
fn expression_of(operand: BoxedStrategy<String>, terms: bool) -> BoxedStrategy<String> {
    let ops: &'static [&'static str] = if terms {
        &[
            "and",
            "or",
            "of",
            "crosses above",
            "<",
            ">=",
            "+",
            "-",
            "*",
            "/",
            "..",
            "",
            "into steps",
            "at",
        ]
    } else {
        &[
            "and",
            "or",
            "of",
            "crosses above",
            "crosses  below",
            "<",
            "<=",
            ">",
            ">=",
            "==",
            "!=",
            "+",
            "-",
            "*",
            "/",
        ]
    };
    let prefix = prop_oneof![6 => Just(""), 1 => proptest::sample::select(&["not ", "-", "- ", "not not "][..])];
    (
        prefix.clone(),
        operand.clone(),
        proptest::collection::vec(
            (gap(), proptest::sample::select(ops), gap(), prefix, operand),
            0..4,
        ),
    )
        .prop_map(|(p, first, rest)| {
            let mut s = format!("{p}{first}");
            for (g1, op, g2, p, o) in rest {
                let g1 = if op.is_empty() && g1.is_empty() {
                    " "
                } else {
                    g1
                };
                s.push_str(&format!("{g1}{op}{g2}{p}{o}"));
            }
            s
        })
        .boxed()
}

/// A file with generated values in every place the fast path reads by hand.
fn generated_file() -> impl Strategy<Value = String> {
    (
        expression_of(operand(), false),
        expression_of(operand(), true),
        expression_of(operand(), true),
        expression_of(operand(), false),
        proptest::collection::vec(gap(), 4),
    )
        .prop_map(|(signal, setting, trigger, guard, gaps)| {
            format!(
                "signal s = {signal}{}\naccount {{ k = {setting} }}\nhedge h {{\n    trigger = {trigger}{}\n}}\nguards {{\n    {guard}{}under 3 sigma\n    no entry within 1d of FOMC{}\n}}\n",
                gaps[0], gaps[1], gaps[2], gaps[3],
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Generated values in every place the fast path reads by hand: the fast
    /// path's tree is the full grammar's, or it leaves the file to the full grammar.
    #[test]
    fn generated_values_parse_as_the_full_grammar_does(text in generated_file()) {
        let src = SourceFile::new("generated.vxs", text);
        let parsed = vixshield::parse::parse(&src);
        same_as_full_grammar(&src, &parsed);
        let _ = check::check_source(&src, env());
    }
}

/// Blanks, comments and line ends to put where a file already has a blank or a line end.
const LAYOUT: &[&str] = &[
    " ", "\t", "  ", "\n", "\r\n", "\r", " // c", "\n// c\n", "\n  \n", "\t// c\t", "//", "\n\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Layout changes to the corpus (extra blanks, comments, line breaks and
    /// blank lines where there was a blank or a line end already): the fast
    /// path reads them as the full grammar does.
    #[test]
    fn layout_changes_parse_as_the_full_grammar_does(
        pick in any::<usize>(),
        edits in proptest::collection::vec((any::<usize>(), proptest::sample::select(LAYOUT)), 1..8),
    ) {
        let corpus = corpus();
        let mut text = corpus.get(pick % corpus.len().max(1)).cloned().unwrap_or_default();
        for (at, what) in edits {
            let spots: Vec<usize> = text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b' ' || b == b'\n')
                .map(|(i, _)| i)
                .collect();
            if let Some(&i) = spots.get(at % spots.len().max(1)) {
                text.insert_str(i, what);
            }
        }
        let src = SourceFile::new("layout.vxs", text);
        let parsed = vixshield::parse::parse(&src);
        same_as_full_grammar(&src, &parsed);
    }
}
