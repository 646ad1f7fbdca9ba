//! Turning a session document (Arkime's JSON body) into a tantivy document: every leaf
//! value under its dotted path (arrays and arrays of objects flattened), typed by the
//! partition's schema.
//!
//! The body is walked as it is parsed (a serde visitor), so no JSON tree is built: each
//! key steps down the schema's tree of dotted names, leaves go straight into the
//! document, and values under keys no field starts with are skipped unparsed.

use std::fmt;
use std::net::IpAddr;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tantivy::schema::Field;
use tantivy::TantivyDocument;

use crate::schema::{Fields, Kind, PathNode};

/// A scalar of the body.
#[derive(Clone, Copy, Debug)]
enum Leaf<'s> {
    Str(&'s str),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
}

/// Adds one scalar to `doc` as the field `target` types it.
fn add_leaf(doc: &mut TantivyDocument, target: (Field, Kind), leaf: Leaf<'_>) {
    let (f, kind) = target;
    match kind {
        Kind::Int => {
            let n = match leaf {
                Leaf::U64(n) => i64::try_from(n).ok(),
                Leaf::I64(n) => Some(n),
                Leaf::F64(x) => Some(x as i64),
                Leaf::Str(s) => s.parse().ok(),
                Leaf::Bool(b) => Some(i64::from(b)),
            };
            if let Some(n) = n {
                doc.add_i64(f, n);
            }
        }
        Kind::Ip => {
            if let Leaf::Str(s) = leaf {
                if let Ok(ip) = s.parse::<IpAddr>() {
                    doc.add_ip_addr(f, to_v6(ip));
                }
            }
        }
        Kind::Term => {
            match leaf {
                Leaf::Str(s) => doc.add_text(f, s),
                Leaf::U64(n) => doc.add_text(f, n.to_string()),
                Leaf::I64(n) => doc.add_text(f, n.to_string()),
                // JSON's spelling of the number (1.0 stays "1.0").
                Leaf::F64(x) => doc.add_text(
                    f,
                    serde_json::Number::from_f64(x)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                ),
                Leaf::Bool(b) => doc.add_text(f, if b { "true" } else { "false" }),
            }
        }
    }
}

/// Walks one JSON value at `node` of the schema's path tree. Values under keys no
/// field starts with are skipped unparsed.
struct Walk<'p, 'f> {
    node: &'f PathNode,
    doc: &'p mut TantivyDocument,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Walk<'_, '_> {
    fn leaf(self, leaf: Leaf<'_>) {
        if let Some(target) = self.node.field {
            add_leaf(self.doc, target, leaf);
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.leaf(Leaf::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.leaf(Leaf::I64(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.leaf(Leaf::U64(v));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.leaf(Leaf::F64(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(Leaf::Str(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // An array's elements share its path.
        while seq
            .next_element_seed(Walk {
                node: self.node,
                doc: &mut *self.doc,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(Key(self.node))? {
            match child {
                Some(node) => map.next_value_seed(Walk {
                    node,
                    doc: &mut *self.doc,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Reads an object's key as the node it leads to (None: no field under it).
struct Key<'f>(&'f PathNode);

impl<'de, 'f> DeserializeSeed<'de> for Key<'f> {
    type Value = Option<&'f PathNode>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'f> Visitor<'de> for Key<'f> {
    type Value = Option<&'f PathNode>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.child(v))
    }
}

/// The tantivy document for a session document, or None if `body` is not JSON.
pub fn build(fields: &Fields, id: &str, body: &str) -> Option<TantivyDocument> {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, id);
    doc.add_text(fields.source, body);
    let mut de = serde_json::Deserializer::from_str(body);
    Walk {
        node: fields.tree(),
        doc: &mut doc,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(doc)
}

/// An address as tantivy stores it (IPv4 mapped into IPv6).
pub fn to_v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;
    use tantivy::schema::Value as _;

    fn fields() -> Fields {
        Fields::new(schema::build(&[
            ("source.ip".into(), Kind::Ip),
            ("source.port".into(), Kind::Int),
            ("protocol".into(), Kind::Term),
            ("http.host".into(), Kind::Term),
            ("tcpflags.syn".into(), Kind::Int),
            ("tags".into(), Kind::Term),
            ("cert.issuerON".into(), Kind::Term),
        ]))
        .unwrap()
    }

    fn texts(f: &Fields, doc: &TantivyDocument, name: &str) -> Vec<String> {
        let field = f.schema.get_field(name).unwrap();
        doc.get_all(field)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn leaves_go_to_their_dotted_paths_typed() {
        let f = fields();
        let body = r#"{"source":{"ip":"10.0.0.1","port":1234},"protocol":["tcp","http"],
            "http":{"host":["a.example"]},"tcpflags":{"syn":1},"tags":[7, true, 1.0, null],
            "cert":[{"issuerON":["X"]},{"issuerON":["Y \"q\""]}],"unknown":{"x":[1,{"y":2}]},
            "http.host":"dotted.key"}"#;
        let doc = build(&f, "id1", body).unwrap();
        let ip = f.schema.get_field("source.ip").unwrap();
        assert_eq!(
            doc.get_first(ip).and_then(|v| v.as_ip_addr()),
            Some(
                "10.0.0.1"
                    .parse::<std::net::Ipv4Addr>()
                    .unwrap()
                    .to_ipv6_mapped()
            )
        );
        let port = f.schema.get_field("source.port").unwrap();
        assert_eq!(doc.get_first(port).and_then(|v| v.as_i64()), Some(1234));
        assert_eq!(texts(&f, &doc, "protocol"), ["tcp", "http"]);
        assert_eq!(texts(&f, &doc, "http.host"), ["a.example", "dotted.key"]);
        assert_eq!(texts(&f, &doc, "tags"), ["7", "true", "1.0"]);
        assert_eq!(texts(&f, &doc, "cert.issuerON"), ["X", "Y \"q\""]);
        assert_eq!(texts(&f, &doc, "_id"), ["id1"]);
    }

    #[test]
    fn bad_json_is_refused() {
        let f = fields();
        assert!(build(&f, "x", "{\"source\":").is_none());
        assert!(build(&f, "x", "{} trailing").is_none());
        assert!(build(&f, "x", "").is_none());
    }
}
