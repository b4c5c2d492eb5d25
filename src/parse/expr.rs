//! The expression sub-language, parsed by hand for the fast path.
//!
//! Each function here is one rule of `grammar/vixshield.pest` (`terms`,
//! `term`, `guard`, `expr`, `infix`, `primary`, the literals, ...), written
//! out the way pest runs it: ordered choice, greedy repetition without
//! backtracking, and the implicit `WHITESPACE`/`COMMENT` skip between the
//! parts of a sequence and between repetitions in non-atomic rules, the skip
//! kept even when what follows it matches nothing. A function takes a byte
//! position and returns where its rule ends (`None` where the rule fails, with
//! nothing left behind), so that spans come out exactly as pest's pairs give
//! them. The trees are built with the same precedence climbing and literal
//! conversions as `Builder` in `mod.rs`.
//!
//! The fast path (`super::fast_file`) only keeps an item when each of its
//! values ends where the fast rules say the value's text ends (up to blanks
//! and a comment) and nothing here needs a diagnostic ([`Hand::needs_full`]);
//! any other item is read again with the full rules, which decide. The unit
//! tests (`tests.rs`) compare these functions with pest's rules; the fuzz
//! tests compare whole parses.
//!
//! Recursion: `paren` and `args` recurse through `expr`, at most [`MAX_DEPTH`]
//! deep (deeper is left to the full parse; the depth pre-scan normally rejects
//! it first); prefix chains and operator chains are loops, climbed by
//! [`super::climb`] with its own depth limit.

use super::{MAX_DEPTH, Tok, climb, literal_of, quantity_of};
use crate::ast::{BinOp, Count, Expr, ExprKind, Guard, Ident, Literal, Term, UnOp};
use crate::source::{Loc, Span};

/// The hand-written parser over one text.
pub(super) struct Hand<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Operands and operators of the expressions being read (a stack shared by nested ones).
    toks: Vec<Tok>,
    /// How many `paren`s and `args` are open.
    depth: usize,
    /// Set when nesting went deeper than [`MAX_DEPTH`].
    deep: bool,
    /// Set when a literal or an expression of the parse needs a diagnostic
    /// (and cleared again when the rule that read it fails, as pest would
    /// never have built it).
    bad: bool,
}

fn ident_char(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn ident_start(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
}

fn digit(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_digit())
}

fn loc(a: usize, b: usize) -> Loc {
    Loc(Span::new(a, b))
}

impl<'a> Hand<'a> {
    pub(super) fn new(text: &'a str) -> Hand<'a> {
        Hand {
            text,
            b: text.as_bytes(),
            toks: Vec::new(),
            depth: 0,
            deep: false,
            bad: false,
        }
    }

    /// Whether what was read since the last [`Hand::reset`] is for the full
    /// grammar: something needs a diagnostic, or nesting went too deep to
    /// follow here.
    pub(super) fn needs_full(&self) -> bool {
        self.bad || self.deep
    }

    /// Forgets what was read (after the full grammar took over).
    pub(super) fn reset(&mut self) {
        self.toks.clear();
        self.depth = 0;
        self.deep = false;
        self.bad = false;
    }

    fn at(&self, p: usize) -> Option<u8> {
        self.b.get(p).copied()
    }

    fn slice(&self, a: usize, b: usize) -> &'a str {
        self.text.get(a..b).unwrap_or("")
    }

    /// The implicit skip: `WHITESPACE* ~ (COMMENT ~ WHITESPACE*)*`.
    pub(super) fn skip(&self, mut p: usize) -> usize {
        loop {
            match self.at(p) {
                Some(b' ' | b'\t') => p += 1,
                Some(b'/') if self.at(p + 1) == Some(b'/') => {
                    p += 2;
                    while !matches!(self.at(p), None | Some(b'\n' | b'\r')) {
                        p += 1;
                    }
                }
                _ => return p,
            }
        }
    }

    /// `NEWLINE`: `"\n" | "\r\n" | "\r"`.
    fn newline(&self, p: usize) -> Option<usize> {
        match self.at(p)? {
            b'\n' => Some(p + 1),
            b'\r' if self.at(p + 1) == Some(b'\n') => Some(p + 2),
            b'\r' => Some(p + 1),
            _ => None,
        }
    }

    /// `NEWLINE+` in a non-atomic rule: `NEWLINE ~ (skip ~ NEWLINE)*`.
    fn newlines1(&self, p: usize) -> Option<usize> {
        let mut q = self.newline(p)?;
        loop {
            match self.newline(self.skip(q)) {
                Some(r) => q = r,
                None => return Some(q),
            }
        }
    }

