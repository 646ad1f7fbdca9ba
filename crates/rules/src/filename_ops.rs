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

/// The target an op's field expression names: a field, or one of the special
/// targets Arkime's `arkime_field_by_exp` knows that trawl has.
pub fn op_target(reg: &FieldRegistry, name: &str) -> Option<OpTarget> {
    Some(match name {
        "_dontSaveSPI" | "dontSaveSPI" => OpTarget::StopSpi,
        "_maxPacketsToSave" => OpTarget::MaxPacketsToSave,
        "_minPacketsBeforeSavingSPI" => OpTarget::MinPacketsBeforeSavingSpi,
        "_flipSrcDst" => OpTarget::FlipSrcDst,
        n => OpTarget::Field(reg.by_expression(n)?),
    })
}

/// One `FieldExpr=value` item of `--op` or of `add-file --op`, as Arkime's
/// `arkime_field_ops_parse`: the expression is up to the first `=`; the error is
/// Arkime's text.
pub fn parse_op(item: &str, reg: &FieldRegistry) -> Result<Op, String> {
    let Some((name, value)) = item.split_once('=') else {
        return Err(format!("Must be FieldExpr=value, missing equal '{item}'"));
    };
    if value.is_empty() {
        return Err(format!("Must be FieldExpr=value, empty value for '{item}'"));
    }
    let target = op_target(reg, name)
        .ok_or_else(|| format!("Must be FieldExpr=value, Unknown field expression '{name}'"))?;
    Ok(Op::new(target, value))
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

/// A registry holding Arkime's `tags` field, for tests.
#[cfg(test)]
pub(crate) fn tags_registry() -> (FieldRegistry, trawl_fields::FieldId) {
    let mut reg = FieldRegistry::new();
    let tags = reg.define(
        "general",
        "termfield",
        "tags",
        "Tags",
        "tags",
        "",
        trawl_fields::FieldType::StrHash,
        0,
    );
    (reg, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_items() {
        let (reg, tags) = tags_registry();
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
    fn ops_parse_with_arkimes_errors() {
        let (reg, tags) = tags_registry();
        let op = parse_op("tags=a=b", &reg).unwrap();
        assert_eq!(
            (op.target, op.value.as_str()),
            (OpTarget::Field(tags), "a=b")
        );
        assert_eq!(
            parse_op("_maxPacketsToSave=10", &reg).unwrap().target,
            OpTarget::MaxPacketsToSave
        );
        assert_eq!(
            parse_op("tags", &reg).unwrap_err(),
            "Must be FieldExpr=value, missing equal 'tags'"
        );
        assert_eq!(
            parse_op("tags=", &reg).unwrap_err(),
            "Must be FieldExpr=value, empty value for 'tags='"
        );
        assert_eq!(
            parse_op("no.such=1", &reg).unwrap_err(),
            "Must be FieldExpr=value, Unknown field expression 'no.such'"
        );
    }

    #[test]
    fn malformed_items() {
        let reg = FieldRegistry::new();
        for bad in ["tags", "tags=x", "tags=%v", "tags=x%", "nope=x%v"] {
            assert!(compile(&[bad.to_string()], &reg).is_err(), "{bad}");
        }
    }
}
