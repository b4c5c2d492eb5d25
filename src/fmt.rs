//! The formatter: one canonical layout for strategy files.
//!
//! - one item after another, a blank line between items (a run of `signal` or
//!   `param` lines written together stays together);
//! - four spaces of indent, `key = value` with single spaces, one setting a line;
//!   a single blank line between settings is kept where the author left one;
//! - expressions with single spaces around operators, `f(a, b)` calls, the
//!   author's parentheses kept; a signal or setting longer than [`WIDTH`]
//!   columns breaks before each top-level `or` (then `and`) of its value (of
//!   a setting's last term), continuation lines indented once more;
//! - comments kept: a comment on its own line stays before what follows it
//!   (with the blank line between them, if the source had one), a comment
//!   after code stays at the end of that line. An expression with
//!   comments inside it keeps a line break after each of them (the rest of
//!   it goes on continuation lines); without comments it is on one line.
//!
//! Formatting is idempotent, and the output parses to the same tree.

use crate::ast::{
    self, BinOp, Count, Expr, ExprKind, Guard, Item, Label, Literal, Section, Setting, Term, UnOp,
};
use crate::parse::{Comment, Parsed};
use crate::source::{SourceFile, Span};

/// Lines longer than this break at top-level `or` / `and`.
pub const WIDTH: usize = 80;

const INDENT: &str = "    ";

/// The indent of a setting's or a guard's continuation lines.
const CONT_INDENT: &str = "        ";

/// Where the lines of a value that breaks start: continuation lines at
/// `cont`, a `)` that closes a line of its own at `close` (the statement's
/// own indent).
#[derive(Clone, Copy)]
struct Layout {
    cont: &'static str,
    close: &'static str,
}

/// Formats a parsed file. The caller checks there were no syntax errors: a
/// file that did not parse whole would lose its unparsed statements.
pub fn format(src: &SourceFile, parsed: &Parsed) -> String {
    // The grammar ends a line at `\n`, `\r\n` or a lone `\r`; the comment
    // scanner and the line numbers here count `\n` only. A lone `\r` is
    // the same line end written otherwise (a string or a comment cannot hold
    // one), so such a file is read again with `\n` in its place.
    if has_lone_cr(src.text()) {
        let text = src.text().replace("\r\n", "\n").replace('\r', "\n");
        let src = SourceFile::new(src.name(), text);
        let parsed = crate::parse::parse(&src);
        return format(&src, &parsed);
    }
    let mut p = Printer {
        src,
        comments: &parsed.comments,
        next: 0,
        out: String::new(),
    };
    p.file(&parsed.file);
    p.out
}

struct Printer<'a> {
    src: &'a SourceFile,
    comments: &'a [Comment],
    next: usize,
    out: String,
}

