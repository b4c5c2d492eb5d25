//! Parsing: text → syntax tree, never stopping at the first error.
//!
//! Step one: a pre-scan rejects nesting deeper than [`MAX_DEPTH`], so that
//! neither pest nor anything after it can overflow the stack.
//! Step two: pest parses the file with `grammar/vixshield.pest`, through its
//! fast rules (`fast_file`): items, sections, keys and labels as the grammar
//! has them, each value (a setting's terms, a signal's expression, a guard
//! line) as plain text, which `expr.rs` reads by hand, rule for rule as pest
//! would. An item the fast rules or the hand-written parser do not take is
//! read with the full rules (`item_line`); in the rare case where that would
//! change what follows, the whole file is parsed with `file` instead.
//! Step three: the pairs become an [`ast::File`]. The full rules swallow every
//! statement they cannot parse into a `recover_*` node, so pest itself
//! succeeds on any text; each swallowed statement is parsed again with a
//! strict rule, and pest's error there (what was expected at which position)
//! becomes an `E0001` diagnostic.
//! Step four (`unclosed.rs`): a section that lost its `}` is closed where the
//! next item starts, and the rest of its text read again as items.
//!
//! Architecture invariant: parsing never fails. It returns a tree and a list of
//! diagnostics, and the tree holds every statement that did parse. [`parse`]
//! and [`parse_full`] (the full grammar alone) give the same trees, spans and
//! diagnostics.

use crate::ast::{self, BinOp, Expr, ExprKind, Ident, Label, Literal, UnOp};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::{Loc, SourceFile, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use pest_derive::Parser;
use rust_decimal::Decimal;

mod expr;
#[cfg(test)]
mod tests;
mod unclosed;
mod unicode;

#[derive(Parser)]
#[grammar = "grammar/vixshield.pest"]
struct Grammar;

pub use self::Rule as GrammarRule;

/// The deepest nesting of parentheses and braces accepted.
pub const MAX_DEPTH: usize = 64;

/// The deepest expression tree accepted (operators and calls inside each other,
/// a chain of `or`s counts one level per `or`).
pub const MAX_EXPR_DEPTH: usize = 128;

/// The most syntax errors reported for one file before giving up on it.
pub const MAX_SYNTAX_ERRORS: usize = 50;

/// A `//` comment, kept for the formatter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The comment, `//` included.
    pub span: Span,
    /// Whether it stands alone on its line (else it trails code).
    pub own_line: bool,
}

/// What parsing gives: a tree, the comments, and the problems found.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The statements that parsed.
    pub file: ast::File,
    /// Every comment, in order.
    pub comments: Vec<Comment>,
    /// Syntax errors, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a strategy file.
pub fn parse(src: &SourceFile) -> Parsed {
    parse_with(src, true)
}

/// Parses a strategy file with the full grammar alone (`file`), never the
/// fast path. [`parse`] gives the same; the tests compare the two.
pub fn parse_full(src: &SourceFile) -> Parsed {
    parse_with(src, false)
}

/// [`parse`], or with `fast` off [`parse_full`].
fn parse_with(src: &SourceFile, fast: bool) -> Parsed {
    let text = src.text();
    let comments = scan_comments(text);
    if let Some(d) = depth_check(text) {
        return Parsed {
            file: ast::File::default(),
            comments,
            diagnostics: vec![d],
        };
    }
    let (file, diagnostics) = read(text, fast);
    Parsed {
        file,
        comments,
        diagnostics: capped(text, diagnostics),
    }
}

/// Whether [`parse`] reads every item of the file the fast way (by the fast
/// rules and the hand-written expression parser), as it should any file
/// without syntax errors whose values span one line each (or continue on lines
/// starting with `and` / `or`). For tests.
pub fn all_fast(src: &SourceFile) -> bool {
    let text = src.text();
    depth_check(text).is_none() && fast_file(text).is_some_and(|f| f.slow == 0)
}

/// The full grammar, with recovery and the strict re-parse of what it swallowed.
fn full(text: &str) -> (ast::File, Vec<Diagnostic>) {
    let mut p = Builder::default();
    let mut items = Vec::new();
    let mut recovered = Vec::new();
    match Grammar::parse(Rule::file, text) {
        Ok(mut pairs) => {
            for pair in pairs.next().into_iter().flat_map(Pair::into_inner) {
                p.item(pair, &mut items, &mut recovered);
            }
        }
        Err(e) => {
            // The recovery rules make this unreachable in practice; report it anyway.
            p.diags.push(pest_error(text, &e, 0));
        }
    }
    let (unparsed_names, unparsed_defs) = p.unparsed_names();
    (
        ast::File {
            items,
            recovered,
            unparsed_names,
            unparsed_defs,
        },
        p.diags,
    )
}

/// `text` read the fast way (else by `file`) or by `file` alone, and each
/// section that lost its `}` closed where the next item starts
/// (`unclosed.rs`).
fn read(text: &str, fast: bool) -> (ast::File, Vec<Diagnostic>) {
    read_closing(
        text,
        text,
        fast,
        &std::cell::Cell::new(unclosed::MAX_CLOSED),
    )
}

