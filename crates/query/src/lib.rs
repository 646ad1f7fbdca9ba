//! Arkime's search expression language (`ip.src == 10.0.0.0/8 && port.dst == 400-500 &&
//! host.http == *.example.com`): a lexer and parser giving positioned errors, and the
//! resolution of field names and values into one typed [`Query`].

mod lexer;
mod parser;
mod resolve;
pub mod search;

pub use lexer::{lex, Tok, Token};
pub use parser::{excerpt, parse, Expr, Op, ParseError, RawValue, MAX_DEPTH, MAX_TERMS};
pub use resolve::{resolve, Match, Query, ResolveError, FILE_KIND};
pub use search::{Bounding, Hit, SearchOpts};

/// Parses and resolves in one step.
pub fn compile(input: &str, reg: &trawl_fields::FieldRegistry) -> Result<Query, String> {
    let e = parse(input).map_err(|e| e.to_string())?;
    resolve(&e, reg).map_err(|e| e.to_string())
}