impl Printer<'_> {
    fn line(&self, offset: u32) -> usize {
        self.src.line_col(offset as usize).line
    }

    /// The line a span ends on (its last character's line).
    fn end_line(&self, span: Span) -> usize {
        self.line(span.end.saturating_sub(1).max(span.start))
    }

    fn comment_text(&self, c: &Comment) -> &str {
        self.src.slice(c.span).trim_end()
    }

    /// Own-line comments starting before `offset`, printed at `indent`.
    /// Returns the line of the first one printed, if any.
    fn leading(
        &mut self,
        offset: u32,
        indent: &str,
        mut prev_line: Option<usize>,
    ) -> Option<usize> {
        let mut first = None;
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= offset {
                break;
            }
            let line = self.line(c.span.start);
            if let Some(prev) = prev_line
                && line > prev + 1
                && !self.out.ends_with("{\n")
                && !self.out.is_empty()
                && !self.out.ends_with("\n\n")
            {
                self.out.push('\n');
            }
            first.get_or_insert(line);
            let text = self.comment_text(c).to_string();
            self.out.push_str(indent);
            self.out.push_str(&text);
            self.out.push('\n');
            prev_line = Some(line);
            self.next += 1;
        }
        first
    }

    /// [`Printer::leading`] before a statement or item at `offset`, keeping
    /// one blank line between the comments and it where the source had one
    /// (a comment set apart, such as a section heading, stays apart).
    fn leading_before(&mut self, offset: u32, indent: &str, prev_line: Option<usize>) {
        if self.leading(offset, indent, prev_line).is_some()
            && let Some(last) = self.next.checked_sub(1).and_then(|i| self.comments.get(i))
            && self.line(offset) > self.end_line(last.span) + 1
        {
            self.out.push('\n');
        }
    }

    /// Comments after code within `span` or on its last line before
    /// `before` (a block's `}` on that line keeps the comments after it),
    /// appended to the current line.
    fn trailing(&mut self, span: Span, before: u32) {
        let last_line = self.end_line(span);
        while let Some(c) = self.comments.get(self.next) {
            let within = c.span.start < span.end && c.span.start >= span.start;
            let same_line =
                !c.own_line && c.span.start < before && self.line(c.span.start) == last_line;
            if !(within || same_line) {
                break;
            }
            let text = self.comment_text(c).to_string();
            self.out.push(' ');
            self.out.push_str(&text);
            self.next += 1;
        }
    }

    /// Comments starting before `until`, inside an expression: the first
    /// one ends the current line (or has a line of its own, as in the
    /// source), each one after it has its own line at `at.cont`. Returns
    /// whether there were any; then the output is at the start of a new
    /// line, indented by `resume`, where the expression goes on.
    fn comments_before(&mut self, until: u32, at: Layout, resume: &str) -> bool {
        let mut any = false;
        while let Some(c) = self.comments.get(self.next)
            && c.span.start < until
        {
            if any || c.own_line {
                self.out.push('\n');
                self.out.push_str(at.cont);
            } else {
                self.out.push(' ');
            }
            let text = self.comment_text(c).to_string();
            self.out.push_str(&text);
            self.next += 1;
            any = true;
        }
        if any {
            self.out.push('\n');
            self.out.push_str(resume);
        }
        any
    }

    fn file(&mut self, file: &ast::File) {
        let mut prev: Option<(&Item, usize)> = None;
        for item in &file.items {
            let span = item.span();
            let start_line = self.line(span.start);
            if let Some((p, p_end)) = prev {
                let one_liners = matches!(
                    (p, item),
                    (Item::Signal(_), Item::Signal(_)) | (Item::Param(_), Item::Param(_))
                );
                let first_line = self
                    .comments
                    .get(self.next)
                    .filter(|c| c.span.start < span.start)
                    .map_or(start_line, |c| self.line(c.span.start));
                if !(one_liners && first_line == p_end + 1) {
                    self.out.push('\n');
                }
            }
            self.leading_before(span.start, "", None);
            match item {
                Item::Section(s) => self.section(s),
                Item::Guards(g) => self.guards(g),
                Item::Signal(s) => {
                    self.out.push_str("signal ");
                    self.out.push_str(&s.name.name);
                    self.out.push_str(" = ");
                    let at = Layout {
                        cont: INDENT,
                        close: "",
                    };
                    self.value(&s.expr, at, true);
                    self.trailing(s.loc.0, u32::MAX);
                    self.out.push('\n');
                }
                Item::Param(p) => {
                    self.out.push_str("param ");
                    self.out.push_str(&p.name.name);
                    self.out.push_str(" = ");
                    self.out.push_str(&expr(&p.value));
                    self.trailing(p.loc.0, u32::MAX);
                    self.out.push('\n');
                }
            }
            prev = Some((item, self.end_line(span)));
        }
        // Comments after the last item.
        if self.next < self.comments.len() {
            let prev_line = prev.map(|(_, l)| l);
            if let (Some(pl), Some(c)) = (prev_line, self.comments.get(self.next))
                && self.line(c.span.start) > pl + 1
            {
                self.out.push('\n');
            }
            self.leading(u32::MAX, "", prev_line);
        }
    }

    /// The header line: `head {` and the comments after it on that line,
    /// if they come before `first` (the block's first statement, or its `}`).
    fn open(&mut self, head: &str, header_span: Span, first: u32) {
        self.out.push_str(head);
        self.out.push_str(" {");
        // Comments on the header line.
        let header_line = self.line(header_span.start);
        while let Some(c) = self.comments.get(self.next) {
            if c.own_line || c.span.start >= first || self.line(c.span.start) != header_line {
                break;
            }
            let text = self.comment_text(c).to_string();
            self.out.push(' ');
            self.out.push_str(&text);
            self.next += 1;
        }
        self.out.push('\n');
    }

    fn close(&mut self, span: Span, prev_line: usize) {
        // Own-line comments before the closing brace.
        let close_at = span.end.saturating_sub(1);
        self.leading(close_at, INDENT, Some(prev_line));
        self.out.push('}');
        self.trailing(
            Span {
                start: close_at,
                end: span.end,
            },
            u32::MAX,
        );
        self.out.push('\n');
    }

    fn section(&mut self, s: &Section) {
        let mut head = s.kind.keyword().to_string();
        match &s.label {
            Some(Label::Str(text, _)) => {
                head.push_str(" \"");
                head.push_str(text);
                head.push('"');
            }
            Some(Label::Name(i)) => {
                head.push(' ');
                head.push_str(&i.name);
            }
            None => {}
        }
        let close_at = s.loc.0.end.saturating_sub(1);
        let first = s.settings.first().map_or(close_at, |x| x.loc.0.start);
        self.open(&head, s.kind_loc.0, first);
        let mut prev_line = self.line(s.kind_loc.0.start);
        for setting in &s.settings {
            self.blank_between(prev_line, setting.loc.0.start);
            self.leading_before(setting.loc.0.start, INDENT, Some(prev_line));
            self.setting(setting, close_at);
            prev_line = self.end_line(setting.loc.0);
        }
        self.close(s.loc.0, prev_line);
    }

    /// Keeps one blank line where the source had one before the next statement (or its comments).
    fn blank_between(&mut self, prev_line: usize, next_start: u32) {
        let first = self
            .comments
            .get(self.next)
            .filter(|c| c.span.start < next_start)
            .map_or_else(|| self.line(next_start), |c| self.line(c.span.start));
        if first > prev_line + 1 && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    /// A setting; `before`: where its block's `}` is.
    fn setting(&mut self, s: &Setting, before: u32) {
        self.out.push_str(INDENT);
        self.out.push_str(&s.key.name);
        self.out.push_str(" = ");
        let at = Layout {
            cont: CONT_INDENT,
            close: INDENT,
        };
        let n = s.terms.len();
        for (i, t) in s.terms.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            match t {
                Term::Range(lo, hi, _) => {
                    self.expr(lo, at, false);
                    self.out.push_str("..");
                    self.expr(hi, at, false);
                }
                // The last term may go on on continuation lines: no term follows it.
                Term::Expr(e) => self.value(e, at, i + 1 == n),
            }
        }
        self.trailing(s.loc.0, before);
        self.out.push('\n');
    }

    fn guards(&mut self, g: &ast::Guards) {
        let close_at = g.loc.0.end.saturating_sub(1);
        let first = g.guards.first().map_or(close_at, |x| x.span().start);
        self.open("guards", g.kw_loc.0, first);
        let mut prev_line = self.line(g.kw_loc.0.start);
        for guard in &g.guards {
            let span = guard.span();
            self.blank_between(prev_line, span.start);
            self.leading_before(span.start, INDENT, Some(prev_line));
            self.out.push_str(INDENT);
            match guard {
                Guard::Blackout { within, .. } => {
                    self.out.push_str("no entry ");
                    self.out.push_str(&expr(within));
                }
                Guard::Condition {
                    expr: e, stress, ..
                } => {
                    let at = Layout {
                        cont: CONT_INDENT,
                        close: INDENT,
                    };
                    self.value(e, at, false);
                    match stress {
                        Some((Count::Lit(n), _)) => self.out.push_str(&format!(" under {n} sigma")),
                        Some((Count::Param(p), _)) => {
                            self.out.push_str(&format!(" under {} sigma", p.name));
                        }
                        None => {}
                    }
                }
            }
            self.trailing(span, close_at);
            self.out.push('\n');
            prev_line = self.end_line(span);
        }
        self.close(g.loc.0, prev_line);
    }

    /// Writes a value: on one line, or, when `wrap` and the line would pass
    /// [`WIDTH`], broken before its top-level `or`s (else `and`s). Comments
    /// inside it keep their place in it (see [`Printer::expr`]).
    fn value(&mut self, e: &Expr, at: Layout, wrap: bool) {
        let column = self.out.len() - self.out.rfind('\n').map_or(0, |i| i + 1);
        if wrap && column + expr(e).len() > WIDTH {
            for op in [BinOp::Or, BinOp::And] {
                let mut parts = Vec::new();
                chain(e, op, &mut parts);
                if let Some((first, rest)) = parts.split_first()
                    && !rest.is_empty()
                {
                    self.expr(first, at, false);
                    for p in rest {
                        if !self.comments_before(p.span().start, at, at.cont) {
                            self.out.push('\n');
                            self.out.push_str(at.cont);
                        }
                        self.out.push_str(op.symbol());
                        self.out.push(' ');
                        self.expr(p, at, false);
                    }
                    return;
                }
            }
        }
        self.expr(e, at, false);
    }

    /// Writes `e` on one line ([`write_expr_before`]), except where the
    /// source has comments inside it: a comment ends the line there, as it
    /// did in the source, and the expression goes on at `at.cont` (a `)`
    /// right after a comment goes at `at.close`). The line breaks where the
    /// grammar allows them: before `and` / `or`, after any other operator,
    /// after `(` and `,`, before `)`.
    fn expr(&mut self, e: &Expr, at: Layout, comma_follows: bool) {
        let inside = |c: &Comment| c.span.start >= e.span().start && c.span.start < e.span().end;
        if !self.comments.get(self.next).is_some_and(inside) {
            write_expr_before(e, &mut self.out, comma_follows);
            return;
        }
        match &e.kind {
            ExprKind::Call { name, args } => {
                self.out.push_str(&name.name);
                self.out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                        if !self.comments_before(a.span().start, at, at.cont) {
                            self.out.push(' ');
                        }
                    } else {
                        self.comments_before(a.span().start, at, at.cont);
                    }
                    self.expr(a, at, absorbed(args.get(i + 1)));
                }
                self.comments_before(e.span().end, at, at.close);
                self.out.push(')');
            }
            ExprKind::Paren(inner) => {
                self.out.push('(');
                self.comments_before(inner.span().start, at, at.cont);
                self.expr(inner, at, false);
                self.comments_before(e.span().end, at, at.close);
                self.out.push(')');
            }
            ExprKind::Binary(op, a, b) => {
                self.expr(a, at, false);
                if matches!(op, BinOp::And | BinOp::Or) {
                    // A comment before `and` / `or`: the operator starts the next line.
                    if !self.comments_before(b.span().start, at, at.cont) {
                        self.out.push(' ');
                    }
                    self.out.push_str(op.symbol());
                    self.out.push(' ');
                } else {
                    // Any other operator ends the line before a comment.
                    self.out.push(' ');
                    self.out.push_str(op.symbol());
                    if !self.comments_before(b.span().start, at, at.cont) {
                        self.out.push(' ');
                    }
                }
                self.expr(b, at, comma_follows);
            }
            ExprKind::Unary(op, inner) => {
                self.out.push_str(match op {
                    UnOp::Not => "not ",
                    UnOp::Neg => "-",
                });
                self.expr(inner, at, comma_follows);
            }
            // No line break can fall inside these.
            ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Within { .. } => {
                write_expr_before(e, &mut self.out, comma_follows);
            }
        }
    }
}

