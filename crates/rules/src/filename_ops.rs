//! `filenameOps`: field operations chosen by the name of the pcap file a session was
//! read from (`fieldexpr=regex%value`, the value expanding `\1`.. to the regex's
//! groups), run on each new session of that file.

use crate::{Op, OpTarget};
use regex::Regex;
use trawl_fields::{FieldId, FieldRegistry};

/// One compiled `filenameOps` item.
#[derive(Debug)]
pub struct FilenameOp {
    field: FieldId,
    regex: Regex,
    expand: String,
}

/// Compiles the `filenameOps` items; a malformed one is an error naming it.
pub fn compile(items: &[String], reg: &FieldRegistry) -> Result<Vec<FilenameOp>, String> {
    let mut out = Vec::new();
    for item in items.iter().filter(|i| !i.is_empty()) {
        let bad =
            |why: &str| format!("filenameOps: must be FieldExpr=regex%value, {why}: '{item}'");
        let (exp, rest) = item.split_once('=').ok_or_else(|| bad("missing '='"))?;
        let (re, value) = rest.split_once('%').ok_or_else(|| bad("missing '%'"))?;
        if re.is_empty() {
            return Err(bad("empty regex"));
        }
        if value.is_empty() {
            return Err(bad("empty value"));
        }
        let field = reg
            .by_expression(exp)
            .ok_or_else(|| bad(&format!("unknown field '{exp}'")))?;
        let regex = Regex::new(re).map_err(|e| bad(&format!("bad regex ({e})")))?;
        out.push(FilenameOp {
            field,
            regex,
            expand: value.to_string(),
        });
    }
    if out.len() > 256 {
        return Err("filenameOps: at most 256 items".into());
    }
    Ok(out)
}

/// The operations for sessions read from `filename`.
pub fn ops_for(ops: &[FilenameOp], filename: &str) -> Vec<Op> {
    ops.iter()
        .filter_map(|f| {
            let caps = f.regex.captures(filename)?;
            Some(Op::new(OpTarget::Field(f.field), &expand(&f.expand, &caps)))
        })
        .collect()
}

/// Expands `\0`..`\9` to groups (an unmatched group is empty) and `\\` to `\`.
fn expand(template: &str, caps: &regex::Captures<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut it = template.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some(d) if d.is_ascii_digit() => {
                it.next();
                let n = usize::from(d as u8 - b'0');
                out.push_str(caps.get(n).map_or("", |m| m.as_str()));
            }
            Some('\\') => {
                it.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use trawl_fields::FieldType;

    #[test]
    fn suite_items() {
        let mut reg = FieldRegistry::new();
        let tags = reg.define(
            "general",
            "termfield",
            "tags",
            "Tags",
            "tags",
            "",
            FieldType::StrHash,
            0,
        );
        let items = vec![
            r"tags=/gre-(.*)\.pcap%gretest-\1".to_string(),
            "tags=dns-error%error-dns".to_string(),
        ];
        let ops = compile(&items, &reg).unwrap();
        let got = ops_for(&ops, "pcap/gre-erspan-vxlan.pcap");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].target, OpTarget::Field(tags));
        assert_eq!(got[0].value, "gretest-erspan-vxlan");
        assert_eq!(ops_for(&ops, "pcap/dns-error.pcap")[0].value, "error-dns");
        assert!(ops_for(&ops, "pcap/gre.pcap").is_empty());
    }

    #[test]
    fn malformed_items() {
        let reg = FieldRegistry::new();
        for bad in ["tags", "tags=x", "tags=%v", "tags=x%", "nope=x%v"] {
            assert!(compile(&[bad.to_string()], &reg).is_err(), "{bad}");
        }
    }
}
