//! Session documents as the API answers them: the rows of `/api/sessions` (nested
//! objects of the fields asked for, or Arkime's default list), CSV rows, the field
//! definitions of `/api/fields` and the grouped fields of a session's detail.

use serde_json::{json, Map, Value};
use trawl_fields::FieldRegistry;

use crate::aggs::{raw_at, text, values};

/// The fields `/api/sessions` returns when `fields` is absent (apiSessions.js).
pub const DEFAULT_FIELDS: [&str; 29] = [
    "ipProtocol",
    "rootId",
    "totDataBytes",
    "client.bytes",
    "server.bytes",
    "firstPacket",
    "lastPacket",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "network.packets",
    "source.packets",
    "destination.packets",
    "network.bytes",
    "source.bytes",
    "destination.bytes",
    "node",
    "http.uri",
    "source.geo.country_iso_code",
    "destination.geo.country_iso_code",
    "email.subject",
    "email.src",
    "email.dst",
    "email.filename",
    "dns.host",
    "cert",
    "irc.channel",
    "http.xffGEO",
];

/// The fields always returned with a `fields` list.
const ALWAYS: [&str; 5] = [
    "node",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
];

/// The columns of `/api/sessions.csv` when `fields` is absent.
pub const CSV_FIELDS: [&str; 13] = [
    "ipProtocol",
    "firstPacket",
    "lastPacket",
    "source.ip",
    "source.port",
    "source.geo.country_iso_code",
    "destination.ip",
    "destination.port",
    "destination.geo.country_iso_code",
    "network.bytes",
    "totDataBytes",
    "network.packets",
    "node",
];

/// Sets `path` (dotted) of `obj` to `v`, making the objects on the way.
fn insert_nested(obj: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            obj.insert(path.to_string(), v);
        }
        Some((head, rest)) => {
            let e = obj
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !e.is_object() {
                *e = Value::Object(Map::new());
            }
            if let Value::Object(m) = e {
                insert_nested(m, rest, v);
            }
        }
    }
}

/// One row of `/api/sessions`: the `fields` asked for (database names) or the
/// default list, as they are in the document (numbers as numbers, arrays as
/// arrays), nested unless `flat`, plus `id`.
pub fn row(doc: &Value, id: &str, fields: Option<&[String]>, flat: bool) -> Value {
    let mut out = Map::new();
    let default = fields.is_none();
    let list: Vec<&str> = match fields {
        Some(f) => f
            .iter()
            .map(String::as_str)
            .chain(ALWAYS.iter().copied().filter(|a| !f.iter().any(|x| x == a)))
            .collect(),
        None => DEFAULT_FIELDS.to_vec(),
    };
    if default && !flat {
        // As Arkime's fixSessionFields: these objects are always there.
        for o in ["source", "destination", "client", "server"] {
            out.insert(o.into(), json!({}));
        }
    }
    for f in list {
        // Through an array of objects (`dns.host` of the `dns` entries) the values
        // come back as one array, as Elasticsearch's `fields` gives them.
        let v = match raw_at(doc, f) {
            Some(v) => v.clone(),
            None => match values(doc, f) {
                vs if vs.is_empty() => continue,
                vs => Value::Array(vs),
            },
        };
        if flat {
            out.insert(f.to_string(), v);
        } else {
            insert_nested(&mut out, f, v);
        }
    }
    if default {
        // Counts a document lacks show as -1, as Arkime's viewer fills them.
        for f in crate::aggs::SUMS {
            if raw_at(doc, f).is_none() {
                if flat {
                    out.insert(f.to_string(), json!(-1));
                } else {
                    insert_nested(&mut out, f, json!(-1));
                }
            }
        }
    }
    out.insert("id".into(), id.into());
    Value::Object(out)
}

/// A CSV cell, quoted when needed; a leading `= + - @` is escaped so that a
/// spreadsheet does not run it as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The header line of a CSV of `fields`: their friendly names.
pub fn csv_header(reg: &FieldRegistry, fields: &[String]) -> String {
    let names: Vec<String> = fields
        .iter()
        .map(|f| {
            let name = reg
                .by_db(f)
                .and_then(|id| reg.get(id))
                .map_or(f.as_str(), |d| d.friendly.as_str());
            cell(name)
        })
        .collect();
    names.join(",") + "\r\n"
}

/// One CSV line of `doc`: each field's values joined with `;`, times as ms.
pub fn csv_line(doc: &Value, fields: &[String]) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            let vs: Vec<String> = values(doc, f).iter().map(text).collect();
            cell(&vs.join(";"))
        })
        .collect();
    cells.join(",") + "\r\n"
}

/// `/api/fields`: every field of the registry with a database name, as Arkime's
/// fields index describes it.
pub fn fields_json(reg: &FieldRegistry) -> Value {
    Value::Array(trawl_store::fielddefs::to_json(reg))
}

/// A session's fields by group (`general` first, then as the registry lists its
/// groups), each with its values, for the detail of one session.
pub fn detail_groups(reg: &FieldRegistry, doc: &Value) -> Value {
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (_, d) in reg.iter() {
        if d.db_field.is_empty() || d.db_field.starts_with('_') || !seen.insert(&d.db_field) {
            continue;
        }
        let vs = values(doc, &d.db_field);
        if vs.is_empty() {
            continue;
        }
        let f = json!({"exp": d.expression, "dbField": d.db_field, "friendlyName": d.friendly, "type": d.kind, "values": vs});
        match groups.iter_mut().find(|g| g.0 == d.group) {
            Some(g) => g.1.push(f),
            None => groups.push((d.group.clone(), vec![f])),
        }
    }
    groups.sort_by_key(|g| g.0 != "general");
    Value::Array(
        groups
            .into_iter()
            .map(|(g, f)| json!({"group": g, "fields": f}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({"firstPacket": 5, "node": "n1", "source": {"ip": "10.0.0.1", "port": 9, "packets": 2},
               "destination": {"ip": "10.0.0.2", "port": 80}, "http": {"uri": ["a/b"], "host": ["h"]},
               "protocol": ["tcp", "http"]})
    }

    #[test]
    fn rows_nest_keep_types_and_fill_counts() {
        let r = row(&doc(), "x", None, false);
        assert_eq!(r["source"]["port"], json!(9));
        assert_eq!(r["source"]["packets"], json!(2));
        assert_eq!(r["destination"]["packets"], json!(-1));
        assert_eq!(r["client"]["bytes"], json!(-1));
        assert_eq!(r["http"]["uri"], json!(["a/b"]));
        assert!(r.get("protocol").is_none(), "not a default field");
        assert_eq!(r["id"], json!("x"));
        let f = vec!["protocol".to_string(), "http.host".to_string()];
        let r = row(&doc(), "x", Some(&f), false);
        assert_eq!(r["protocol"], json!(["tcp", "http"]));
        assert_eq!(r["http"], json!({"host": ["h"]}));
        assert_eq!(r["destination"]["port"], json!(80), "always there");
        let r = row(&doc(), "x", Some(&f), true);
        assert_eq!(r["http.host"], json!(["h"]));
        let d = json!({"dns": [{"host": ["a", "b"]}, {"host": ["c"]}]});
        let f = vec!["dns.host".to_string()];
        assert_eq!(
            row(&d, "x", Some(&f), false)["dns"]["host"],
            json!(["a", "b", "c"])
        );
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let d = json!({"a": "x,y", "b": ["=cmd()", "q\"r"], "c": -5});
        let f = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(csv_line(&d, &f), "\"x,y\",\"'=cmd();q\"\"r\",-5\r\n");
    }
}