/// Whether `text` has a `\r` that does not start a `\r\n`.
fn has_lone_cr(text: &str) -> bool {
    text.match_indices('\r')
        .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
}

/// The operands of a left-leaning chain of `op`.
fn chain<'e>(e: &'e Expr, op: BinOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            chain(a, op, out);
            out.push(b);
        }
        _ => out.push(e),
    }
}

/// An expression on one line.
pub fn expr(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(e, &mut s);
    s
}

fn write_expr(e: &Expr, out: &mut String) {
    write_expr_before(e, out, false);
}

/// Whether a `within` list right before `, next` would read `next` as one
/// more event: `next`'s text starts with a word (a name, a call, `not`,
/// `within`). `f(within 1d of FOMC, 5)` needs no parentheses.
fn absorbed(next: Option<&Expr>) -> bool {
    let Some(e) = next else { return false };
    match &e.kind {
        ExprKind::Name(_)
        | ExprKind::Call { .. }
        | ExprKind::Within { .. }
        | ExprKind::Unary(UnOp::Not, _) => true,
        ExprKind::Binary(_, a, _) => absorbed(Some(a)),
        ExprKind::Unary(UnOp::Neg, _) | ExprKind::Paren(_) => false,
        ExprKind::Lit(l) => literal(l).starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'),
    }
}