/// [`read`], closing at most `budget` more sections (each is another
/// reading of the text): a file of thousands of sections without their
/// `}` costs a few readings, not one per section, nor a stack as deep.
/// `file_text` is the file as given, whose lines messages name (a text
/// read again can have a line end read as a blank or a `{`).
fn read_closing(
    text: &str,
    file_text: &str,
    fast: bool,
    budget: &std::cell::Cell<usize>,
) -> (ast::File, Vec<Diagnostic>) {
    let (mut file, mut diags) = match if fast { fast_file(text) } else { None } {
        Some(Fast { file, diags, .. }) => (file, diags),
        None => full(text),
    };
    // A section head without its `{` (or with it a line too low): read the
    // file again with the `{` where it belongs, and say it once.
    if budget.get() > 0
        && let Some(lost) = unclosed::lost_open(text)
    {
        budget.set(budget.get() - 1);
        let mut bytes = text.as_bytes().to_vec();
        for b in &mut bytes[lost.blank.clone()] {
            *b = b' ';
        }
        bytes[lost.brace] = b'{';
        if let Ok(again) = String::from_utf8(bytes) {
            let (f, mut d) = read_closing(&again, file_text, fast, budget);
            if f.items
                .iter()
                .any(|it| it.span().start as usize == lost.head)
            {
                d.push(lost.error);
                d.sort_by_key(|d| (d.span.start, d.span.end));
                return (f, d);
            }
        }
    }
    // A section head whose label is not closed on its line (`strategy "SPX
    // Mastery {`) loses its whole block: read it again with the label
    // closed in place (the same bytes, so spans stay), and say it once.
    if budget.get() > 0
        && let Some(error) = diags
            .iter()
            .find(|d| d.code == Code::Syntax && d.message == UNCLOSED_STRING)
        && let Some(again) = unclosed::head_label_closed(text, error.span.start as usize)
    {
        budget.set(budget.get() - 1);
        let error = error.clone();
        let (f, mut d) = read_closing(&again, file_text, fast, budget);
        d.push(error);
        d.sort_by_key(|d| (d.span.start, d.span.end));
        return (f, d);
    }
    // A block no `}` closes runs to the end of the file, swallowed whole:
    // read it as closed there, so that what it holds is checked too (the
    // error at its `{` says the rest).
    if budget.get() > 0
        && let Some(open) = diags
            .iter()
            .find(|d| d.code == Code::Syntax && d.message == UNCLOSED_BLOCK)
    {
        budget.set(budget.get() - 1);
        let again = format!("{text}\n}}");
        let (mut f, mut d) = read_closing(&again, file_text, fast, budget);
        let at = open.span.start as usize;
        let holder = f.items.iter().find(|it| {
            let s = it.span();
            (s.start as usize) <= at && at < s.end as usize
        });
        if let Some(holder) = holder {
            // Still open at the end (else a section after it was where it
            // closes, `unclosed.rs`, and that error says so instead).
            let open_at_end = holder.span().end as usize > text.len();
            // The `}` added is no part of the file: nothing ends past it.
            d.retain(|d| d.span.end as usize <= text.len());
            for item in &mut f.items {
                if item.span().end as usize > text.len() {
                    unclosed::end_item_at(item, text.trim_end().len());
                }
            }
            if open_at_end {
                d.push(open.clone());
            }
            d.sort_by_key(|d| (d.span.start, d.span.end));
            return (f, d);
        }
    }
    // A `param` or `signal` line inside a section its own `}` closes
    // (`sizing { ... param m = 1.6x ... }`): read the section without that
    // line and the line as an item of its own, and say it once, where the
    // section read as unclosed there made every setting after it an error.
    if budget.get() > 0
        && unclosed_brace(text).is_none()
        && let Some((at, end, word, section)) = unclosed::misplaced_item(text, &file)
    {
        budget.set(budget.get() - 1);
        // The line's bytes as spaces (whole characters: it runs from a line
        // start to a line end), so spans stay the file's.
        let without = String::from_utf8(
            text.bytes()
                .enumerate()
                .map(|(i, b)| if (at..end).contains(&i) { b' ' } else { b })
                .collect(),
        )
        .unwrap_or_default();
        let (mut f, mut d) = read_closing(&without, file_text, fast, budget);
        let (one, one_d) = read_closing(&unclosed::blanked(text, at..end), file_text, fast, budget);
        let items = unclosed::take_names(&mut f, one);
        f.items.extend(items);
        f.items.sort_by_key(|it| it.span().start);
        d.extend(one_d);
        let word_at = at + (text[at..].len() - text[at..].trim_start().len());
        d.push(
            Diagnostic::new(
                Code::Syntax,
                Span::new(word_at, word_at + word.len()),
                format!("a `{word}` is an item of its own, not a setting of `{section}`"),
            )
            .label(format!("inside `{section}`"))
            .help(format!(
                "move this line out of `{section}`, above it: `{word}` lines stand outside sections"
            )),
        );
        d.sort_by_key(|d| (d.span.start, d.span.end));
        return (f, d);
    }
    unclosed::close_unclosed(text, file_text, &mut file, &mut diags, budget, &|t| {
        read_closing(t, file_text, fast, budget)
    });
    // A section closed too early (`steps = 3 }`, then more of its settings
    // and the `}` meant to close it): read the file again without that `}`,
    // and say it once.
    if budget.get() > 0
        && let Some(early) = unclosed::closed_early(text, &file)
    {
        budget.set(budget.get() - 1);
        let mut again = text.to_string();
        again.replace_range(early.early..early.early + 1, " ");
        let (f, mut d) = read_closing(&again, file_text, fast, budget);
        let closes_late = f.items.iter().any(|it| {
            let s = it.span();
            s.start as usize == early.start && s.end as usize == early.late + 1
        });
        if closes_late {
            d.push(unclosed::closed_early_error(file_text, &early));
            d.sort_by_key(|d| (d.span.start, d.span.end));
            return (f, d);
        }
    }
    (file, diags)
}

/// The message of the error for a block no `}` closes before the end of
/// the file.
const UNCLOSED_BLOCK: &str = "unclosed `{`";

/// The message of a string not closed on its line.
const UNCLOSED_STRING: &str = "unclosed string: this `\"` has no closing `\"` on its line";

/// At most [`MAX_SYNTAX_ERRORS`] syntax errors, then one that says so.
fn capped(text: &str, mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if diagnostics.len() > MAX_SYNTAX_ERRORS {
        diagnostics.truncate(MAX_SYNTAX_ERRORS);
        let end = text.len();
        diagnostics.push(
            Diagnostic::new(
                Code::Syntax,
                Span::new(end, end),
                format!("too many syntax errors, stopped after {MAX_SYNTAX_ERRORS}"),
            )
            .help("is this a strategy file?"),
        );
    }
    diagnostics
}

/// Parses a lone expression, as given to `vixshield signal EXPR`.
pub fn parse_expr(src: &SourceFile) -> Result<Expr, Vec<Diagnostic>> {
    let text = src.text();
    if let Some(d) = depth_check(text) {
        return Err(vec![d]);
    }
    let mut p = Builder::default();
    match Grammar::parse(Rule::strict_expr, text) {
        Ok(mut pairs) => {
            let expr = pairs
                .next()
                .and_then(|top| top.into_inner().find(|q| q.as_rule() == Rule::expr));
            match expr.and_then(|e| p.expr(e)) {
                Some(e) if p.diags.is_empty() => Ok(e),
                _ => Err(p.diags),
            }
        }
        Err(e) => Err(vec![pest_error(text, &e, 0)]),
    }
}

/// What the fast path gives.
struct Fast {
    file: ast::File,
    diags: Vec<Diagnostic>,
    /// How many items were read by `item_line` rather than the fast way.
    slow: usize,
}

/// The fast path: `fast_file`, each item the fast rules fit read with the
/// hand-written parser of [`expr`] for its values, every other item as `file`
/// reads it. An item whose values the hand-written parser does not take
/// (a syntax error in a value, a value that ends elsewhere than its text, a
/// literal that needs a diagnostic) is read again from its start with
/// `item_line`. `None` when that ends elsewhere than the fast rules' item:
/// the whole file is for the full grammar. When it gives a tree, the tree and
/// the diagnostics are the ones `file` gives, spans included (the fuzz tests
/// compare the two).
fn fast_file(text: &str) -> Option<Fast> {
    let file = Grammar::parse(Rule::fast_file, text).ok()?.next()?;
    let mut hand = expr::Hand::new(text);
    let mut b = Builder::default();
    let mut items = Vec::new();
    let mut recovered = Vec::new();
    let mut slow = 0;
    for pair in parts(file) {
        let span = pair.as_span();
        let item = match pair.as_rule() {
            Rule::fast_section => fast_section(&mut hand, pair).map(ast::Item::Section),
            Rule::fast_guards => fast_guards(&mut hand, pair).map(ast::Item::Guards),
            Rule::fast_signal => fast_signal(&mut hand, pair).map(ast::Item::Signal),
            Rule::slow_item => {
                for p in pair.into_inner() {
                    slow += usize::from(p.as_rule() != Rule::param_def);
                    b.item(p, &mut items, &mut recovered);
                }
                continue;
            }
            _ => continue,
        };
        match item {
            Some(item) if !hand.needs_full() => items.push(item),
            _ => {
                // Read this item again the way `file` does, from its start.
                hand.reset();
                let start = span.start();
                let again = Grammar::parse(Rule::slow_item, text.get(start..)?)
                    .ok()?
                    .next()?;
                let end = start + again.as_span().end();
                if hand.skip(end) != hand.skip(span.end()) {
                    return None;
                }
                b.offset = start;
                for p in again.into_inner() {
                    b.item(p, &mut items, &mut recovered);
                }
                b.offset = 0;
                slow += 1;
            }
        }
    }
    let (unparsed_names, unparsed_defs) = b.unparsed_names();
    Some(Fast {
        file: ast::File {
            items,
            recovered,
            unparsed_names,
            unparsed_defs,
        },
        diags: b.diags,
        slow,
    })
}

/// The pairs inside `pair` but the comments the fast rules give as pairs.
fn parts(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| p.as_rule() != Rule::comment)
}

/// A `fast_section`: its settings' values read by hand.
fn fast_section(hand: &mut expr::Hand<'_>, pair: Pair<'_, Rule>) -> Option<ast::Section> {
    let l = loc(&pair, 0);
    let mut inner = parts(pair);
    let kw = inner.next()?;
    let kind = ast::SectionKind::from_keyword(kw.as_str())?;
    let mut label_ = None;
    let mut settings = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::label => label_ = Some(label(p, 0)?),
            Rule::fast_block => {
                // `key`, `value_text`, `key`, `value_text`, ...
                let mut inner = parts(p);
                while let Some(key) = inner.next() {
                    let start = key.as_span().start();
                    let (terms, end) = value(hand, &inner.next()?, expr::Hand::terms)?;
                    settings.push(ast::Setting {
                        key: ident(&key, 0),
                        terms,
                        loc: Loc(Span::new(start, end)),
                    });
                }
            }
            _ => {}
        }
    }
    Some(ast::Section {
        kind,
        kind_loc: loc(&kw, 0),
        label: label_,
        settings,
        recovered: Vec::new(),
        loc: l,
    })
}

