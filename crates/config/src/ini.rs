//! A key-file parser with GLib `GKeyFile` semantics, as used by Arkime's `config.ini`.
//!
//! What it accepts, following `g_key_file_load_from_data`:
//! * `[section]` headers (trailing spaces/tabs allowed, no `[`, `]` or control
//!   characters in the name); a repeated header continues the earlier section;
//! * `key=value` lines; leading whitespace of the line and of the value is
//!   dropped, whitespace before the `=` is dropped, a key must not contain `[`
//!   or `]` (except a GLib locale suffix such as `name[de]`);
//! * blank lines and comment lines starting with `#`. Lines starting with `;`
//!   are also treated as comments (GLib would read them as oddly named keys that
//!   no one ever looks up, so skipping them changes no lookup);
//! * `\r\n` line endings and a leading UTF-8 byte-order mark.
//!
//! Anything else (a line that is neither, or a key before the first section) is a
//! [`ConfigError::Syntax`] naming the file and line.
//!
//! Values are kept raw; [`unescape`] and [`split_list`] turn them into what
//! `g_key_file_get_string` / `g_key_file_get_string_list` return: `\s`, `\n`,
//! `\t`, `\r` and `\\` are escapes, and in lists `\;` is a literal `;`. So the
//! file text `a\\.pcap` reads as `a\.pcap`.
//!
//! Where GLib reports an error for a value (an unknown escape such as `\.`, or a
//! lone `\` at the end) this parser is lenient: the backslash is kept as written.
//! GLib's `get_string` also keeps an unknown escape, but its `get_string_list`
//! drops the whole value.

use crate::ConfigError;

/// One `key=value` line of a section.
#[derive(Clone, Debug)]
struct Meta {
    /// The value as written after `=` (leading whitespace removed), escapes intact.
    raw: String,
    /// Index into [`Ini::sources`] of the file (or other origin) that set it.
    source: usize,
}

/// A `[section]` and its keys, in the order they were first set.
#[derive(Clone, Debug)]
struct Section {
    name: String,
    /// `(key, value)` with the value unescaped and trimmed, the shape handed out by
    /// [`Ini::section`].
    pairs: Vec<(String, String)>,
    /// Parallel to `pairs`.
    meta: Vec<Meta>,
}

impl Section {
    fn position(&self, key: &str) -> Option<usize> {
        self.pairs.iter().position(|(k, _)| k == key)
    }
}

/// A found value: the unescaped, trimmed value, the raw text and where it came from.
#[derive(Clone, Copy, Debug)]
pub struct Value<'a> {
    /// The value as `g_key_file_get_string` returns it, then trimmed.
    pub value: &'a str,
    /// The value as written in the file, escapes intact.
    pub raw: &'a str,
    /// The file (or other origin) that set it.
    pub source: &'a str,
}

/// A parsed key file: sections in file order, each with its keys in file order.
#[derive(Clone, Debug, Default)]
pub struct Ini {
    sections: Vec<Section>,
    sources: Vec<String>,
}

impl Ini {
    /// An empty key file with no sections.
    pub fn new() -> Ini {
        Ini::default()
    }

    /// Parses key-file text; `source` names it in errors (usually the file name).
    pub fn parse(text: &str, source: &str) -> Result<Ini, ConfigError> {
        let mut ini = Ini::new();
        ini.merge_text(text.as_bytes(), source)?;
        Ok(ini)
    }

    /// Parses key-file bytes. Comment lines may hold any bytes; every other line
    /// must be UTF-8.
    pub fn parse_bytes(bytes: &[u8], source: &str) -> Result<Ini, ConfigError> {
        let mut ini = Ini::new();
        ini.merge_text(bytes, source)?;
        Ok(ini)
    }

