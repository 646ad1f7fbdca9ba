//! Turning a session document (Arkime's JSON body) into a tantivy document: every leaf
//! value under its dotted path (arrays and arrays of objects flattened), typed by the
//! partition's schema.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::Value;
use tantivy::TantivyDocument;

use crate::schema::{Fields, Kind};

/// Calls `f(path, leaf)` for every scalar in `v`.
pub fn leaves<'a>(v: &'a Value, path: &mut String, f: &mut dyn FnMut(&str, &'a Value)) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                leaves(x, path, f);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for x in a {
                leaves(x, path, f);
            }
        }
        Value::Null => {}
        _ => f(path, v),
    }
}

/// The tantivy document for a session document, or None if `body` is not JSON.
pub fn build(fields: &Fields, id: &str, body: &str) -> Option<TantivyDocument> {
    let v: Value = serde_json::from_str(body).ok()?;
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, id);
    doc.add_text(fields.source, body);
    let mut present = BTreeSet::new();
    let mut path = String::new();
    leaves(&v, &mut path, &mut |p, leaf| {
        let Some((f, kind)) = fields.get(p) else {
            return;
        };
        if !present.contains(p) {
            present.insert(p.to_string());
        }
        match kind {
            Kind::Int => {
                let n = match leaf {
                    Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|x| x as i64)),
                    Value::String(s) => s.parse().ok(),
                    Value::Bool(b) => Some(i64::from(*b)),
                    _ => None,
                };
                if let Some(n) = n {
                    doc.add_i64(f, n);
                }
            }
            Kind::Ip => {
                if let Some(ip) = leaf.as_str().and_then(|s| s.parse::<IpAddr>().ok()) {
                    doc.add_ip_addr(f, to_v6(ip));
                }
            }
            Kind::Term => match leaf {
                Value::String(s) => doc.add_text(f, s),
                other => doc.add_text(f, other.to_string()),
            },
        }
    });
    for p in present {
        doc.add_text(fields.exists, p);
    }
    Some(doc)
}

/// An address as tantivy stores it (IPv4 mapped into IPv6).
pub fn to_v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}
