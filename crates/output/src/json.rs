//! A minimal JSON writer for documents whose shape the code controls.

use std::fmt::Write;

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(esc);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Builds one JSON object, handling the commas.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, k);
        self.out.push(':');
    }

    /// `"k":n`
    pub fn num(&mut self, k: &str, n: impl std::fmt::Display) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "{n}");
        self
    }

    /// `"k":"s"`
    pub fn str(&mut self, k: &str, s: &str) -> &mut Self {
        self.key(k);
        push_str(self.out, s);
        self
    }

    /// `"k":true|false`
    pub fn bool(&mut self, k: &str, b: bool) -> &mut Self {
        self.key(k);
        self.out.push_str(if b { "true" } else { "false" });
        self
    }

    /// `"k":[n,...]`
    pub fn nums<T: std::fmt::Display>(
        &mut self,
        k: &str,
        it: impl IntoIterator<Item = T>,
    ) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for (i, n) in it.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let _ = write!(self.out, "{n}");
        }
        self.out.push(']');
        self
    }

    /// `"k":["s",...]`
    pub fn strs<'s>(&mut self, k: &str, it: impl IntoIterator<Item = &'s str>) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for (i, s) in it.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_str(self.out, s);
        }
        self.out.push(']');
        self
    }

    /// `"k":[raw,...]` where each item is already JSON.
    pub fn raw_list<'s>(&mut self, k: &str, it: impl IntoIterator<Item = &'s str>) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for (i, s) in it.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(s);
        }
        self.out.push(']');
        self
    }

    /// `"k":{...}` built by `f`.
    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        self.key(k);
        let mut o = Obj::new(self.out);
        f(&mut o);
        o.close();
        self
    }

    /// Writes the closing brace.
    pub fn close(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nests() {
        let mut s = String::new();
        let mut o = Obj::new(&mut s);
        o.str("a", "x\"y\\z\n\u{1}é")
            .num("n", 5)
            .nums("l", [1, 2])
            .obj("o", |o| {
                o.bool("t", true);
            });
        o.strs("e", []);
        o.close();
        assert_eq!(
            s,
            r#"{"a":"x\"y\\z\n\u0001é","n":5,"l":[1,2],"o":{"t":true},"e":[]}"#
        );
    }
}