    /// Parses `bytes` and sets every key it holds into `self`, later values
    /// replacing earlier ones (the way Arkime merges `includes=` files).
    pub fn merge_text(&mut self, bytes: &[u8], source: &str) -> Result<(), ConfigError> {
        let src = self.add_source(source);
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut current: Option<usize> = None;

        for (idx, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = idx + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let start = line
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(line.len());
            let line = &line[start..];
            if matches!(line.first(), None | Some(b'#') | Some(b';')) {
                continue;
            }
            let syntax = |message: String| ConfigError::Syntax {
                file: source.to_string(),
                line: line_no,
                message,
            };
            let line = std::str::from_utf8(line)
                .map_err(|_| syntax("line is not valid UTF-8".to_string()))?;

            if line.starts_with('[') {
                let name = parse_group(line)
                    .ok_or_else(|| syntax(format!("malformed section header '{line}'")))?;
                current = Some(self.section_index_or_insert(name));
            } else if let Some(eq) = line.find('=').filter(|&eq| eq > 0) {
                let key = line[..eq].trim_end_matches(|c: char| c.is_ascii_whitespace());
                if !is_key_name(key) {
                    return Err(syntax(format!("invalid key name '{key}'")));
                }
                let raw = line[eq + 1..].trim_start_matches(|c: char| c.is_ascii_whitespace());
                let Some(sec) = current else {
                    return Err(syntax(format!(
                        "key '{key}' appears before any [section] header"
                    )));
                };
                self.set_in(sec, key, raw.to_string(), src);
            } else {
                return Err(syntax(format!(
                    "'{line}' is not a key=value pair, a [section] or a comment"
                )));
            }
        }
        Ok(())
    }

    /// Merges every key of `other` into `self`, replacing values already set.
    pub fn merge(&mut self, other: &Ini) {
        for section in &other.sections {
            let sec = self.section_index_or_insert(&section.name);
            for ((key, _), meta) in section.pairs.iter().zip(&section.meta) {
                let src_name = other.sources.get(meta.source).map_or("", String::as_str);
                let src = self.add_source(src_name);
                self.set_in(sec, key, meta.raw.clone(), src);
            }
        }
    }

    /// Sets a key to a raw (escaped) value, as `g_key_file_set_value` does;
    /// `source` names the origin in errors. Invalid section or key names are ignored,
    /// as GLib ignores them.
    pub fn set_raw(&mut self, section: &str, key: &str, raw: &str, source: &str) {
        if parse_group(&format!("[{section}]")).is_none() || !is_key_name(key) {
            return;
        }
        let src = self.add_source(source);
        let sec = self.section_index_or_insert(section);
        self.set_in(sec, key, raw.to_string(), src);
    }

    /// Sets a key to a literal string, as `g_key_file_set_string` does (the value
    /// is escaped so that reading it back gives the same text).
    pub fn set_string(&mut self, section: &str, key: &str, value: &str, source: &str) {
        self.set_raw(section, key, &escape(value), source);
    }

    /// Whether the section exists (even if empty).
    pub fn has_section(&self, name: &str) -> bool {
        self.find_section(name).is_some()
    }

    /// Section names in file order.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.name.as_str())
    }

    /// A section's `(key, value)` pairs in file order, values unescaped and trimmed.
    pub fn section(&self, name: &str) -> Option<&[(String, String)]> {
        self.find_section(name).map(|s| s.pairs.as_slice())
    }

    /// Looks a key up in one section.
    pub fn get(&self, section: &str, key: &str) -> Option<Value<'_>> {
        let sec = self.find_section(section)?;
        let pos = sec.position(key)?;
        let (_, value) = sec.pairs.get(pos)?;
        let meta = sec.meta.get(pos)?;
        Some(Value {
            value,
            raw: &meta.raw,
            source: self.sources.get(meta.source).map_or("", String::as_str),
        })
    }

    fn find_section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn section_index_or_insert(&mut self, name: &str) -> usize {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            return i;
        }
        self.sections.push(Section {
            name: name.to_string(),
            pairs: Vec::new(),
            meta: Vec::new(),
        });
        self.sections.len() - 1
    }

    fn add_source(&mut self, source: &str) -> usize {
        if let Some(i) = self.sources.iter().position(|s| s == source) {
            return i;
        }
        self.sources.push(source.to_string());
        self.sources.len() - 1
    }

    /// Sets `key` in section number `sec`: a key already there keeps its place and
    /// takes the new value (GLib's lookup also sees the last value written).
    fn set_in(&mut self, sec: usize, key: &str, raw: String, source: usize) {
        let Some(section) = self.sections.get_mut(sec) else {
            return;
        };
        let value = unescape(&raw).trim().to_string();
        let meta = Meta { raw, source };
        match section.position(key) {
            Some(pos) => {
                if let (Some(pair), Some(m)) =
                    (section.pairs.get_mut(pos), section.meta.get_mut(pos))
                {
                    pair.1 = value;
                    *m = meta;
                }
            }
            None => {
                section.pairs.push((key.to_string(), value));
                section.meta.push(meta);
            }
        }
    }
}