    /// `NEWLINE*` in a non-atomic rule.
    fn newlines(&self, p: usize) -> usize {
        self.newlines1(p).unwrap_or(p)
    }

    /// `e*` in a non-atomic rule: `e` tried once, then again after each skip.
    fn rep(&mut self, p: usize, mut e: impl FnMut(&mut Self, usize) -> Option<usize>) -> usize {
        let Some(mut q) = e(self, p) else { return p };
        loop {
            let t = self.skip(q);
            match e(self, t) {
                Some(r) => q = r,
                None => return q,
            }
        }
    }

    /// `"word" ~ !ident_char`.
    fn word(&self, p: usize, w: &[u8]) -> Option<usize> {
        let end = p + w.len();
        (self.b.get(p..end) == Some(w) && !ident_char(self.at(end))).then_some(end)
    }

    /// `reserved`: an operator or a keyword, never a name.
    fn reserved(&self, p: usize) -> bool {
        super::RESERVED
            .iter()
            .any(|w| self.word(p, w.as_bytes()).is_some())
    }

    /// `ident_start ~ ident_char*` (an `event`; an `ident` when not reserved).
    fn name_end(&self, p: usize) -> Option<usize> {
        if !ident_start(self.at(p)) {
            return None;
        }
        let mut q = p + 1;
        while ident_char(self.at(q)) {
            q += 1;
        }
        Some(q)
    }

    /// `ident`.
    fn ident(&self, p: usize) -> Option<usize> {
        if self.reserved(p) {
            return None;
        }
        self.name_end(p)
    }

    /// `op_logic`.
    fn op_logic(&self, p: usize) -> Option<(BinOp, usize)> {
        if let Some(e) = self.word(p, b"and") {
            return Some((BinOp::And, e));
        }
        self.word(p, b"or").map(|e| (BinOp::Or, e))
    }

    /// `op`.
    fn op(&self, p: usize) -> Option<(BinOp, usize)> {
        for (w, op) in [
            (&b"and"[..], BinOp::And),
            (b"or", BinOp::Or),
            (b"of", BinOp::Of),
        ] {
            if let Some(e) = self.word(p, w) {
                return Some((op, e));
            }
        }
        if self.b.get(p..p + 7) == Some(b"crosses") {
            let mut q = p + 7;
            while matches!(self.at(q), Some(b' ' | b'\t')) {
                q += 1;
            }
            if q > p + 7 {
                if let Some(e) = self.word(q, b"above") {
                    return Some((BinOp::CrossAbove, e));
                }
                if let Some(e) = self.word(q, b"below") {
                    return Some((BinOp::CrossBelow, e));
                }
            }
        }
        let two = |s: &[u8]| self.b.get(p..p + 2) == Some(s);
        if two(b"<=") {
            return Some((BinOp::Le, p + 2));
        }
        if two(b">=") {
            return Some((BinOp::Ge, p + 2));
        }
        if two(b"!=") {
            return Some((BinOp::Ne, p + 2));
        }
        if two(b"==") {
            return Some((BinOp::Eq, p + 2));
        }
        let op = match self.at(p)? {
            b'<' => BinOp::Lt,
            b'>' => BinOp::Gt,
            b'+' => BinOp::Add,
            b'-' => BinOp::Sub,
            b'*' => BinOp::Mul,
            b'/' => BinOp::Div,
            _ => return None,
        };
        Some((op, p + 1))
    }

    /// `prefix`: `op_not | neg`, pushed as a token.
    fn prefix(&mut self, p: usize) -> Option<usize> {
        if let Some(e) = self.word(p, b"not") {
            self.toks.push(Tok::Prefix(UnOp::Not, Span::new(p, e)));
            return Some(e);
        }
        if self.at(p) == Some(b'-') {
            self.toks.push(Tok::Prefix(UnOp::Neg, Span::new(p, p + 1)));
            return Some(p + 1);
        }
        None
    }

    /// `infix`: `(NEWLINE+ ~ op_logic | op) ~ NEWLINE*`, the operator pushed as a token.
    fn infix(&mut self, p: usize) -> Option<usize> {
        let logic = self.newlines1(p).and_then(|q| self.op_logic(self.skip(q)));
        let (op, end) = logic.or_else(|| self.op(p))?;
        self.toks.push(Tok::Infix(op));
        Some(self.newlines(self.skip(end)))
    }

    /// `expr`: `prefix* ~ primary ~ (infix ~ prefix* ~ primary)*`, climbed.
    pub(super) fn expr(&mut self, p: usize) -> Option<(Expr, usize)> {
        self.expr_depth(p).map(|(e, _, end)| (e, end))
    }