/// A `fast_guards`: each line read by hand as a `guard`.
fn fast_guards(hand: &mut expr::Hand<'_>, pair: Pair<'_, Rule>) -> Option<ast::Guards> {
    let l = loc(&pair, 0);
    let mut inner = parts(pair);
    let kw_loc = loc(&inner.next()?, 0);
    let mut guards = Vec::new();
    for g in inner {
        guards.push(value(hand, &g, expr::Hand::guard)?.0);
    }
    Some(ast::Guards {
        kw_loc,
        guards,
        loc: l,
    })
}

/// A `fast_signal`: its definition read by hand as an `expr`.
fn fast_signal(hand: &mut expr::Hand<'_>, pair: Pair<'_, Rule>) -> Option<ast::SignalDef> {
    let start = pair.as_span().start();
    let mut inner = parts(pair).skip(1);
    let name = ident(&inner.next()?, 0);
    let (expr, end) = value(hand, &inner.next()?, expr::Hand::expr)?;
    Some(ast::SignalDef {
        name,
        expr,
        loc: Loc(Span::new(start, end)),
    })
}

/// Reads a `value_text` with `rule` (`terms`, `expr` or `guard`) from where
/// the text starts: the parse and where it ends, if it ends where the text
/// does (up to blanks and a comment, which both are followed by).
fn value<'a, T>(
    hand: &mut expr::Hand<'a>,
    text: &Pair<'_, Rule>,
    rule: impl FnOnce(&mut expr::Hand<'a>, usize) -> Option<(T, usize)>,
) -> Option<(T, usize)> {
    let span = text.as_span();
    let (v, end) = rule(hand, span.start())?;
    (hand.skip(end) == hand.skip(span.end())).then_some((v, end))
}

/// A section's `label` (its pairs counting from `offset`).
fn label(p: Pair<'_, Rule>, offset: usize) -> Option<Label> {
    let q = p.into_inner().next()?;
    Some(match q.as_rule() {
        Rule::string => Label::Str(unquote(q.as_str()), loc(&q, offset)),
        _ => Label::Name(ident(&q, offset)),
    })
}

/// Rejects nesting deeper than [`MAX_DEPTH`] before pest recurses into it.
///
/// Parentheses and braces inside strings and comments do not count. Both end
/// where the grammar ends them: at a `\n` or a lone `\r` (`NEWLINE`), so that
/// a file with old Mac line ends cannot hide deep nesting behind a quote or
/// a comment on an earlier line.
fn depth_check(text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_str = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => in_str = !in_str,
            b'\n' | b'\r' => in_str = false,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|&c| c != b'\n' && c != b'\r') {
                    i += 1;
                }
                continue;
            }
            b'(' | b'{' if !in_str => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(
                        Diagnostic::new(
                            Code::TooDeep,
                            Span::new(i, i + 1),
                            format!("nesting deeper than {MAX_DEPTH} levels"),
                        )
                        .label("this opens one level too many")
                        .help("split the expression into named `signal`s"),
                    );
                }
            }
            b')' | b'}' if !in_str => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Finds `//` comments outside strings. A comment ends at its line's end,
