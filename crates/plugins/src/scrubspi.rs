//! scrubspi (Arkime's scrubspi.so): before a session is saved, string fields named in
//! the `[scrubspi]` section have a regex replaced, e.g. `http.uri=/github/foohub/` (the
//! first character of the value is the delimiter; a field list may be comma-separated).

use regex::Regex;
use trawl_fields::{FieldId, FieldRegistry, FieldType, FieldValue};
use trawl_session::{Plugin, Session, Shared};

/// Most entries Arkime takes.
const MAX: usize = 100;

/// The compiled `[scrubspi]` entries.
#[derive(Debug)]
pub struct ScrubSpi {
    entries: Vec<(FieldId, Regex, String)>,
}

/// GLib's replacement syntax (`\0`..`\9`, `\g<n>`) in the regex crate's (`${n}`).
fn replacement(glib: &str) -> String {
    let mut out = String::with_capacity(glib.len());
    let mut it = glib.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match it.peek().copied() {
                Some(d @ '0'..='9') => {
                    it.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('\\') => {
                    it.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

impl ScrubSpi {
    /// Compiles `entries` (the section's `field[,field]=/search/replace/` lines);
    /// errors name the entry, as Arkime's exit messages do.
    pub fn new(entries: &[(String, String)], reg: &FieldRegistry) -> Result<ScrubSpi, String> {
        let mut out = Vec::new();
        for (key, value) in entries {
            let mut chars = value.chars();
            let Some(delim) = chars.next() else {
                return Err(format!(
                    "'{key}=' has no value, should be '/search pcre/replace literal/'"
                ));
            };
            let parts: Vec<&str> = chars.as_str().split(delim).collect();
            if parts.len() < 2 {
                return Err(format!(
                    "'{value}' bad format, should be '/search pcre/replace literal/'"
                ));
            }
            let search =
                Regex::new(parts[0]).map_err(|e| format!("Couldn't compile {}: {e}", parts[0]))?;
            for f in key.split(',').map(str::trim) {
                let id = reg
                    .by_expression(f)
                    .ok_or_else(|| format!("Field {f} in section [scrubspi] not found"))?;
                let ty = reg.get(id).map(|d| d.ty);
                if !matches!(
                    ty,
                    Some(
                        FieldType::Str
                            | FieldType::StrArray
                            | FieldType::StrHash
                            | FieldType::StrGHash
                    )
                ) {
                    return Err(format!("Field {f} in [scrubspi] is not of type string"));
                }
                if out.len() >= MAX {
                    return Err(format!("Too many [scrubspi] items, max is {MAX}"));
                }
                out.push((id, search.clone(), replacement(parts[1])));
            }
        }
        if out.is_empty() {
            tracing::warn!("[scrubspi] section is empty");
        }
        Ok(ScrubSpi { entries: out })
    }
}

impl Plugin for ScrubSpi {
    fn name(&self) -> &'static str {
        "scrubspi"
    }

    fn save(&self, shared: &Shared, s: &mut Session, _final: bool) {
        for (id, search, replace) in &self.entries {
            let values: Vec<String> = match s.fields.get(*id) {
                Some(FieldValue::Str(v)) => vec![v.clone()],
                Some(FieldValue::StrList(v)) => v.clone(),
                Some(FieldValue::StrSet(v)) => v.as_slice().to_vec(),
                _ => continue,
            };
            let _ = s.fields.take(*id);
            for v in values {
                let new = search.replace_all(&v, replace.as_str());
                s.fields.string_add(&shared.fields, *id, &new);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glib_replacements() {
        assert_eq!(replacement("Sheepskin Boots"), "Sheepskin Boots");
        assert_eq!(replacement(r"x\1y$"), "x${1}y$$");
        let re = Regex::new("(o+)").unwrap();
        assert_eq!(
            re.replace_all("foo", replacement(r"<\1>").as_str()),
            "f<oo>"
        );
    }

    #[test]
    fn entries() {
        let mut reg = FieldRegistry::new();
        reg.define(
            "http",
            "termfield",
            "http.uri",
            "",
            "http.uri",
            "",
            FieldType::StrHash,
            0,
        );
        reg.define("x", "integer", "n", "", "n", "", FieldType::Int, 0);
        let ok = ScrubSpi::new(&[("http.uri".into(), "/a(b)/c/".into())], &reg).unwrap();
        assert_eq!(ok.entries.len(), 1);
        assert!(ScrubSpi::new(&[("nope".into(), "/a/b/".into())], &reg).is_err());
        assert!(ScrubSpi::new(&[("n".into(), "/a/b/".into())], &reg).is_err());
        assert!(ScrubSpi::new(&[("http.uri".into(), "".into())], &reg).is_err());
        assert!(ScrubSpi::new(&[("http.uri".into(), "/(/x/".into())], &reg).is_err());
    }
}
