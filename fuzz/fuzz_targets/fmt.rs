//! Strategy text → format, as `vixshield fmt` does (only a file without
//! syntax errors or control characters). The output must parse clean, to
//! the same tree (up to the parentheses the formatter adds around a
//! `within` list, as tests/it/fuzz.rs compares), keep its comments, and
//! format to itself. The fast path must also give the full grammar's parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vixshield::ast::{Expr, ExprKind, File, Guard, Item, Term};
use vixshield::source::SourceFile;

fuzz_target!(|data: &[u8]| {
    let src = SourceFile::from_bytes("fuzz.vxs", data);
    if src.invalid_utf8_at().is_some() {
        return;
    }
    let parsed = vixshield::parse::parse(&src);
    let full = vixshield::parse::parse_full(&src);
    assert_eq!(
        format!("{:?}", parsed.file),
        format!("{:?}", full.file),
        "fast and full parses differ"
    );
    assert_eq!(parsed.diagnostics, full.diagnostics, "fast and full diagnostics differ");
    if !parsed.diagnostics.is_empty()
        || !vixshield::check::control_char_diagnostics(src.text()).is_empty()
    {
        return;
    }
    let once = vixshield::fmt::format(&src, &parsed);
    let src2 = SourceFile::new("fuzz.vxs", once.clone());
    let parsed2 = vixshield::parse::parse(&src2);
    assert!(
        parsed2.diagnostics.is_empty(),
        "formatted text does not parse: {:?}\n--- formatted:\n{once}",
        parsed2.diagnostics
    );
    assert_eq!(
        without_within_parens(parsed.file.clone()),
        without_within_parens(parsed2.file.clone()),
        "formatting changed the tree\n--- formatted:\n{once}"
    );
    let comments = |s: &SourceFile, p: &vixshield::parse::Parsed| -> Vec<String> {
        p.comments
            .iter()
            .map(|c| s.slice(c.span).trim_end().to_string())
            .collect()
    };
    // `parse`'s comment scanner ends a line at `\n` only (a comment's
    // span runs on over a lone `\r`), and `fmt::format` reads such a file
    // again with `\n` line ends: compare the comments of that reading.
    let text = src.text();
    let lone_cr = text
        .bytes()
        .enumerate()
        .any(|(i, b)| b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n'));
    let (src, parsed) = if lone_cr {
        let src = SourceFile::new("fuzz.vxs", text.replace("\r\n", "\n").replace('\r', "\n"));
        let parsed = vixshield::parse::parse(&src);
        (src, parsed)
    } else {
        (src, parsed)
    };
    assert_eq!(
        comments(&src, &parsed),
        comments(&src2, &parsed2),
        "formatting changed the comments\n--- formatted:\n{once}"
    );
    let twice = vixshield::fmt::format(&src2, &parsed2);
    assert_eq!(twice, once, "formatting is not idempotent");
});

/// `file` with every `(within ...)` a bare `within ...` (tests/it/fuzz.rs).
fn without_within_parens(mut file: File) -> File {
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