/// `\n`, `\r\n` or a lone `\r` as the grammar's `NEWLINE` (a comment's span
/// ran on over a lone `\r` into the code after it).
fn scan_comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let starts = crate::source::line_starts(text);
    for (k, &line_start) in starts.iter().enumerate() {
        let line_end = starts.get(k + 1).copied().unwrap_or(text.len());
        let line = text.get(line_start..line_end).unwrap_or_default();
        let mut in_str = false;
        let bytes = line.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => in_str = !in_str,
                b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => {
                    let end = line.trim_end_matches(['\n', '\r']).len();
                    let own_line = line.get(..i).is_some_and(|s| s.trim().is_empty());
                    out.push(Comment {
                        span: Span::new(line_start + i, line_start + end),
                        own_line,
                    });
                    break;
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

#[derive(Default)]
struct Builder {
    diags: Vec<Diagnostic>,
    /// The names in the statements [`Builder::recover`] was given.
    unparsed: Vec<String>,
    /// The names those statements define (`signal NAME = ...`).
    unparsed_defs: Vec<String>,
    /// Where in the file the text being read starts (pairs of a re-read
    /// item count from the item's start).
    offset: usize,
}

fn span_of(pair: &Pair<'_, Rule>, offset: usize) -> Span {
    let s = pair.as_span();
    Span::new(offset + s.start(), offset + s.end())
}

fn loc(pair: &Pair<'_, Rule>, offset: usize) -> Loc {
    Loc(span_of(pair, offset))
}

fn ident(pair: &Pair<'_, Rule>, offset: usize) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        loc: loc(pair, offset),
    }
}

/// One piece of an expression before precedence is applied.
enum Tok {
    Prefix(UnOp, Span),
    /// An operand and the depth of its tree ([`tree_depth`]).
    Operand(Expr, usize),
    Infix(BinOp),
}

impl Builder {
    /// The names in statements that did not parse and the names they
    /// define, each sorted, once each.
    fn unparsed_names(&mut self) -> (Vec<String>, Vec<String>) {
        let sorted = |mut names: Vec<String>| {
            names.sort_unstable();
            names.dedup();
            names
        };
        (
            sorted(std::mem::take(&mut self.unparsed)),
            sorted(std::mem::take(&mut self.unparsed_defs)),
        )
    }

    /// One item of `file` (or a statement it swallowed), added to `items` (or `recovered`).
    fn item(
        &mut self,
        pair: Pair<'_, Rule>,
        items: &mut Vec<ast::Item>,
        recovered: &mut Vec<String>,
    ) {
        let item = match pair.as_rule() {
            Rule::section => self.section(pair).map(ast::Item::Section),
            Rule::guards => Some(ast::Item::Guards(self.guards(pair))),
            Rule::signal_def => self.signal_def(pair).map(ast::Item::Signal),
            Rule::param_def => self.param_def(pair).map(ast::Item::Param),
            Rule::recover_item => {
                // Look-alikes read as the ASCII they pass for (`аccount`).
                let skeleton = unicode::skeleton(pair.as_str());
                let word = leading_word(&skeleton);
                let is_setting = skeleton
                    .get(word.len()..)
                    .is_some_and(|r| r.trim_start().starts_with('='));
                let meant = if is_setting || ITEM_KEYWORDS.contains(&word) {
                    Some(word.to_string())
                } else {
                    did_you_mean_word(word, ITEM_KEYWORDS)
                };
                recovered.extend(meant);
                self.recover(&pair, Rule::strict_item);
                None
            }
            _ => None,
        };
        items.extend(item);
    }

    fn section(&mut self, pair: Pair<'_, Rule>) -> Option<ast::Section> {
        let l = loc(&pair, self.offset);
        let mut inner = pair.into_inner();
        let kw = inner.next()?;
        let kind = ast::SectionKind::from_keyword(kw.as_str())?;
        let mut label = None;
        let mut settings = Vec::new();
        let mut recovered = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::label => label = Some(self::label(p, self.offset)?),
                Rule::block => {
                    for s in p.into_inner() {
                        match s.as_rule() {
                            Rule::setting => {
                                let key = leading_word(s.as_str()).to_string();
                                match self.setting(s) {
                                    Some(setting) => settings.push(setting),
                                    None => recovered.push(key),
                                }
                            }
                            Rule::recover_setting => {
                                let skeleton = unicode::skeleton(s.as_str());
                                recovered.push(leading_word(&skeleton).to_string());
                                // `version = 1.0.0 language = 1`: `language`
                                // is there too, only on the wrong line.
                                recovered.extend(
                                    later_settings(s.as_str())
                                        .into_iter()
                                        .map(|(_, key)| key.to_string()),
                                );
                                self.recover(&s, Rule::strict_setting);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Some(ast::Section {
            kind,
            kind_loc: loc(&kw, self.offset),
            label,
            settings,
            recovered,
            loc: l,
        })
    }

    fn setting(&mut self, pair: Pair<'_, Rule>) -> Option<ast::Setting> {
        let l = loc(&pair, self.offset);
        let mut inner = pair.into_inner();
        let key = ident(&inner.next()?, self.offset);
        let mut terms = Vec::new();
        for term in inner.next()?.into_inner() {
            terms.push(self.term(term)?);
        }
        Some(ast::Setting { key, terms, loc: l })
    }

    /// `term`: the keyword `when` (as the word it is), an expression, or a range.
    fn term(&mut self, term: Pair<'_, Rule>) -> Option<ast::Term> {
        let tl = loc(&term, self.offset);
        let mut inner = term.into_inner().peekable();
        if inner.peek().map(Pair::as_rule) == Some(Rule::kw_when) {
            return Some(ast::Term::Expr(Expr {
                kind: ExprKind::Name("when".into()),
                loc: tl,
            }));
        }
        let mut parts = inner.filter(|p| p.as_rule() == Rule::expr);
        let lo = self.expr(parts.next()?)?;
        match parts.next() {
            Some(hi) => {
                let hi = self.expr(hi)?;
                Some(ast::Term::Range(Box::new(lo), Box::new(hi), tl))
            }
            None => Some(ast::Term::Expr(lo)),
        }
    }

    fn bound(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let l = loc(&pair, self.offset);
        let mut negated = false;
        let mut value = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::neg => negated = true,
                _ => value = Some(self.operand(p)?),
            }
        }
        let value = value?;
        Some(if negated {
            Expr {
                kind: ExprKind::Unary(UnOp::Neg, Box::new(value)),
                loc: l,
            }
        } else {
            value
        })
    }

    fn guards(&mut self, pair: Pair<'_, Rule>) -> ast::Guards {
        let l = loc(&pair, self.offset);
        let mut kw_loc = l;
        let mut guards = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::guards_kw => kw_loc = loc(&p, self.offset),
                Rule::guard => guards.extend(self.guard(p)),
                Rule::recover_setting => self.recover(&p, Rule::strict_guard),
                _ => {}
            }
        }
        ast::Guards {
            kw_loc,
            guards,
            loc: l,
        }
    }

    fn guard(&mut self, pair: Pair<'_, Rule>) -> Option<ast::Guard> {
        let l = loc(&pair, self.offset);
        let mut inner = pair.into_inner();
        let first = inner.next()?;
        if first.as_rule() == Rule::blackout {
            let within = first.into_inner().find(|p| p.as_rule() == Rule::within)?;
            return Some(ast::Guard::Blackout {
                within: self.within(within)?,
                loc: l,
            });
        }
        let expr = self.expr(first)?;
        let stress = match inner.next() {
            Some(s) => {
                let sl = loc(&s, self.offset);
                let n = s
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::quantity | Rule::ident))?;
                if n.as_rule() == Rule::ident {
                    return Some(ast::Guard::Condition {
                        expr,
                        stress: Some((ast::Count::Param(ident(&n, self.offset)), sl)),
                        loc: l,
                    });
                }
                match self.quantity(&n)? {
                    Literal::Number(d) => Some((ast::Count::Lit(d), sl)),
                    _ => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::Syntax,
                                span_of(&n, self.offset),
                                format!(
                                    "expected a plain number of standard deviations, found `{}`",
                                    n.as_str()
                                ),
                            )
                            .help("write for example `under 3 sigma`"),
                        );
                        return None;
                    }
                }
            }
            None => None,
        };
        Some(ast::Guard::Condition {
            expr,
            stress,
            loc: l,
        })
    }

    fn signal_def(&mut self, pair: Pair<'_, Rule>) -> Option<ast::SignalDef> {
        let l = loc(&pair, self.offset);
        let mut inner = pair.into_inner().skip(1);
        let name = ident(&inner.next()?, self.offset);
        let expr = self.expr(inner.next()?)?;
        Some(ast::SignalDef { name, expr, loc: l })
    }

    fn param_def(&mut self, pair: Pair<'_, Rule>) -> Option<ast::ParamDef> {
        let l = loc(&pair, self.offset);
        let mut inner = pair.into_inner().skip(1);
        let name = ident(&inner.next()?, self.offset);
        let value = self.bound(inner.next()?)?;
        Some(ast::ParamDef {
            name,
            value,
            loc: l,
        })
    }

    /// An expression: operands and operators, with precedence applied here.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = span_of(&pair, self.offset);
        let mut toks = Vec::new();
        for p in pair.into_inner() {
            let tok = match p.as_rule() {
                Rule::op_not => Tok::Prefix(UnOp::Not, span_of(&p, self.offset)),
                Rule::neg => Tok::Prefix(UnOp::Neg, span_of(&p, self.offset)),
                Rule::op_logic | Rule::op => Tok::Infix(match p.as_str() {
                    "or" => BinOp::Or,
                    "and" => BinOp::And,
                    "of" => BinOp::Of,
                    "<=" => BinOp::Le,
                    ">=" => BinOp::Ge,
                    "!=" => BinOp::Ne,
                    "==" => BinOp::Eq,
                    "<" => BinOp::Lt,
                    ">" => BinOp::Gt,
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    t if t.ends_with("above") => BinOp::CrossAbove,
                    _ => BinOp::CrossBelow,
                }),
                _ => {
                    let e = self.operand(p)?;
                    let d = tree_depth(&e);
                    Tok::Operand(e, d)
                }
            };
            toks.push(tok);
        }
        let mut toks = toks.into_iter().peekable();
        match climb(&mut toks, 0, 0) {
            Ok((e, _)) => Some(e),
            Err(()) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::TooDeep,
                        span,
                        format!(
                            "expression more than {MAX_EXPR_DEPTH} levels deep (a name or number is one level, each operator or call around it one more)"
                        ),
                    )
                    .help("split the expression into named `signal`s"),
                );
                None
            }
        }
    }

    fn operand(&mut self, p: Pair<'_, Rule>) -> Option<Expr> {
        let l = loc(&p, self.offset);
        let text = p.as_str();
        let lit = |kind: fn(Decimal) -> Literal, this: &mut Self, digits: &str| {
            this.decimal(&p, digits).map(|d| Expr {
                kind: ExprKind::Lit(kind(d)),
                loc: l,
            })
        };
        match p.as_rule() {
            Rule::paren => {
                let e = self.expr(p.into_inner().next()?)?;
                Some(Expr {
                    kind: ExprKind::Paren(Box::new(e)),
                    loc: l,
                })
            }
            Rule::name => {
                let mut inner = p.into_inner();
                let id = inner.next()?;
                match inner.next() {
                    Some(args) => {
                        let mut list = Vec::new();
                        for a in args.into_inner() {
                            list.push(self.expr(a)?);
                        }
                        Some(Expr {
                            kind: ExprKind::Call {
                                name: ident(&id, self.offset),
                                args: list,
                            },
                            loc: l,
                        })
                    }
                    // The name alone: `name`'s span would take in the blanks before a missing `(`.
                    None => Some(Expr {
                        kind: ExprKind::Name(id.as_str().to_string()),
                        loc: loc(&id, self.offset),
                    }),
                }
            }
            Rule::within => self.within(p),
            Rule::ident => Some(Expr {
                kind: ExprKind::Name(text.to_string()),
                loc: l,
            }),
            Rule::money => lit(Literal::Money, self, &text.replace(['$', ','], "")),
            Rule::quantity => {
                let lit = self.quantity(&p)?;
                Some(Expr {
                    kind: ExprKind::Lit(lit),
                    loc: l,
                })
            }
            Rule::string => Some(Expr {
                kind: ExprKind::Lit(Literal::Str(unquote(text))),
                loc: l,
            }),
            _ => None,
        }
    }

    fn within(&mut self, p: Pair<'_, Rule>) -> Option<Expr> {
        let l = loc(&p, self.offset);
        let mut days = None;
        let mut events = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => days = Some(ast::Count::Param(ident(&q, self.offset))),
                Rule::quantity => match self.quantity(&q)? {
                    Literal::Days(d) => days = Some(ast::Count::Lit(d)),
                    l => {
                        // `within 2 of FOMC`: the number with its unit.
                        let help = match l {
                            Literal::Number(n) if n.fract().is_zero() => {
                                format!(
                                    "write `{}d`: for example `within 1d of FOMC`",
                                    n.normalize()
                                )
                            }
                            _ => "write for example `within 1d of FOMC`".to_string(),
                        };
                        self.diags.push(
                            Diagnostic::new(
                                Code::Syntax,
                                span_of(&q, self.offset),
                                format!("expected days after `within`, found `{}`", q.as_str()),
                            )
                            .help(help),
                        );
                        return None;
                    }
                },
                Rule::event => events.push(ident(&q, self.offset)),
                _ => {}
            }
        }
        Some(Expr {
            kind: ExprKind::Within {
                days: days?,
                events,
            },
            loc: l,
        })
    }

    /// A `quantity` token: its unit decides the literal.
    fn quantity(&mut self, p: &Pair<'_, Rule>) -> Option<Literal> {
        quantity_of(p.as_str(), span_of(p, self.offset))
            .map_err(|d| self.diags.push(d))
            .ok()
    }

    fn decimal(&mut self, p: &Pair<'_, Rule>, digits: &str) -> Option<Decimal> {
        literal_of(p.as_str(), span_of(p, self.offset), digits)
            .map_err(|d| self.diags.push(d))
            .ok()
    }

    /// A swallowed statement: parse it again strictly to say what is wrong.
    fn recover(&mut self, pair: &Pair<'_, Rule>, strict: Rule) {
        let start = self.offset + pair.as_span().start();
        let slice = pair.as_str();
        let skeleton = unicode::skeleton(slice);
        let mut words = skeleton.split_whitespace();
        if strict == Rule::strict_item
            && let (Some("signal" | "param"), Some(name)) = (words.next(), words.next())
        {
            let end = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            self.unparsed_defs
                .extend(name.get(..end).map(str::to_string));
        }
        self.unparsed.extend(
            skeleton
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
                .map(str::to_string),
        );
        let trimmed = slice.trim_end();
        // A character the language never has outside strings and comments
        // is what went wrong, whatever pest tripped on first.
        if let Some((at, c)) = unicode::first_foreign(trimmed) {
            self.diags.push(unicode::foreign_char(start + at, c));
            return;
        }
        if strict == Rule::strict_item
            && let Some(d) = unknown_section(trimmed, start)
        {
            self.diags.push(d);
            return;
        }
        if strict == Rule::strict_setting
            && let Some(&(at, key)) = later_settings(trimmed).first()
            && Grammar::parse(strict, trimmed.get(..at).unwrap_or("").trim_end()).is_ok()
        {
            self.diags.push(
                Diagnostic::new(
                    Code::Syntax,
                    Span::new(start + at, start + at + key.len()),
                    "two settings on one line",
                )
                .label(format!("`{key}` starts a second setting"))
                .help("put each setting on its own line"),
            );
            return;
        }
        // `        or (rsi(vix, 14) >`: a continuation line (`and`/`or`
        // first) whose expression does not parse leaves the setting above
        // it whole on its own line, and this one read as a setting that
        // starts with `or`. What went wrong is in the continuation: read it
        // after a setting of its own (`x = 0`), mapped back to the file.
        if strict == Rule::strict_setting
            && let Some(d) = continuation_error(trimmed, start)
        {
            self.diags.push(d);
            return;
        }
        let mut d = match Grammar::parse(strict, trimmed) {
            Err(e) => match unclosed_brace(trimmed).filter(|_| strict == Rule::strict_item) {
                // A block no `}` closes runs to the end of the file: name
                // its `{` rather than whatever pest tripped on inside.
                Some(at) => Diagnostic::new(
                    Code::Syntax,
                    Span::new(start + at, start + at + 1),
                    UNCLOSED_BLOCK,
                )
                .label("this `{` is never closed")
                .help("close the block with `}` on a line after its last setting"),
                _ => pest_error(trimmed, &e, start),
            },
            Ok(_) => Diagnostic::new(
                Code::Syntax,
                Span::new(start, start + trimmed.len()),
                "unexpected text",
            )
            .help("each statement goes on its own line"),
        };
        // A guard written in a section (`exposure <= 10% of capital` in
        // `sizing`), or a setting written in `guards`: name where it goes.
        let line = trimmed.trim_start();
        if strict == Rule::strict_setting && Grammar::parse(Rule::strict_guard, line).is_ok() {
            d = d.help("this is a guard, not a setting: move it into the `guards { ... }` section");
        } else if strict == Rule::strict_guard && Grammar::parse(Rule::strict_setting, line).is_ok()
        {
            let key = line
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next();
            let sections = crate::check::sections_with_key(key.unwrap_or(""));
            if !sections.is_empty() {
                d = d.help(format!(
                    "this is a setting of {}, not a guard: move it there",
                    sections.join(" or ")
                ));
            }
        }
        // `blackout FOMC`, `no entry near CPI`: an event window meant.
        if strict == Rule::strict_guard
            && d.help.is_none()
            && let Some(fix) = blackout_meant(line)
        {
            d = d.help(format!(
                "an event blackout is written `{fix}`: no entry from that many days before the event through its day"
            ));
        }
        // `wacc_impact = 18bps`: a guard of the account's, which takes one
        // comparison only.
        let guard_form = match line.split_whitespace().next() {
            Some("wacc_impact") => Some("wacc_impact < 18bps"),
            Some("quick_ratio") => Some("quick_ratio >= 1.4 under 3 sigma"),
            Some("exposure") => Some("exposure <= 25% of capital"),
            _ => None,
        };
        if strict == Rule::strict_guard
            && d.help.is_none()
            && d.message.ends_with("found `=`")
            && let Some(form) = guard_form
        {
            d = d.help(format!("a guard is a limit, not a setting: write `{form}`"));
        }
        // `vix = 40` in a condition or as a guard: a comparison meant.
        if d.help.is_none() && d.message.ends_with("found `=`") {
            d = d.help(
                "`=` gives a setting its value; to compare, write `==` (or `!=`, `<`, `<=`, `>`, `>=`)",
            );
        }
        if let Some(at) = escaped_quote(trimmed) {
            // `"SPX \"Mastery\""`: whatever pest tripped on later, the
            // string ended at the backslash's quote.
            d = Diagnostic::new(
                Code::Syntax,
                Span::new(start + at, start + at + 2),
                "`\\\"` ends the string: strings have no escape sequences",
            )
            .label("the string ends at this quote")
            .help("leave double quotes out of names, or use single quotes inside them");
        }
        self.diags.push(d);
    }
}