    /// [`Hand::expr`], with the depth of the tree.
    fn expr_depth(&mut self, p: usize) -> Option<(Expr, usize, usize)> {
        let base = self.toks.len();
        let q = self.rep(p, Self::prefix);
        let q = self.skip(q);
        let Some((operand, q)) = self.primary(q) else {
            self.toks.truncate(base);
            return None;
        };
        self.toks.push(operand);
        let q = self.skip(q);
        let end = self.rep(q, |s, t| {
            let mark = s.toks.len();
            let r = s.infix(t).and_then(|u| {
                let u = s.rep(s.skip(u), Self::prefix);
                let (operand, v) = s.primary(s.skip(u))?;
                s.toks.push(operand);
                Some(v)
            });
            if r.is_none() {
                s.toks.truncate(mark);
            }
            r
        });
        let mut toks = self.toks.drain(base..).peekable();
        let climbed = climb(&mut toks, 0, 0);
        drop(toks);
        match climbed {
            Ok((e, depth)) => Some((e, depth, end)),
            Err(()) => {
                self.bad = true;
                Some((placeholder(p, end), 1, end))
            }
        }
    }

    /// `primary`: `literal | paren | within | name`, as an operand token.
    fn primary(&mut self, p: usize) -> Option<(Tok, usize)> {
        let leaf = |(e, end)| (Tok::Operand(e, 1), end);
        match self.at(p)? {
            b'$' => self.money(p).map(leaf),
            b'0'..=b'9' => {
                let end = self.quantity(p)?;
                Some((Tok::Operand(self.quantity_expr(p, end), 1), end))
            }
            b'"' => self.string(p).map(leaf),
            b'(' => self.paren(p),
            _ => match self.within(p) {
                Some(w) => Some(leaf(w)),
                None => self.name(p),
            },
        }
    }

    /// `money`: `"$" ~ ASCII_DIGIT+ ~ ("," ~ ASCII_DIGIT{3} ~ !ASCII_DIGIT)* ~ ("." ~ ASCII_DIGIT+)?`.
    fn money(&mut self, p: usize) -> Option<(Expr, usize)> {
        let mut q = p + 1;
        if !digit(self.at(q)) {
            return None;
        }
        while digit(self.at(q)) {
            q += 1;
        }
        while self.at(q) == Some(b',')
            && (q + 1..q + 4).all(|i| digit(self.at(i)))
            && !digit(self.at(q + 4))
        {
            q += 4;
        }
        if self.at(q) == Some(b'.') && digit(self.at(q + 1)) {
            q += 1;
            while digit(self.at(q)) {
                q += 1;
            }
        }
        let text = self.slice(p, q);
        let span = Span::new(p, q);
        let digits = text.replace(['$', ','], "");
        let kind = match literal_of(text, span, &digits) {
            Ok(d) => ExprKind::Lit(Literal::Money(d)),
            Err(_) => {
                self.bad = true;
                return Some((placeholder(p, q), q));
            }
        };
        Some((
            Expr {
                kind,
                loc: Loc(span),
            },
            q,
        ))
    }

    /// `quantity`: `ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+){0, 2} ~ unit? ~ !ident_char`; its end.
    fn quantity(&self, p: usize) -> Option<usize> {
        let mut q = p;
        if !digit(self.at(q)) {
            return None;
        }
        while digit(self.at(q)) {
            q += 1;
        }
        for _ in 0..2 {
            if self.at(q) == Some(b'.') && digit(self.at(q + 1)) {
                q += 1;
                while digit(self.at(q)) {
                    q += 1;
                }
            } else {
                break;
            }
        }
        for unit in [&b"%"[..], b"bps", b"pt", b"x", b"d"] {
            if self.b.get(q..q + unit.len()) == Some(unit) {
                q += unit.len();
                break;
            }
        }
        (!ident_char(self.at(q))).then_some(q)
    }

    /// The literal a `quantity` token stands for.
    fn quantity_lit(&mut self, p: usize, end: usize) -> Option<Literal> {
        match quantity_of(self.slice(p, end), Span::new(p, end)) {
            Ok(lit) => Some(lit),
            Err(_) => {
                self.bad = true;
                None
            }
        }
    }

    fn quantity_expr(&mut self, p: usize, end: usize) -> Expr {
        match self.quantity_lit(p, end) {
            Some(lit) => Expr {
                kind: ExprKind::Lit(lit),
                loc: loc(p, end),
            },
            None => placeholder(p, end),
        }
    }

