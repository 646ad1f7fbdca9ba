//! The field definitions a store was written with, kept beside it in
//! `<dataDir>/fields.json` (as Arkime keeps them in its `fields` index), so that a
//! search of the store knows a field a capture's config defined (a custom header
//! field such as `http.response.server`) without that config.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trawl_fields::{FieldRegistry, FieldType};

/// Where the definitions are.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("fields.json")
}

/// The registry's fields as Arkime's fields documents describe them: `exp`,
/// `dbField`, `friendlyName`, `group`, `help`, `type` (and `category`).
pub fn to_json(reg: &FieldRegistry) -> Vec<Value> {
    reg.iter()
        .filter(|(_, d)| !d.expression.is_empty())
        .map(|(_, d)| {
            let mut o = json!({
                "exp": d.expression, "dbField": d.db_field, "dbField2": d.db_field,
                "friendlyName": d.friendly, "group": d.group, "help": d.help, "type": d.kind,
            });
            if let Some(c) = &d.category {
                o["category"] = json!(c);
            }
            o
        })
        .collect()
}

/// Records the registry's fields beside the store, keeping those recorded before
/// that it does not define (a capture with another config wrote them).
pub fn save(data_dir: &Path, reg: &FieldRegistry) -> std::io::Result<()> {
    let mut all = to_json(reg);
    for old in read(data_dir) {
        let exp = old.get("exp").and_then(Value::as_str).unwrap_or("");
        if !exp.is_empty() && reg.by_expression(exp).is_none() {
            all.push(old);
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let p = path(data_dir);
    let tmp = p.with_extension("json.tmp");
    let written =
        std::fs::write(&tmp, serde_json::to_vec(&all)?).and_then(|()| std::fs::rename(&tmp, &p));
    if written.is_err() {
        // A full disk: leave no partial file taking the room others need.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The recorded definitions (none when there is no file or it does not parse).
pub fn read(data_dir: &Path) -> Vec<Value> {
    std::fs::read(path(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<Value>>(&b).ok())
        .unwrap_or_default()
}

/// Defines in `reg` each recorded field it lacks; returns how many.
pub fn load_into(data_dir: &Path, reg: &mut FieldRegistry) -> usize {
    define_all(read(data_dir).iter(), reg)
}

/// The database names of Arkime's `fields` documents for the query language's
/// shorthands (`ip`, `port`, `host`, ...) and its saved views: none is a field of a
/// session.
const SHORTHANDS: &[&str] = &[
    "ipall", "portall", "rirall", "geoall", "asnall", "hostall", "viewand",
];

/// Defines in `reg` each field of `docs` it lacks: documents as [`to_json`] writes
/// them, or as a cluster's `fields` index holds them (with `exp` set to the
/// document's `_id`, the database name in `fieldECS` or `dbField2`); returns how
/// many.
pub fn define_all<'a>(docs: impl Iterator<Item = &'a Value>, reg: &mut FieldRegistry) -> usize {
    let mut n = 0;
    for d in docs {
        let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let exp = s("exp");
        let db = ["fieldECS", "dbField", "dbField2"]
            .iter()
            .map(|k| s(k))
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        let kind = s("type");
        // A field known here, or a field the stores cannot search (Arkime's `ip`,
        // `port` and the like are shorthands the query language expands itself).
        if exp.is_empty()
            || db.is_empty()
            || SHORTHANDS.contains(&db.as_str())
            || reg.by_expression(&exp).is_some()
        {
            continue;
        }
        let ty = match kind.as_str() {
            "integer" | "seconds" | "date" => FieldType::IntHash,
            "ip" => FieldType::IpGHash,
            _ => FieldType::StrHash,
        };
        let id = reg.define(
            &s("group"),
            &kind,
            &exp,
            &s("friendlyName"),
            &db,
            &s("help"),
            ty,
            0,
        );
        if let Some(c) = d.get("category").and_then(Value::as_str) {
            reg.set_category(id, c);
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_survive_without_the_config() {
        let d = tempfile::tempdir().unwrap();
        let mut capture = FieldRegistry::new();
        capture.define(
            "http",
            "termfield",
            "http.response.server",
            "Server",
            "http.response-server",
            "hdr",
            FieldType::StrHash,
            0,
        );
        save(d.path(), &capture).unwrap();
        // A later capture with another config keeps the first one's fields.
        let mut other = FieldRegistry::new();
        other.define(
            "dns",
            "termfield",
            "dns.x",
            "X",
            "dns.x",
            "",
            FieldType::StrHash,
            0,
        );
        save(d.path(), &other).unwrap();
        let mut reader = FieldRegistry::new();
        assert_eq!(load_into(d.path(), &mut reader), 2);
        let id = reader.by_expression("http.response.server").unwrap();
        let def = reader.get(id).unwrap();
        assert_eq!(
            (def.db_field.as_str(), def.friendly.as_str()),
            ("http.response-server", "Server")
        );
        assert!(reader.by_expression("dns.x").is_some());
        assert_eq!(load_into(d.path(), &mut reader), 0, "nothing twice");
    }

    #[test]
    fn cluster_field_documents_define_fields_but_not_shorthands() {
        let docs: Vec<Value> = serde_json::from_str(
            r#"[
            {"exp": "ip", "friendlyName": "All IP fields", "group": "general",
             "type": "ip", "dbField2": "ipall"},
            {"exp": "http.response.server", "friendlyName": "Server", "group": "http",
             "type": "termfield", "dbField2": "http.response-server"},
            {"exp": "ip.src", "friendlyName": "Src IP", "group": "general",
             "type": "ip", "dbField2": "srcIp", "fieldECS": "source.ip"}
        ]"#,
        )
        .unwrap();
        let mut reg = FieldRegistry::new();
        assert_eq!(define_all(docs.iter(), &mut reg), 2);
        assert!(
            reg.by_expression("ip").is_none(),
            "a shorthand, not a field"
        );
        let src = reg.get(reg.by_expression("ip.src").unwrap()).unwrap();
        assert_eq!(src.db_field, "source.ip", "fieldECS wins");
        assert!(reg.by_expression("http.response.server").is_some());
    }
}
