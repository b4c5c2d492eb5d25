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
        if parsed.diagnostics.is_empty() {
            let once = vixshield::fmt::format(&src, &parsed);
            let src2 = SourceFile::new("fuzz.vxs", once.clone());
            let parsed2 = vixshield::parse::parse(&src2);
            assert!(
                parsed2.diagnostics.is_empty(),
                "formatted mutant does not parse:\n{once}"
            );
            assert_eq!(parsed.file, parsed2.file);
            assert_eq!(vixshield::fmt::format(&src2, &parsed2), once);
        }
    }
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