/// Writes `e`; `comma_follows`: a `,` comes right after it on the line (a
/// call argument that is not the last) and the argument after it starts
/// with a word ([`absorbed`]). A `within` list would read that comma and
/// the word as one more event, so a `within` at the end of such an argument
/// is written in parentheses (a line break or a comment after the comma
/// ended the list in the source; on one line nothing would).
fn write_expr_before(e: &Expr, out: &mut String, comma_follows: bool) {
    match &e.kind {
        ExprKind::Lit(l) => out.push_str(&literal(l)),
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Call { name, args } => {
            out.push_str(&name.name);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr_before(a, out, absorbed(args.get(i + 1)));
            }
            out.push(')');
        }
        ExprKind::Unary(UnOp::Not, inner) => {
            out.push_str("not ");
            write_expr_before(inner, out, comma_follows);
        }
        ExprKind::Unary(UnOp::Neg, inner) => {
            out.push('-');
            write_expr_before(inner, out, comma_follows);
        }
        ExprKind::Binary(op, a, b) => {
            write_expr_before(a, out, false);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr_before(b, out, comma_follows);
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Within { days, events } => {
            if comma_follows {
                out.push('(');
            }
            match days {
                Count::Lit(d) => out.push_str(&format!("within {d}d of ")),
                Count::Param(p) => out.push_str(&format!("within {} of ", p.name)),
            }
            for (i, ev) in events.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&ev.name);
            }
            if comma_follows {
                out.push(')');
            }
        }
    }
}

/// A literal as written, in canonical form (`$100,000`, `1.6x`, `45d`).
pub fn literal(l: &Literal) -> String {
    match l {
        Literal::Money(d) => {
            let text = d.abs().to_string();
            let (int, frac) = text
                .split_once('.')
                .map_or((text.as_str(), None), |(a, b)| (a, Some(b)));
            let mut grouped = String::new();
            for (i, c) in int.chars().enumerate() {
                if i > 0 && (int.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let sign = if d.is_sign_negative() && !d.is_zero() {
                "-"
            } else {
                ""
            };
            match frac {
                Some(f) => format!("{sign}${grouped}.{f}"),
                None => format!("{sign}${grouped}"),
            }
        }
        Literal::Percent(d) => format!("{d}%"),
        Literal::Bps(d) => format!("{d}bps"),
        Literal::Multiplier(d) => format!("{d}x"),
        Literal::Days(d) => format!("{d}d"),
        Literal::Points(d) => format!("{d}pt"),
        Literal::Number(d) => d.to_string(),
        Literal::Version(v) => v.clone(),
        Literal::Str(s) => format!("\"{s}\""),
    }
}