/// The literal a `quantity` token `text` (at `span`) stands for: its unit decides.
fn quantity_of(text: &str, span: Span) -> Result<Literal, Diagnostic> {
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.matches('.').count() == 2 {
        if !unit.is_empty() {
            return Err(Diagnostic::new(
                Code::BadLiteral,
                span,
                format!("`{text}` is neither a version nor a number"),
            )
            .label("a version has no unit")
            .help("write a version as `1.0.0`, a number as `1.5`"));
        }
        return Ok(Literal::Version(text.to_string()));
    }
    let d = literal_of(text, span, digits)?;
    Ok(match unit {
        "%" => Literal::Percent(d),
        "bps" => Literal::Bps(d),
        "x" => Literal::Multiplier(d),
        "d" => Literal::Days(d),
        "pt" => Literal::Points(d),
        _ => Literal::Number(d),
    })
}

/// The number `digits` of the literal `text` (at `span`).
fn literal_of(text: &str, span: Span, digits: &str) -> Result<Decimal, Diagnostic> {
    // Money is dollars and cents: `$100.000` is a European `$100,000`
    // (it read $100, and the strategy checked clean on a hundredth of the
    // capital meant).
    if let Some((whole, cents)) = text
        .strip_prefix('$')
        .and_then(|t| t.split_once('.'))
        .filter(|(_, f)| f.len() > 2)
    {
        let d = Diagnostic::new(
            Code::BadLiteral,
            span,
            format!(
                "money has at most two decimals, the cents: `{text}` has {}",
                cents.len()
            ),
        )
        .label("more than cents");
        return Err(if cents.len() == 3 && !whole.starts_with('0') {
            d.help(format!(
                "thousands are separated with `,` and cents with `.`: did you mean `{}`?",
                text.replace('.', ",")
            ))
        } else {
            d.help("round it to the cent: `$0.01` is the finest amount")
        });
    }
    Decimal::from_str_exact(digits).map_err(|_| {
        // A decimal keeps at most 28 digits after the point, and its digits
        // read without the point at most 2^96 − 1 (28 or 29 significant
        // digits): say which one this number breaks.
        let places = digits.split_once('.').map_or(0, |(_, f)| f.len());
        if places > 28 {
            Diagnostic::new(Code::BadLiteral, span, format!("`{text}` is too precise"))
                .label(format!("{places} digits after the point; at most 28"))
                .help("round it to 28 decimal places or fewer")
        } else {
            Diagnostic::new(Code::BadLiteral, span, format!("`{text}` is too large"))
                .label("its digits, without the point, pass 79,228,162,514,264,337,593,543,950,335")
                .help("write a smaller number")
        }
    })
}

