//! The expression grammar: `e := e && e | e || e | ! e | ( e ) | FIELD OP VALUE |
//! FIELD ==/!= EXISTS!`, with `&&` binding tighter than `||` and `!` tightest, as in
//! Arkime's viewer.
//!
//! Chains of `&&` and `||` parse into one n-ary node each, so a long flat chain is a
//! wide tree, not a deep one; nesting (parentheses and `!`) is limited to
//! [`MAX_DEPTH`] and the number of comparisons (list items counted one each) to
//! [`MAX_TERMS`], so no expression can exhaust the stack or memory of whoever parses,
//! resolves, translates or drops it.

use crate::lexer::{lex, Tok, Token};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

/// A value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawValue {
    /// A bare word (may hold `*`/`?` wildcards, a CIDR, a range).
    Str(String),
    /// A quoted string (no wildcards).
    Quoted(String),
    /// A regex.
    Regex(String),
    /// `[a,b]`: any of.
    List(Vec<String>),
    /// `]a,b[`: all of.
    ListAll(Vec<String>),
}

/// How deep parentheses and `!` may nest.
pub const MAX_DEPTH: usize = 100;
/// How many comparisons (each item of a `[list]` counted) an expression may hold: the
/// default `indices.query.bool.max_clause_count` of Elasticsearch 7 and OpenSearch.
pub const MAX_TERMS: usize = 1024;

/// The parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// All of (two or more).
    And(Vec<Expr>),
    /// Any of (two or more).
    Or(Vec<Expr>),
    /// Not.
    Not(Box<Expr>),
    /// `field op value`.
    Cmp {
        /// Field name as written.
        field: String,
        /// Operator.
        op: Op,
        /// Value.
        value: RawValue,
        /// Character offset of the field name.
        pos: usize,
        /// Character offset of the value.
        value_pos: usize,
    },
    /// `field == EXISTS!` (`exists` false for `!=`).
    Exists {
        /// Field name.
        field: String,
        /// Whether it must exist.
        exists: bool,
        /// Character offset of the field name.
        pos: usize,
    },
}

/// A syntax error: where, what was expected, what was found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at character {pos}: expected {expected}, found {found}")]
pub struct ParseError {
    /// Character offset (0-based).
    pub pos: usize,
    /// What would have been valid there.
    pub expected: String,
    /// What was there.
    pub found: String,
}

/// At most 60 characters of `s` (with `…` when cut), so an error never echoes a long
/// input back whole.
pub fn excerpt(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(60) {
        None => s.into(),
        Some((i, _)) => format!("{}…", &s[..i]).into(),
    }
}

/// Splits a list body on commas, honouring quotes and backslash escapes.
fn list_items(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    end: usize,
    /// Current nesting of parentheses and `!`.
    depth: usize,
    /// Comparisons so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn err(&self, expected: &str) -> ParseError {
        match self.peek() {
            Some(t) => ParseError {
                pos: t.pos,
                expected: expected.into(),
                found: format!("'{}'", excerpt(&t.text)),
            },
            None => ParseError {
                pos: self.end,
                expected: expected.into(),
                found: "the end of the expression".into(),
            },
        }
    }

    /// A limit error at the current token.
    fn limit(&self, what: String) -> ParseError {
        ParseError {
            pos: self.peek().map_or(self.end, |t| t.pos),
            expected: what,
            found: match self.peek() {
                Some(t) => format!("'{}'", excerpt(&t.text)),
                None => "the end of the expression".into(),
            },
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut v = vec![self.and()?];
        while matches!(self.peek().map(|t| &t.tok), Some(Tok::Or)) {
            self.i += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.swap_remove(0)
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut v = vec![self.unary()?];
        while matches!(self.peek().map(|t| &t.tok), Some(Tok::And)) {
            self.i += 1;
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.swap_remove(0)
        } else {
            Expr::And(v)
        })
    }

    /// Enters one level of nesting, or says the expression nests too deep.
    fn nest(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.limit(format!(
                "at most {MAX_DEPTH} levels of parentheses and '!' (the expression nests deeper)"
            )));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Not) => {
                self.nest()?;
                self.i += 1;
                let e = Expr::Not(Box::new(self.unary()?));
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::Open) => {
                self.nest()?;
                self.i += 1;
                let e = self.or()?;
                if !matches!(self.peek().map(|t| &t.tok), Some(Tok::Close)) {
                    return Err(self.err("')' or an operator (&&, ||)"));
                }
                self.i += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::Str(field)) => {
                let pos = self.peek().map_or(0, |t| t.pos);
                self.count(1)?;
                self.i += 1;
                let op = match self.peek().map(|t| &t.tok) {
                    Some(Tok::Eq) => Op::Eq,
                    Some(Tok::Ne) => Op::Ne,
                    Some(Tok::Lt) => Op::Lt,
                    Some(Tok::Lte) => Op::Lte,
                    Some(Tok::Gt) => Op::Gt,
                    Some(Tok::Gte) => Op::Gte,
                    _ => {
                        return Err(
                            self.err("a comparison (==, !=, <, <=, >, >=) after the field name")
                        )
                    }
                };
                self.i += 1;
                let value_pos = self.peek().map_or(self.end, |t| t.pos);
                let value = match self.peek().map(|t| t.tok.clone()) {
                    Some(Tok::Exists) if matches!(op, Op::Eq | Op::Ne) => {
                        self.i += 1;
                        return Ok(Expr::Exists {
                            field,
                            exists: op == Op::Eq,
                            pos,
                        });
                    }
                    Some(Tok::Str(v)) => RawValue::Str(v),
                    Some(Tok::Quoted(v)) => RawValue::Quoted(v),
                    Some(Tok::Regex(v)) => RawValue::Regex(v),
                    Some(Tok::List(v)) => RawValue::List(self.items(&v)?),
                    Some(Tok::ListAll(v)) => RawValue::ListAll(self.items(&v)?),
                    _ => {
                        return Err(
                            self.err("a value (word, \"quoted\", /regex/, [list] or EXISTS!)")
                        )
                    }
                };
                self.i += 1;
                Ok(Expr::Cmp {
                    field,
                    op,
                    value,
                    pos,
                    value_pos,
                })
            }
            _ => Err(self.err("a field name, '!' or '('")),
        }
    }

    /// Counts `n` more comparisons against [`MAX_TERMS`].
    fn count(&mut self, n: usize) -> Result<(), ParseError> {
        self.terms = self.terms.saturating_add(n);
        if self.terms > MAX_TERMS {
            return Err(self.limit(format!(
                "at most {MAX_TERMS} comparisons and list items (the expression has more)"
            )));
        }
        Ok(())
    }

    /// The items of a list value, each counted as a comparison.
    fn items(&mut self, body: &str) -> Result<Vec<String>, ParseError> {
        let v = list_items(body);
        self.count(v.len().saturating_sub(1))?;
        Ok(v)
    }
}