    /// `string`: `"\"" ~ (!("\"" | NEWLINE) ~ ANY)* ~ "\""`.
    fn string(&mut self, p: usize) -> Option<(Expr, usize)> {
        let mut q = p + 1;
        loop {
            match self.at(q) {
                Some(b'"') => break,
                None | Some(b'\n' | b'\r') => return None,
                Some(_) => q += 1,
            }
        }
        let text = self.slice(p + 1, q).to_string();
        Some((
            Expr {
                kind: ExprKind::Lit(Literal::Str(text)),
                loc: loc(p, q + 1),
            },
            q + 1,
        ))
    }

    /// Runs `f` one `paren` or `args` deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            self.deep = true;
            return None;
        }
        let bad = self.bad;
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        if r.is_none() {
            self.bad = bad;
        }
        r
    }

    /// `paren`: `"(" ~ NEWLINE* ~ expr ~ NEWLINE* ~ ")"`.
    fn paren(&mut self, p: usize) -> Option<(Tok, usize)> {
        self.nested(|s| s.paren_inner(p))
    }

    fn paren_inner(&mut self, p: usize) -> Option<(Tok, usize)> {
        let q = self.skip(self.newlines(self.skip(p + 1)));
        let (inner, depth, q) = self.expr_depth(q)?;
        let q = self.skip(self.newlines(self.skip(q)));
        if self.at(q) != Some(b')') {
            return None;
        }
        let e = Expr {
            kind: ExprKind::Paren(Box::new(inner)),
            loc: loc(p, q + 1),
        };
        Some((Tok::Operand(e, depth + 1), q + 1))
    }

    /// `name`: `ident ~ args?`; a call when the arguments are there.
    fn name(&mut self, p: usize) -> Option<(Tok, usize)> {
        let ie = self.ident(p)?;
        let q = self.skip(ie);
        let name = self.slice(p, ie).to_string();
        match self.args(q) {
            Some((args, depth, end)) => {
                let e = Expr {
                    kind: ExprKind::Call {
                        name: Ident {
                            name,
                            loc: loc(p, ie),
                        },
                        args,
                    },
                    loc: loc(p, end),
                };
                Some((Tok::Operand(e, depth + 1), end))
            }
            None => {
                let e = Expr {
                    kind: ExprKind::Name(name),
                    loc: loc(p, ie),
                };
                Some((Tok::Operand(e, 1), q))
            }
        }
    }

    /// `args`: `"(" ~ NEWLINE* ~ (expr ~ (NEWLINE* ~ "," ~ NEWLINE* ~ expr)*)? ~ NEWLINE* ~ ")"`;
    /// the arguments, the depth of the deepest (0 for none) and the end.
    fn args(&mut self, p: usize) -> Option<(Vec<Expr>, usize, usize)> {
        if self.at(p) != Some(b'(') {
            return None;
        }
        self.nested(|s| s.args_inner(p))
    }

    fn args_inner(&mut self, p: usize) -> Option<(Vec<Expr>, usize, usize)> {
        let mut q = self.skip(self.newlines(self.skip(p + 1)));
        let mut list = Vec::new();
        let mut deepest = 0;
        if let Some((first, d, r)) = self.expr_depth(q) {
            list.push(first);
            deepest = d;
            let r = self.skip(r);
            q = self.rep(r, |s, t| {
                let u = s.skip(s.newlines(t));
                if s.at(u) != Some(b',') {
                    return None;
                }
                let u = s.skip(s.newlines(s.skip(u + 1)));
                let (e, d, v) = s.expr_depth(u)?;
                list.push(e);
                deepest = deepest.max(d);
                Some(v)
            });
        }
        let q = self.skip(self.newlines(self.skip(q)));
        if self.at(q) != Some(b')') {
            return None;
        }
        Some((list, deepest, q + 1))
    }

    /// `within`: `kw_within ~ (quantity | ident) ~ kw_of ~ event ~ ("," ~ event)*`.
    fn within(&mut self, p: usize) -> Option<(Expr, usize)> {
        let q = self.skip(self.word(p, b"within")?);
        let (qe, named) = match self.quantity(q) {
            Some(e) => (e, false),
            None => (self.ident(q)?, true),
        };
        let r = self.skip(self.word(self.skip(qe), b"of")?);
        let mut events = Vec::new();
        let ee = self.name_end(r)?;
        events.push(self.ident_at(r, ee));
        let r = self.skip(ee);
        let end = self.rep(r, |s, t| {
            if s.at(t) != Some(b',') {
                return None;
            }
            let u = s.skip(t + 1);
            let e = s.name_end(u)?;
            events.push(s.ident_at(u, e));
            Some(e)
        });
        let days = match (named, self.quantity_lit_or_name(q, qe, named)) {
            (true, _) => Count::Param(self.ident_at(q, qe)),
            (false, Some(Literal::Days(d))) => Count::Lit(d),
            _ => {
                self.bad = true;
                return Some((placeholder(p, end), end));
            }
        };
        Some((
            Expr {
                kind: ExprKind::Within { days, events },
                loc: loc(p, end),
            },
            end,
        ))
    }

    fn ident_at(&self, a: usize, b: usize) -> Ident {
        Ident {
            name: self.slice(a, b).to_string(),
            loc: loc(a, b),
        }
    }

    /// `term`: `kw_when | expr ~ (range_op ~ expr)?`.
    fn term(&mut self, p: usize) -> Option<(Term, usize)> {
        if let Some(end) = self.word(p, b"when") {
            let when = Expr {
                kind: ExprKind::Name("when".into()),
                loc: loc(p, end),
            };
            return Some((Term::Expr(when), end));
        }
        let (lo, q) = self.expr(p)?;
        let q = self.skip(q);
        if self.b.get(q..q + 2) == Some(b"..") {
            let u = self.skip(q + 2);
            if let Some((hi, end)) = self.expr(u) {
                return Some((Term::Range(Box::new(lo), Box::new(hi), loc(p, end)), end));
            }
        }
        Some((Term::Expr(lo), q))
    }

    /// `terms`: `term ~ (!(NEWLINE | "}" | EOI) ~ term)*`.
    pub(super) fn terms(&mut self, p: usize) -> Option<(Vec<Term>, usize)> {
        let (first, q) = self.term(p)?;
        let mut list = vec![first];
        let q = self.skip(q);
        let end = self.rep(q, |s, t| {
            if matches!(s.at(t), None | Some(b'\n' | b'\r' | b'}')) {
                return None;
            }
            let (term, e) = s.term(s.skip(t))?;
            list.push(term);
            Some(e)
        });
        Some((list, end))
    }

    /// `guard`: `blackout | expr ~ stress?`.
    pub(super) fn guard(&mut self, p: usize) -> Option<(Guard, usize)> {
        if let Some(r) = self.blackout(p) {
            return Some(r);
        }
        let (expr, q) = self.expr(p)?;
        let q = self.skip(q);
        if let Some((sigma, end)) = self.stress(q) {
            return Some((
                Guard::Condition {
                    expr,
                    stress: Some((sigma, loc(q, end))),
                    loc: loc(p, end),
                },
                end,
            ));
        }
        Some((
            Guard::Condition {
                expr,
                stress: None,
                loc: loc(p, q),
            },
            q,
        ))
    }

    /// `blackout`: `kw_no ~ kw_entry ~ within`.
    fn blackout(&mut self, p: usize) -> Option<(Guard, usize)> {
        let q = self.skip(self.word(p, b"no")?);
        let q = self.skip(self.word(q, b"entry")?);
        let (within, end) = self.within(q)?;
        Some((
            Guard::Blackout {
                within,
                loc: loc(p, end),
            },
            end,
        ))
    }

    /// `stress`: `kw_under ~ (quantity | ident) ~ kw_sigma`; the number of
    /// standard deviations.
    fn stress(&mut self, p: usize) -> Option<(Count, usize)> {
        let q = self.skip(self.word(p, b"under")?);
        let (qe, named) = match self.quantity(q) {
            Some(e) => (e, false),
            None => (self.ident(q)?, true),
        };
        let end = self.word(self.skip(qe), b"sigma")?;
        match (named, self.quantity_lit_or_name(q, qe, named)) {
            (true, _) => Some((Count::Param(self.ident_at(q, qe)), end)),
            (false, Some(Literal::Number(d))) => Some((Count::Lit(d), end)),
            _ => {
                self.bad = true;
                Some((Count::Lit(rust_decimal::Decimal::ZERO), end))
            }
        }
    }

    /// The literal of the quantity from `p` to `end`, unless it is a name.
    fn quantity_lit_or_name(&mut self, p: usize, end: usize, named: bool) -> Option<Literal> {
        if named {
            return None;
        }
        self.quantity_lit(p, end)
    }
}

/// Stands in for an expression whose diagnostic the full parse will give.
fn placeholder(a: usize, b: usize) -> Expr {
    Expr {
        kind: ExprKind::Name(String::new()),
        loc: loc(a, b),
    }
}