/// Precedence climbing over `prefix* operand (infix prefix* operand)*`.
fn climb<I: Iterator<Item = Tok>>(
    toks: &mut std::iter::Peekable<I>,
    min_bp: u8,
    depth: usize,
) -> Result<(Expr, usize), ()> {
    if depth > MAX_EXPR_DEPTH {
        return Err(());
    }
    let (mut lhs, mut lhs_depth) = match toks.next() {
        Some(Tok::Prefix(op, span)) => {
            let (rhs, d) = climb(toks, op.binding_power(), depth + 1)?;
            let loc = Loc(span.to(rhs.span()));
            (
                Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    loc,
                },
                d + 1,
            )
        }
        Some(Tok::Operand(e, d)) => (e, d),
        _ => return Err(()),
    };
    while let Some(Tok::Infix(op)) = toks.peek() {
        let op = *op;
        let (l_bp, r_bp) = op.binding_power();
        if l_bp < min_bp {
            break;
        }
        toks.next();
        let (rhs, rhs_depth) = climb(toks, r_bp, depth + 1)?;
        lhs_depth = lhs_depth.max(rhs_depth) + 1;
        if lhs_depth > MAX_EXPR_DEPTH {
            return Err(());
        }
        let loc = Loc(lhs.span().to(rhs.span()));
        lhs = Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            loc,
        };
    }
    if lhs_depth > MAX_EXPR_DEPTH {
        return Err(());
    }
    Ok((lhs, lhs_depth))
}

/// The depth of an expression tree, counted without recursion.
pub fn tree_depth(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match &e.kind {
            ExprKind::Unary(_, a) | ExprKind::Paren(a) => stack.push((a, d + 1)),
            ExprKind::Binary(_, a, b) => {
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
            ExprKind::Call { args, .. } => stack.extend(args.iter().map(|a| (a, d + 1))),
            ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Within { .. } => {}
        }
    }
    max
}

/// The word a statement starts with.
/// The settings after the first on a swallowed line such as `version =
/// 1.0.0 language = 1`: each one's key and its offset in `line`. A lone `=`
/// is no operator (`<=`, `>=`, `!=` and `==` are), so the word before each
/// `=` after the first starts another setting. Strings and a trailing
/// comment are skipped.
fn later_settings(line: &str) -> Vec<(usize, &str)> {
    let b = line.as_bytes();
    let mut found = Vec::new();
    let mut first = true;
    let mut in_string = false;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        match c {
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'/' if b.get(i) == Some(&b'/') => break,
            b'<' | b'>' | b'!' | b'=' if b.get(i) == Some(&b'=') => i += 1,
            b'=' if first => first = false,
            b'=' => {
                let end = line[..i - 1].trim_end_matches([' ', '\t']).len();
                let start = line[..end]
                    .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    .len();
                let key = &line[start..end];
                if key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    found.push((start, key));
                }
            }
            _ => {}
        }
    }
    found
}

fn leading_word(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.get(..end).unwrap_or("")
}

/// The keyword `word` is probably a typo of.
fn did_you_mean_word(word: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|&(d, c)| d > 0 && d <= (word.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c.to_string())
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}

/// The item keywords, for "did you mean".
const ITEM_KEYWORDS: &[&str] = &[
    "strategy", "account", "entry", "sizing", "hedge", "roll", "guards", "signal", "param",
];

/// `sizng { ... }`: a word where an item keyword belongs.
fn unknown_section(text: &str, start: usize) -> Option<Diagnostic> {
    let word: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() || ITEM_KEYWORDS.contains(&word.as_str()) {
        return None;
    }
    let span = Span::new(start, start + word.len());
    if text
        .get(word.len()..)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
    {
        return Some(
            Diagnostic::new(
                Code::UnknownSection,
                span,
                format!("setting `{word}` outside any section"),
            )
            .label("this line is not inside a `{ ... }` block")
            .help("move it into its section; is a `}` above it closing the section early?"),
        );
    }
    let mut d = Diagnostic::new(
        Code::UnknownSection,
        span,
        format!("unknown section `{word}`"),
    )
    .label("not a section, signal, param or guards block");
    d = match did_you_mean(&word, ITEM_KEYWORDS.iter().copied()) {
        Some(h) => d.help(h),
        None => d.help("a file holds `strategy`, `account`, `entry`, `sizing`, `hedge`, `roll`, `guards`, `signal` and `param` items"),
    };
    Some(d)
}

/// A human name for what a rule stands for, in "expected ..." messages.
fn rule_name(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::section_kw => "a section",
        Rule::guards_kw => "`guards`",
        Rule::signal_kw => "`signal`",
        Rule::param_kw => "`param`",
        Rule::label => "a label",
        Rule::block => "`{`",
        Rule::setting | Rule::key => "a setting (`name = value`)",
        Rule::terms | Rule::term | Rule::expr | Rule::bound => "a value",
        Rule::guard | Rule::blackout => "a guard",
        Rule::stress | Rule::kw_under => "`under`",
        Rule::kw_sigma => "`sigma`",
        Rule::kw_entry => "`entry`",
        Rule::kw_within | Rule::within => "`within`",
        Rule::kw_of => "`of`",
        Rule::event => "an event name",
        Rule::paren | Rule::name | Rule::ident => "a value",
        Rule::args => "`(`",
        Rule::money | Rule::quantity | Rule::string => "a value",
        Rule::op_logic | Rule::op => "an operator",
        Rule::op_not | Rule::neg => "a value",
        Rule::EOI => "end of line",
        _ => return None,
    })
}

/// The first `\"` of `text` outside a `//` comment: an attempt at an escape
/// in a string, which the language does not have.
fn escaped_quote(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = line.find("//").map_or(line, |c| &line[..c]);
        if let Some(at) = code.find("\\\"") {
            return Some(offset + at);
        }
        offset += line.len();
    }
    None
}

/// Where pest's error is, in bytes of the text parsed.
fn error_pos(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((a, _)) => a,
    }
}

