//! Tokens of Arkime's expression language (viewer/arkimeparser.jison), matched the way
//! its flex-style lexer does: the longest match wins, ties go to the earlier rule.

/// A token kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A bare word: field names and values (`ip.src`, `10.0.0.0/8`, `*.example.com`).
    Str(String),
    /// `"..."`, unescaped.
    Quoted(String),
    /// `/.../`, the pattern between the slashes.
    Regex(String),
    /// `[a,b]`: the text between the brackets.
    List(String),
    /// `]a,b[`: a list whose values must all match.
    ListAll(String),
    /// `EXISTS!`
    Exists,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `==` or `=`
    Eq,
    /// `!=`
    Ne,
    /// `||` or `|`
    Or,
    /// `&&` or `&`
    And,
    /// `(`
    Open,
    /// `)`
    Close,
    /// `!`
    Not,
    /// Anything else.
    Invalid(char),
}

/// A token and where it starts (a character offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Kind.
    pub tok: Tok,
    /// Character offset of its first character.
    pub pos: usize,
    /// Its text as written.
    pub text: String,
}

fn is_str_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-+_.@:*?/$".contains(c)
}

/// Length of a delimited token starting at `i` (`open` at i, ends at `close`, backslash
/// escapes), or None if it never closes.
fn delimited(s: &[char], i: usize, close: char) -> Option<usize> {
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            '\\' => j += 2,
            c if c == close => return Some(j + 1 - i),
            _ => j += 1,
        }
    }
    None
}

fn unescape(s: &[char]) -> String {
    let mut out = String::new();
    let mut it = s.iter();
    while let Some(&c) = it.next() {
        if c == '\\' {
            if let Some(&n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `input` into tokens.
pub fn lex(input: &str) -> Vec<Token> {
    let s: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i].is_whitespace() {
            i += 1;
            continue;
        }
        // Candidates in rule order; the longest wins.
        let mut best: Option<(usize, Tok)> = None;
        let mut consider = |len: usize, tok: Tok| {
            if len > 0 && best.as_ref().is_none_or(|(l, _)| len > *l) {
                best = Some((len, tok));
            }
        };
        if s[i] == '"' {
            if let Some(l) = delimited(&s, i, '"') {
                consider(l, Tok::Quoted(unescape(&s[i + 1..i + l - 1])));
            }
        }
        if s[i] == '/' {
            if let Some(l) = delimited(&s, i, '/') {
                consider(l, Tok::Regex(s[i + 1..i + l - 1].iter().collect()));
            }
        }
        let word = s[i..].iter().take_while(|c| is_str_char(**c)).count();
        consider(word, Tok::Str(s[i..i + word].iter().collect()));
        if s[i] == '[' {
            if let Some(l) = delimited(&s, i, ']') {
                consider(l, Tok::List(s[i + 1..i + l - 1].iter().collect()));
            }
        }
        if s[i] == ']' {
            if let Some(l) = delimited(&s, i, '[') {
                consider(l, Tok::ListAll(s[i + 1..i + l - 1].iter().collect()));
            }
        }
        let rest: String = s[i..s.len().min(i + 7)].iter().collect();
        for (lit, tok) in [
            ("EXISTS!", Tok::Exists),
            ("<=", Tok::Lte),
            ("<", Tok::Lt),
            (">=", Tok::Gte),
            (">", Tok::Gt),
            ("!=", Tok::Ne),
            ("==", Tok::Eq),
            ("=", Tok::Eq),
            ("||", Tok::Or),
            ("|", Tok::Or),
            ("&&", Tok::And),
            ("&", Tok::And),
            ("(", Tok::Open),
            (")", Tok::Close),
            ("!", Tok::Not),
        ] {
            if rest.starts_with(lit) {
                consider(lit.chars().count(), tok);
            }
        }
        let (len, tok) = best.unwrap_or((1, Tok::Invalid(s[i])));
        out.push(Token {
            tok,
            pos: i,
            text: s[i..i + len].iter().collect(),
        });
        i += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn arkime_tokens() {
        assert_eq!(
            kinds("ip.src == 10.0.0.0/8 && port.dst>=400"),
            vec![
                Tok::Str("ip.src".into()),
                Tok::Eq,
                Tok::Str("10.0.0.0/8".into()),
                Tok::And,
                Tok::Str("port.dst".into()),
                Tok::Gte,
                Tok::Str("400".into())
            ]
        );
        assert_eq!(
            kinds(r#"host.http=="a \"b\"""#)[2],
            Tok::Quoted("a \"b\"".into())
        );
        assert_eq!(
            kinds("http.uri == /foo.*bar/")[2],
            Tok::Regex("foo.*bar".into())
        );
        assert_eq!(
            kinds("/usr/bin/x")[0],
            Tok::Str("/usr/bin/x".into()),
            "longest match: a word, not a regex"
        );
        assert_eq!(kinds("tags == [a,b]")[2], Tok::List("a,b".into()));
        assert_eq!(kinds("tags == ]a,b[")[2], Tok::ListAll("a,b".into()));
        assert_eq!(kinds("x == EXISTS!")[2], Tok::Exists);
        assert_eq!(
            kinds("a = b | c & !d"),
            vec![
                Tok::Str("a".into()),
                Tok::Eq,
                Tok::Str("b".into()),
                Tok::Or,
                Tok::Str("c".into()),
                Tok::And,
                Tok::Not,
                Tok::Str("d".into())
            ]
        );
        assert_eq!(
            kinds("a == \"open"),
            vec![
                Tok::Str("a".into()),
                Tok::Eq,
                Tok::Invalid('"'),
                Tok::Str("open".into())
            ]
        );
        assert_eq!(lex("  x")[0].pos, 2);
    }
}
