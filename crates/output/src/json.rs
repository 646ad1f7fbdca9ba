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

/// Told what a document holds as it is written, so that a consumer (the embedded
/// store) need not read the JSON back: the members entered and left, and where each
/// value landed in the output.
pub trait Recorder {
    /// A member called `key` of the current object begins.
    fn enter(&mut self, key: &str);
    /// The member entered last ends.
    fn leave(&mut self);
    /// A value of the current member (or one element of its array) was written at
    /// `out[start..]`: a number, a string literal, `true`/`false`, or JSON written
    /// whole (the items of [`Obj::raw_list`]).
    fn value(&mut self, out: &str, start: usize);
}

/// Builds one JSON object, handling the commas.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
    rec: Option<&'a mut dyn Recorder>,
}

impl<'a> Obj<'a> {
    /// Opens an object.
    pub fn new(out: &'a mut String) -> Self {
        Self::recorded(out, None)
    }

    /// Opens an object whose members `rec` is told of.
    pub fn recorded(out: &'a mut String, rec: Option<&'a mut dyn Recorder>) -> Self {
        out.push('{');
        Obj {
            out,
            first: true,
            rec,
        }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, k);
        self.out.push(':');
        if let Some(r) = self.rec.as_deref_mut() {
            r.enter(k);
        }
    }

    /// Tells the recorder of the value written since `start`.
    fn wrote(&mut self, start: usize) {
        if let Some(r) = self.rec.as_deref_mut() {
            r.value(self.out, start);
        }
    }

    fn end(&mut self) {
        if let Some(r) = self.rec.as_deref_mut() {
            r.leave();
        }
    }

    /// `"k":n`
    pub fn num(&mut self, k: &str, n: impl std::fmt::Display) -> &mut Self {
        self.key(k);
        let start = self.out.len();
        let _ = write!(self.out, "{n}");
        self.wrote(start);
        self.end();
        self
    }

    /// `"k":"s"`
    pub fn str(&mut self, k: &str, s: &str) -> &mut Self {
        self.key(k);
        let start = self.out.len();
        push_str(self.out, s);
        self.wrote(start);
        self.end();
        self
    }

    /// `"k":true|false`
    pub fn bool(&mut self, k: &str, b: bool) -> &mut Self {
        self.key(k);
        let start = self.out.len();
        self.out.push_str(if b { "true" } else { "false" });
        self.wrote(start);
        self.end();
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
            let start = self.out.len();
            let _ = write!(self.out, "{n}");
            self.wrote(start);
        }
        self.out.push(']');
        self.end();
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
            let start = self.out.len();
            push_str(self.out, s);
            self.wrote(start);
        }
        self.out.push(']');
        self.end();
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
            let start = self.out.len();
            self.out.push_str(s);
            self.wrote(start);
        }
        self.out.push(']');
        self.end();
        self
    }

    /// `"k":{...}` built by `f`.
    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj)) -> &mut Self {
        self.key(k);
        // (A recorder behind an Option is not shortened to the inner object's life
        // by itself.)
        let rec = self.rec.as_deref_mut().map(|r| r as &mut dyn Recorder);
        let mut o = Obj::recorded(self.out, rec);
        f(&mut o);
        o.close();
        self.end();
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

    /// Writes down what it is told, as `path=value` lines.
    #[derive(Default)]
    struct Log {
        path: Vec<String>,
        lines: Vec<String>,
    }

    impl Recorder for Log {
        fn enter(&mut self, key: &str) {
            self.path.push(key.to_string());
        }
        fn leave(&mut self) {
            self.path.pop();
        }
        fn value(&mut self, out: &str, start: usize) {
            self.lines
                .push(format!("{}={}", self.path.join("."), &out[start..]));
        }
    }

    #[test]
    fn the_recorder_hears_every_member_and_where_its_values_are() {
        let mut s = String::from("prefix");
        let mut log = Log::default();
        let mut o = Obj::recorded(&mut s, Some(&mut log));
        o.str("a", "x\"y")
            .num("n", 5)
            .nums("l", [1, 22])
            .obj("o", |o| {
                o.bool("t", false).strs("s", ["p", "q"]);
            })
            .raw_list("r", [r#"{"k":1}"#]);
        o.close();
        assert_eq!(
            s,
            r#"prefix{"a":"x\"y","n":5,"l":[1,22],"o":{"t":false,"s":["p","q"]},"r":[{"k":1}]}"#
        );
        // Each value is told as soon as it is written: the output then ends with it.
        assert_eq!(
            log.lines,
            [
                r#"a="x\"y""#,
                "n=5",
                "l=1",
                "l=22",
                "o.t=false",
                r#"o.s="p""#,
                r#"o.s="q""#,
                r#"r={"k":1}"#,
            ]
        );
        assert!(log.path.is_empty());
    }

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