/// Returns the section name of a `[name]` line (spaces/tabs may follow the `]`), or
/// `None` when the line is not a valid header.
fn parse_group(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let name = &rest[..close];
    let tail = &rest[close + 1..];
    let valid_name = !name.is_empty() && !name.chars().any(|c| c == '[' || c.is_control());
    (valid_name && tail.chars().all(|c| c == ' ' || c == '\t')).then_some(name)
}

/// GLib's key-name rule: non-empty, no `=`, `[` or `]`, no leading or trailing
/// space; an optional `[locale]` suffix made of alphanumerics and `-_.@`.
fn is_key_name(key: &str) -> bool {
    let (base, locale) = match key.find('[') {
        Some(open) => (&key[..open], Some(&key[open + 1..])),
        None => (key, None),
    };
    if base.is_empty() || base.starts_with(' ') || base.ends_with(' ') || base.contains(['=', ']'])
    {
        return false;
    }
    match locale {
        None => true,
        Some(rest) => rest.strip_suffix(']').is_some_and(|loc| {
            loc.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        }),
    }
}

/// Decodes one escape (the character after a `\`); `None` for an unknown one.
fn escape_char(c: char) -> Option<char> {
    match c {
        's' => Some(' '),
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '\\' => Some('\\'),
        _ => None,
    }
}

/// Decodes a raw value the way `g_key_file_get_string` does (`\s \n \t \r \\`);
/// unknown escapes and a trailing lone `\` are kept as written.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e) => match escape_char(e) {
                Some(d) => out.push(d),
                None => {
                    out.push('\\');
                    out.push(e);
                }
            },
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a raw value on unescaped `;` the way `g_key_file_get_string_list` does,
/// decoding escapes in each piece (`\;` gives a literal `;`). Like GLib, a trailing
/// `;` does not produce an empty last item; pieces are not trimmed here.
pub fn split_list(raw: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            ';' => items.push(std::mem::take(&mut cur)),
            '\\' => match chars.next() {
                Some(';') => cur.push(';'),
                Some(e) => match escape_char(e) {
                    Some(d) => cur.push(d),
                    None => {
                        cur.push('\\');
                        cur.push(e);
                    }
                },
                None => cur.push('\\'),
            },
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        items.push(cur);
    }
    items
}