/// Parses an expression.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        toks: lex(input),
        i: 0,
        end: input.chars().count(),
        depth: 0,
        terms: 0,
    };
    let e = p.or()?;
    if p.peek().is_some() {
        return Err(p.err("'&&', '||' or the end of the expression"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `field` at `pos`, a two-character operator right after it, then the value.
    fn cmp(field: &str, op: Op, v: &str, pos: usize) -> Expr {
        Expr::Cmp {
            field: field.into(),
            op,
            value: RawValue::Str(v.into()),
            pos,
            value_pos: pos + field.len() + 2,
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tightest() {
        let e = parse("a==1 || b==2 && !c==3").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                cmp("a", Op::Eq, "1", 0),
                Expr::And(vec![
                    cmp("b", Op::Eq, "2", 8),
                    Expr::Not(Box::new(cmp("c", Op::Eq, "3", 17)))
                ])
            ])
        );
        let e = parse("(a==1 || b==2) && c!=EXISTS!").unwrap();
        assert!(
            matches!(e, Expr::And(ref v) if v[1] == Expr::Exists { field: "c".into(), exists: false, pos: 18 })
        );
        // A chain is one node, however long.
        let e = parse("a==1 && b==2 && c==3 || d==4").unwrap();
        assert!(
            matches!(e, Expr::Or(ref v) if v.len() == 2 && matches!(v[0], Expr::And(ref a) if a.len() == 3))
        );
    }

    #[test]
    fn lists_and_values() {
        let e = parse(r#"tags == [a, "b,c", d\,e]"#).unwrap();
        assert_eq!(
            e,
            Expr::Cmp {
                field: "tags".into(),
                op: Op::Eq,
                value: RawValue::List(vec!["a".into(), "b,c".into(), "d,e".into()]),
                pos: 0,
                value_pos: 8,
            }
        );
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = parse("ip.src == ").unwrap_err();
        assert_eq!(e.pos, 10);
        assert!(e.expected.starts_with("a value"), "{e}");
        assert_eq!(e.found, "the end of the expression");
        let e = parse("ip.src 1.2.3.4").unwrap_err();
        assert_eq!((e.pos, e.found.as_str()), (7, "'1.2.3.4'"));
        let e = parse("(a == 1").unwrap_err();
        assert!(e.expected.contains("')'"));
        let e = parse("a == 1 b == 2").unwrap_err();
        assert_eq!(e.pos, 7);
        let e = parse("a < EXISTS!").unwrap_err();
        assert_eq!(e.pos, 4);
        assert!(parse("").is_err());
        assert!(parse("a == 1 &&").is_err());
        for s in ["((((", "!!!!", "a==", "&&", "a == [", "\"", "a == b)"] {
            assert!(parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn limits_say_which() {
        // Up to the limit is fine, one more is an error naming the limit.
        let ok = format!("{}a==1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!(
            "{}a==1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let e = parse(&deep).unwrap_err();
        assert!(e.expected.contains("levels of parentheses"), "{e}");
        assert_eq!(e.pos, MAX_DEPTH);
        let e = parse(&format!("{}a==1", "!".repeat(2000))).unwrap_err();
        assert!(e.expected.contains("levels of parentheses and '!'"), "{e}");
        // Mixed nesting counts both.
        let e = parse(&format!("{}a==1{}", "!(".repeat(60), ")".repeat(60))).unwrap_err();
        assert!(e.expected.contains("levels"), "{e}");

        let chain = |n: usize, op: &str| vec!["a==1"; n].join(op);
        assert!(parse(&chain(MAX_TERMS, " || ")).is_ok());
        for op in [" || ", " && "] {
            let e = parse(&chain(MAX_TERMS + 1, op)).unwrap_err();
            assert!(e.expected.contains("comparisons"), "{e}");
        }
        let list = format!("a == [{}]", vec!["1"; MAX_TERMS + 1].join(","));
        assert!(parse(&list).unwrap_err().expected.contains("list items"));
        let list = format!("a == [{}]", vec!["1"; MAX_TERMS].join(","));
        assert!(parse(&list).is_ok());
        // The error shows a short excerpt, not the input.
        let e = parse(&format!(
            "{}{}",
            "(".repeat(MAX_DEPTH + 1),
            "x".repeat(100_000)
        ))
        .unwrap_err();
        assert!(e.to_string().len() < 300, "{}", e.to_string().len());
    }
}