/// The first `{` of `text` that no `}` closes, outside strings and `//`
/// comments.
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                for (_, c) in chars.by_ref() {
                    if c == '"' || c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek().is_some_and(|&(_, c)| c == '/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.first().copied()
}

/// Turns pest's error on `text` (which starts at byte `offset` of the file) into a diagnostic.
fn pest_error(text: &str, e: &pest::error::Error<Rule>, offset: usize) -> Diagnostic {
    use pest::error::ErrorVariant;
    let pos = error_pos(e);
    let mut expected: Vec<&str> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| rule_name(*r)).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    if expected.contains(&"a value") {
        expected.retain(|e| *e != "`within`");
    }
    let rest = text.get(pos..).unwrap_or("");
    let found_len = token_len(rest);
    let found = if found_len == 0 {
        "end of line".to_string()
    } else {
        format!("`{}`", rest.get(..found_len).unwrap_or(""))
    };
    let message = match expected.as_slice() {
        [] => format!("unexpected {found}"),
        [one] => format!("expected {one}, found {found}"),
        [init @ .., last] => format!("expected {} or {last}, found {found}", init.join(", ")),
    };
    let span = Span::new(offset + pos, offset + pos + found_len);
    let token = rest.get(..found_len).unwrap_or("");
    // `"SPX Mastery {`: a string not closed on its line (strings end
    // there) is what went wrong, not the `"` pest did not take.
    let line_rest = rest.split(['\n', '\r']).next().unwrap_or("");
    if token == "\"" && !line_rest[1..].contains('"') {
        let inside = line_rest[1..].trim_end();
        let fix = match inside.strip_suffix('{') {
            Some(name) => format!("`\"{}\" {{`", name.trim_end()),
            None => format!("`\"{inside}\"`"),
        };
        return Diagnostic::new(Code::Syntax, span, UNCLOSED_STRING)
            .label("the string starts here")
            .help(format!(
                "a string ends with `\"` on the line it starts on: {fix}"
            ));
    }
    // `(rsi(vix, 14) > 70`: the value ran on to the end of the line with a
    // `(` still open; show it, where it opens.
    if found_len == 0
        && expected.contains(&"an operator")
        && let Some(open) = unclosed_paren(text.get(..pos).unwrap_or(""))
    {
        return Diagnostic::new(
            Code::Syntax,
            span,
            format!("expected `)` or an operator, found {found}"),
        )
        .label("the value ends here")
        .related(
            Span::new(offset + open, offset + open + 1),
            "this `(` is not closed",
        )
        .help("close it with `)` where the parenthesized part ends");
    }
    // `rsi(vix, 14,` or `(vix >`: the line ended where a value was due,
    // inside a `(` still open; show it, where it opens.
    if found_len == 0
        && expected.contains(&"a value")
        && let Some(open) = unclosed_paren(text.get(..pos).unwrap_or(""))
    {
        let comma = text
            .get(..pos)
            .is_some_and(|before| before.trim_end().ends_with(','));
        return Diagnostic::new(Code::Syntax, span, message)
            .label(if comma {
                "the next argument is due here"
            } else {
                "a value is due here"
            })
            .related(
                Span::new(offset + open, offset + open + 1),
                "this `(` is not closed",
            )
            .help(if comma {
                "give the next argument, or drop the `,` and close the call with `)`"
            } else {
                "the value is missing; then close the `(` with `)`"
            });
    }
    let mut d = Diagnostic::new(Code::Syntax, span, message);
    let unit = token.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let before = text.get(..pos).unwrap_or("");
    if let Some(help) = habit(token, rest, before, &expected) {
        d = d.help(help);
    } else if token.starts_with(|c: char| c.is_ascii_digit())
        && !unit.is_empty()
        && unit.chars().all(|c| c.is_ascii_alphabetic())
        // `1d` where no quantity goes (`no entry 1d before FOMC`): the unit
        // is right, the place is not.
        && !["d", "x", "pt", "bps"].contains(&unit)
    {
        d = d.help(format!(
            "`{unit}` is not a unit: write `%`, `bps`, `x` (multiplier), `d` (days) or `pt` (index points) after a number, or put a space before a word"
        ));
    } else if matches!(token, "d" | "day" | "days")
        && text
            .get(..pos)
            .is_some_and(|before| before.trim_end().ends_with(|c: char| c.is_ascii_digit()))
    {
        // `within 1 day of FOMC`: the unit written as a word.
        let n = text.get(..pos).map_or("", |b| {
            let b = b.trim_end();
            &b[b.trim_end_matches(|c: char| c.is_ascii_digit()).len()..]
        });
        d = d.help(format!(
            "days are written with the unit `d` right after the number: `{n}d`"
        ));
    } else if token == "="
        && text.get(..pos).is_some_and(|before| {
            let code = before.rsplit('\n').next().unwrap_or(before);
            code.matches('(').count() > code.matches(')').count()
                && code
                    .trim_end()
                    .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
    {
        // `theta_decay(vix, vix3m, lookback = 10)`: a param by name.
        d = d.help(
            "arguments are passed by position, not by name: write the value alone (`rsi(vix, 14)`); a plugin takes its series first, then its params in the order `vixshield plugin list` shows (`theta_decay(vix, vix3m, 10)`)",
        );
    } else if expected == ["`sigma`"] {
        d = d.help("a stress is a number of standard deviations: `under 3 sigma`");
    } else if rest.starts_with(',') {
        d = d.help(comma_help(before, rest));
    } else if found_len == 0 && expected.contains(&"a value") {
        d = d.help("the value is missing");
    } else if expected == ["end of line"]
        && line_of(before).trim_start().starts_with("param ")
        && (token.starts_with("..") || ["+", "-", "*", "/"].contains(&token))
    {
        // `param delta = 0.15..0.20`, `param lvl = 20 + 5`.
        d = d.help(
            "a param holds one value (`param delta = 0.15`); `vixshield sweep STRATEGY --set delta=0.15..0.20:0.01` tries a range of them",
        );
    } else if expected == ["end of line"] {
        d = d.help("each statement goes on its own line");
    } else if RESERVED.contains(&token) && expected.contains(&"a value") {
        d = d.help(format!(
            "`{token}` is a keyword of the language; it cannot be a name (of a signal, a param or a series)"
        ));
    } else if expected.contains(&"a setting (`name = value`)")
        && ITEM_KEYWORDS.contains(&token)
        && rest.get(found_len..).is_some_and(|r| r.contains('{'))
    {
        d = d.help(format!(
            "`{token}` starts a section, which cannot begin inside another: is a `}}` missing above it?"
        ));
    }
    d
}

/// The code of the line `before` ends on, from its start.
fn line_of(before: &str) -> &str {
    before.rsplit('\n').next().unwrap_or(before)
}

/// The help for a habit of another language or tool, or a slip, at `token`
/// (the rest of the text from it is `rest`, the text before it `before`):
/// `;`, `#`, `&&`, `||`, `!`, `<>`, `AND`, single quotes, `[1]`, `ta.ema`,
/// a space inside `21 %` or `$ 100`, `steps: 4`, `crosses over`, `of FOMC
/// and CPI`, a `}` or `)` that closes nothing, a name with a `-`, a `param`
/// without its value; `None` for anything else.
fn habit(token: &str, rest: &str, before: &str, expected: &[&str]) -> Option<String> {
    let line = line_of(before);
    let code = line.trim_end();
    let word = |w: &str| token.eq_ignore_ascii_case(w) && token != w;
    Some(match token {
        ";" => "a statement ends with its line: remove the `;`".into(),
        "#" => "comments start with `//`: `// like this`".into(),
        "&" => "write `and`: `a and b`".into(),
        "|" => "write `or`: `a or b`".into(),
        "!" if !rest.starts_with("!=") => {
            let next = rest
                .get(1..)
                .unwrap_or("")
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next();
            format!(
                "write `not`: `not {}`",
                next.filter(|n| !n.is_empty()).unwrap_or("a")
            )
        }
        ">" if code.ends_with('<') => "write `!=` for \"not equal\"".into(),
        "'" => {
            let inside = rest
                .get(1..)
                .unwrap_or("")
                .split(['\'', '\n'])
                .next()
                .unwrap_or("");
            format!("strings are in double quotes: `\"{inside}\"`")
        }
        "[" => "there is no `[n]` index of past bars: a series is read at the bar, and \
                functions of it look back (`sma(vix, 5)`, `highest(vix, 10)`; docs/signals.md)"
            .into(),
        "%" | "bps" if code.ends_with(|c: char| c.is_ascii_digit()) && line.ends_with(' ') => {
            format!(
                "no space between a number and its unit: `{}{token}`",
                last_word(code)
            )
        }
        "$" if rest.get(1..).is_some_and(|r| r.starts_with(' ')) => {
            "no space after `$`: `$100,000`".into()
        }
        "crosses" => "write `crosses above` or `crosses below`".into(),
        "}" if expected.is_empty() => {
            "no section is open here for this `}` to close: remove it, unless a section above lost its `{` or closed early".into()
        }
        ")" if code.matches('(').count() < code.matches(')').count() + 1 => {
            "no `(` is open here for this `)` to close: remove it, or add the `(` it closes".into()
        }
        "and" if code.contains("within") && code.contains(" of ") => {
            "separate the events with commas: `within 1d of FOMC, CPI`".into()
        }
        "signal" | "param" | "hedge"
            if hyphenated(rest.get(token.len()..).unwrap_or("")).is_some() =>
        {
            let name = hyphenated(rest.get(token.len()..).unwrap_or("")).unwrap_or_default();
            format!(
                "names use `_`, not `-` (a `-` subtracts): `{token} {}`",
                name.replace('-', "_")
            )
        }
        "-" if line.trim_start().starts_with("hedge ") => {
            let whole = format!("{}{}", line.trim_start(), rest.lines().next().unwrap_or(""));
            let name = hyphenated(whole.get(5..).unwrap_or(""))?;
            format!("names use `_`, not `-`: `hedge {}`", name.replace('-', "_"))
        }
        "param" if !rest.lines().next().unwrap_or("").contains('=') => {
            "a param needs a value: `param mult = 1.6x`".into()
        }
        _ if word("and") || word("or") || word("not") => {
            format!("operators are lowercase: `{}`", token.to_ascii_lowercase())
        }
        _ if token.starts_with('.')
            && ["ta", "math", "request", "input", "strategy"].contains(&last_word(code)) =>
        {
            format!(
                "there is no `{}.` prefix: call the function by its name, `{}(...)`",
                last_word(code),
                token.get(1..).unwrap_or("")
            )
        }
        _ if expected.contains(&"a setting (`name = value`)")
            && rest
                .get(token.len()..)
                .is_some_and(|r| r.trim_start().starts_with(':')) =>
        {
            let value = rest
                .get(token.len()..)
                .and_then(|r| r.trim_start().strip_prefix(':'))
                .and_then(|r| r.lines().next())
                .map_or("", |v| v.split("//").next().unwrap_or("").trim());
            format!(
                "a setting is written with `=`: `{token} = {}`",
                if value.is_empty() { "..." } else { value }
            )
        }
        _ => return None,
    })
}

/// The name at the start of `rest` when it is words joined by `-`
/// (`theta-press`, from ` theta-press = ...`), up to the line's end.
fn hyphenated(rest: &str) -> Option<String> {
    let line = rest.lines().next().unwrap_or("").trim_start();
    let name: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let name = name.trim_end_matches('-');
    (name.contains('-')
        && !name.starts_with('-')
        && !name.starts_with(|c: char| c.is_ascii_digit()))
    .then(|| name.to_string())
}

/// The last word of `code` (letters, digits, `_`, `.`).
fn last_word(code: &str) -> &str {
    let start = code
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    code.get(start..).unwrap_or("")
}

/// The help for a `,` the grammar did not take: a trailing one, a
/// separator in a number that is not money, or money's separators.
fn comma_help(before: &str, rest: &str) -> String {
    let after = rest.get(1..).unwrap_or("");
    if after.trim_start().is_empty() || after.trim_start().starts_with("//") {
        return "remove the `,` at the end of the line: a list ends with its line".into();
    }
    let digits_before = line_of(before)
        .trim_end()
        .ends_with(|c: char| c.is_ascii_digit());
    let tail = after.trim_start_matches(|c: char| c.is_ascii_digit() || c == ',' || c == '.');
    if digits_before && tail.starts_with('$') {
        // `cash = 100,000$`: the sign goes first.
        let number = last_word(line_of(before).trim_end());
        let digits = after.get(..after.len() - tail.len()).unwrap_or("");
        return format!("the `$` goes before the amount: `${number},{digits}`");
    }
    let number = last_word(line_of(before).trim_end());
    if digits_before && !number.starts_with('$') && !number.contains('$') {
        let whole: String = format!(
            "{number}{}",
            after
                .split(|c: char| !c.is_ascii_digit() && c != ',')
                .next()
                .unwrap_or("")
        )
        .chars()
        .filter(|c| *c != ',')
        .collect();
        return format!(
            "only money takes thousands separators (`$1,800`); write other numbers without them: `{whole}`"
        );
    }
    "thousands separators group three digits: `$1,800`".into()
}

/// The blackout guard a guard line that did not parse means when it names
/// events (`blackout FOMC`, `no entry 2 days before CPI, PPI`): the events
/// it names, in capitals, and the days it gives (1 when none).
fn blackout_meant(line: &str) -> Option<String> {
    let words: Vec<&str> = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut events: Vec<String> = Vec::new();
    for w in &words {
        let e = w.to_ascii_uppercase();
        if ["FOMC", "CPI", "PPI"].contains(&e.as_str()) && !events.contains(&e) {
            events.push(e);
        }
    }
    if events.is_empty() {
        return None;
    }
    // `2d`, or `2` before `day`/`days`.
    let days = words.iter().enumerate().find_map(|(i, w)| {
        let n = w.strip_suffix('d').unwrap_or(w);
        let unit = *w != n || matches!(words.get(i + 1), Some(&("day" | "days")));
        (unit && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then_some(n)
    });
    Some(format!(
        "no entry within {}d of {}",
        days.unwrap_or("1"),
        events.join(", ")
    ))
}

/// The error of a continuation line (`or ...`, `and ...`, at `start` in the
/// file) read as the rest of a setting, with a note that it continues the
/// line above; `None` when `text` is no continuation or reads fine so.
fn continuation_error(text: &str, start: usize) -> Option<Diagnostic> {
    let body = text.trim_start();
    let at = text.len() - body.len();
    let word = body
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()?;
    if !matches!(word, "and" | "or") {
        return None;
    }
    const HEAD: &str = "x = 0 ";
    let probe = format!("{HEAD}{body}");
    let e = Grammar::parse(Rule::strict_setting, &probe).err()?;
    if error_pos(&e) < HEAD.len() {
        return None;
    }
    let offset = (start + at).checked_sub(HEAD.len())?;
    let mut d = pest_error(&probe, &e, offset);
    let note = format!(
        "this line continues the setting above it (it starts with `{word}`), which is read without it"
    );
    d.help = Some(match d.help.take() {
        Some(h) => format!("{h}; {note}"),
        None => note,
    });
    Some(d)
}

/// The words `reserved` in the grammar: operators and keywords, never names
/// (the hand parser's `reserved` reads this list, and `plugin new` refuses
/// them as a plugin's name).
pub(crate) const RESERVED: [&str; 7] = ["and", "or", "not", "of", "crosses", "within", "when"];

/// The offset of the last `(` of `text` that no `)` closes (strings and
/// comments aside), if any.
fn unclosed_paren(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' | '\r' => in_string = false,
            '"' => in_string = !in_string,
            '/' if !in_string && chars.peek().is_some_and(|&(_, n)| n == '/') => {
                while chars.peek().is_some_and(|&(_, n)| n != '\n' && n != '\r') {
                    chars.next();
                }
            }
            '(' if !in_string => open.push(i),
            ')' if !in_string => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// The length of the token at the start of `s`: a word, or one character.
fn token_len(s: &str) -> usize {
    let first = s.chars().next();
    match first {
        None | Some('\n' | '\r') => 0,
        Some(c) if c.is_alphanumeric() || c == '_' || c == '$' || c == '.' => s
            .char_indices()
            .find(|&(_, c)| {
                !(c.is_alphanumeric() || c == '_' || c == '$' || c == '.' || c == '%' || c == ',')
            })
            .map_or(s.len(), |(i, _)| i),
        Some(c) => c.len_utf8(),
    }
}
