//! The expression grammar: `e := e && e | e || e | ! e | ( e ) | FIELD OP VALUE |
//! FIELD ==/!= EXISTS!`, with `&&` binding tighter than `||` and `!` tightest, as in
//! Arkime's viewer.

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

/// The parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
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
                found: format!("'{}'", t.text),
            },
            None => ParseError {
                pos: self.end,
                expected: expected.into(),
                found: "the end of the expression".into(),
            },
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.and()?;
        while matches!(self.peek().map(|t| &t.tok), Some(Tok::Or)) {
            self.i += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.unary()?;
        while matches!(self.peek().map(|t| &t.tok), Some(Tok::And)) {
            self.i += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Not) => {
                self.i += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.i += 1;
                let e = self.or()?;
                if !matches!(self.peek().map(|t| &t.tok), Some(Tok::Close)) {
                    return Err(self.err("')' or an operator (&&, ||)"));
                }
                self.i += 1;
                Ok(e)
            }
            Some(Tok::Str(field)) => {
                let pos = self.peek().map_or(0, |t| t.pos);
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
                    Some(Tok::List(v)) => RawValue::List(list_items(&v)),
                    Some(Tok::ListAll(v)) => RawValue::ListAll(list_items(&v)),
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
                })
            }
            _ => Err(self.err("a field name, '!' or '('")),
        }
    }
}

/// Parses an expression.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        toks: lex(input),
        i: 0,
        end: input.chars().count(),
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

    fn cmp(field: &str, op: Op, v: &str, pos: usize) -> Expr {
        Expr::Cmp {
            field: field.into(),
            op,
            value: RawValue::Str(v.into()),
            pos,
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tightest() {
        let e = parse("a==1 || b==2 && !c==3").unwrap();
        assert_eq!(
            e,
            Expr::Or(
                Box::new(cmp("a", Op::Eq, "1", 0)),
                Box::new(Expr::And(
                    Box::new(cmp("b", Op::Eq, "2", 8)),
                    Box::new(Expr::Not(Box::new(cmp("c", Op::Eq, "3", 17))))
                ))
            )
        );
        let e = parse("(a==1 || b==2) && c!=EXISTS!").unwrap();
        assert!(
            matches!(e, Expr::And(_, ref r) if **r == Expr::Exists { field: "c".into(), exists: false, pos: 18 })
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
                pos: 0
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
}