/// Encodes a literal string as a raw value, as `g_key_file_set_string` does:
/// backslashes and line breaks are escaped, as are leading spaces and tabs.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut leading = true;
    for c in value.chars() {
        match c {
            ' ' if leading => out.push_str("\\s"),
            '\t' if leading => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => {
                out.push_str("\\\\");
                leading = false;
            }
            _ => {
                out.push(c);
                leading = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_comments() {
        let text = "# top comment\n\n[default]\n  key1 = value one  \n; semicolon comment\nkey2=a=b\n\t# indented comment\n[other]   \nx=1\r\n[default]\nkey3=late\n";
        let ini = Ini::parse(text, "t.ini").unwrap();
        assert_eq!(
            ini.section_names().collect::<Vec<_>>(),
            ["default", "other"]
        );
        let v = ini.get("default", "key1").unwrap();
        assert_eq!(v.value, "value one");
        assert_eq!(v.raw, "value one  ");
        assert_eq!(v.source, "t.ini");
        assert_eq!(ini.get("default", "key2").unwrap().value, "a=b");
        assert_eq!(ini.get("other", "x").unwrap().value, "1");
        let keys: Vec<_> = ini
            .section("default")
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["key1", "key2", "key3"]);
        assert!(ini.get("default", "; semicolon comment").is_none());
        assert!(ini.section("missing").is_none());
    }

    #[test]
    fn duplicate_key_keeps_position_and_last_value() {
        let ini = Ini::parse("[s]\na=1\nb=2\na=3\n", "t").unwrap();
        assert_eq!(
            ini.section("s").unwrap(),
            &[
                ("a".to_string(), "3".to_string()),
                ("b".to_string(), "2".to_string())
            ]
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = Ini::parse("[default]\nok=1\njust words\n", "bad.ini").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bad.ini:3"), "{msg}");
        assert!(msg.contains("just words"), "{msg}");

        let err = Ini::parse("key=1\n[default]\n", "bad.ini").unwrap_err();
        assert!(err.to_string().contains("before any [section]"), "{err}");

        let err = Ini::parse("[default\n", "bad.ini").unwrap_err();
        assert!(
            err.to_string().contains("malformed section header"),
            "{err}"
        );

        let err = Ini::parse("[a]b]\n", "bad.ini").unwrap_err();
        assert!(err.to_string().contains("bad.ini:1"), "{err}");

        let err = Ini::parse("[s]\n=value\n", "bad.ini").unwrap_err();
        assert!(err.to_string().contains("bad.ini:2"), "{err}");

        let err = Ini::parse("[s]\nk]ey=1\n", "bad.ini").unwrap_err();
        assert!(err.to_string().contains("invalid key name"), "{err}");
    }

    #[test]
    fn locale_keys_bom_and_non_utf8_comments() {
        let mut bytes = b"\xEF\xBB\xBF[s]\n# caf\xE9 latin-1 comment\nName[de]=x\n".to_vec();
        let ini = Ini::parse_bytes(&bytes, "t").unwrap();
        assert_eq!(ini.get("s", "Name[de]").unwrap().value, "x");
        bytes.extend_from_slice(b"k=\xE9\n");
        let err = Ini::parse_bytes(&bytes, "t").unwrap_err();
        assert!(err.to_string().contains("t:4"), "{err}");
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn glib_escapes() {
        assert_eq!(unescape(r"a\sb\tc\\d"), "a b\tc\\d");
        assert_eq!(unescape(r"x\ny\rz"), "x\ny\rz");
        // Unknown escapes and a lone trailing backslash stay as written.
        assert_eq!(unescape(r"gre-(.*)\.pcap\"), r"gre-(.*)\.pcap\");
        assert_eq!(unescape(r"a\;b"), r"a\;b");
        // The config.test.ini filenameOps value: `\\` in the file is one `\`.
        let raw = r"tags=/gre-(.*)\\.pcap%gretest-\\1;tags=dns-error%error-dns";
        assert_eq!(
            split_list(raw),
            [
                r"tags=/gre-(.*)\.pcap%gretest-\1",
                "tags=dns-error%error-dns"
            ]
        );
    }

    #[test]
    fn list_splitting() {
        assert_eq!(split_list("a;b;"), ["a", "b"]);
        assert_eq!(split_list("a;;b"), ["a", "", "b"]);
        assert_eq!(split_list(r"a\;b;c"), ["a;b", "c"]);
        assert_eq!(split_list(""), Vec::<String>::new());
        assert_eq!(split_list(" x ; y "), [" x ", " y "]);
    }

    #[test]
    fn escape_round_trips() {
        for s in ["  lead", "a\\b", "line\nbreak", "semi;colon", "tab\tin", ""] {
            assert_eq!(unescape(&escape(s)), s, "{s:?}");
        }
        assert_eq!(escape("  a b"), r"\s\sa b");
    }

    #[test]
    fn set_and_merge() {
        let mut a = Ini::parse("[default]\nx=1\ny=2\n", "a.ini").unwrap();
        let b = Ini::parse("[default]\ny=20\nz=30\n[new]\nk=v\n", "b.ini").unwrap();
        a.merge(&b);
        assert_eq!(a.get("default", "x").unwrap().value, "1");
        let y = a.get("default", "y").unwrap();
        assert_eq!((y.value, y.source), ("20", "b.ini"));
        assert_eq!(a.get("default", "z").unwrap().value, "30");
        assert_eq!(a.get("new", "k").unwrap().value, "v");

        a.set_string("default", "w", r"c:\dir;x", "env");
        let w = a.get("default", "w").unwrap();
        assert_eq!(w.value, r"c:\dir;x");
        assert_eq!(split_list(w.raw), [r"c:\dir", "x"]);
        // Invalid names are ignored, as GLib does.
        a.set_string("default", "", "v", "env");
        a.set_string("bad]name", "k", "v", "env");
        assert!(!a.has_section("bad]name"));
    }
}
