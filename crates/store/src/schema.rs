//! A partition's tantivy schema, made from the field registry: one field per database
//! field name, typed by the field's viewer kind (ip, integer/seconds/date, term kinds,
//! text), plus the stored document, its id and its row in the partition's own file of
//! integers ([`crate::ints`]). `EXISTS!` needs no field of its own: ip and integer
//! columns know which documents have a value, and a term field's dictionary lists every
//! value it holds.

use rustc_hash::FxHashMap;

use tantivy::schema::{
    Field, FieldType as TType, IndexRecordOption, IpAddrOptions, NumericOptions, Schema,
    SchemaBuilder, TextFieldIndexing, TextOptions, STORED, STRING,
};
use trawl_fields::FieldRegistry;

/// The stored document body (`_source`).
pub const SOURCE: &str = "_source";
/// The document id.
pub const ID: &str = "_id";
/// The integer fields that stay tantivy columns: time ranges and the default sort.
pub const TIME_FIELDS: [&str; 2] = ["firstPacket", "lastPacket"];

/// How a database field is indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// IP addresses (IPv4 stored mapped into IPv6), a fast column: CIDR ranges.
    Ip,
    /// Integers, in the partition's own file of integers ([`crate::ints`]); the schema
    /// lists the field without indexing it.
    Int,
    /// Integers (times in ms) as a tantivy fast column: ranges and sorting. Every
    /// integer of a partition made before the file of integers is one.
    FastInt,
    /// Untokenized strings: exact, wildcard and regex matches.
    Term,
    /// Untokenized strings that are (nearly) unique per session, such as the community
    /// id: a column of per-segment dictionary ordinals instead of postings. A term
    /// dictionary of one random string per document is the dearest thing to build at
    /// commit; a column's sorted dictionary costs a fraction, and a search scans the
    /// column.
    Column,
}

/// Term fields kept as columns (see [`Kind::Column`]).
const COLUMN_FIELDS: &[&str] = &["network.community_id"];

/// The kind a viewer kind maps to.
pub fn kind_of(viewer_kind: &str) -> Kind {
    match viewer_kind {
        "ip" => Kind::Ip,
        "integer" | "seconds" | "date" => Kind::Int,
        _ => Kind::Term,
    }
}

/// The fields of the registry that go into a schema: (database name, kind), with the
/// document's time fields always present.
pub fn fields_of(reg: &FieldRegistry) -> Vec<(String, Kind)> {
    let mut out: Vec<(String, Kind)> = TIME_FIELDS
        .iter()
        .map(|n| (n.to_string(), Kind::FastInt))
        .collect();
    for (_, d) in reg.iter() {
        if d.db_field.is_empty()
            || d.db_field.starts_with('_')
            || d.kind == trawl_query::FILE_KIND
            || d.ty == trawl_fields::FieldType::Object
            || out.iter().any(|(n, _)| *n == d.db_field)
        {
            continue;
        }
        // Start and stop times are written in ms whatever their viewer kind says.
        let kind = match d.db_field.as_str() {
            "firstPacket" | "lastPacket" => continue,
            // The document writes ipProtocol as a number.
            "ipProtocol" => Kind::Int,
            n if COLUMN_FIELDS.contains(&n) => Kind::Column,
            _ => kind_of(&d.kind),
        };
        out.push((d.db_field.clone(), kind));
    }
    // The numbers of the pcap files the session's packets are in, which a search of
    // `file` asks for.
    if !out.iter().any(|(n, _)| n == "fileId") {
        out.push(("fileId".to_string(), Kind::Int));
    }
    // The counts of values the document writer adds (`http.hostCnt`, `source.mac-cnt`).
    for (_, db) in reg.count_fields() {
        if !out.iter().any(|(n, _)| *n == db) {
            out.push((db, Kind::Int));
        }
    }
    out
}

/// Builds the schema for `fields`.
pub fn build(fields: &[(String, Kind)]) -> Schema {
    let mut b = SchemaBuilder::new();
    b.add_text_field(ID, STRING | STORED);
    b.add_text_field(SOURCE, STORED);
    b.add_u64_field(crate::ints::ROW, NumericOptions::default().set_fast());
    // Terms are matched, never scored: no field norms to keep per document.
    let term = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    for (name, kind) in fields {
        match kind {
            // Columnar only: ranges (CIDRs, port ranges, exact values) scan the column,
            // which costs far less at indexing time than postings per value.
            Kind::Ip => {
                b.add_ip_addr_field(name, IpAddrOptions::default().set_fast());
            }
            Kind::FastInt => {
                b.add_i64_field(name, NumericOptions::default().set_fast());
            }
            Kind::Int if TIME_FIELDS.contains(&name.as_str()) => {
                b.add_i64_field(name, NumericOptions::default().set_fast());
            }
            Kind::Int => {
                b.add_i64_field(name, NumericOptions::default());
            }
            Kind::Term => {
                b.add_text_field(name, term.clone());
            }
            Kind::Column => {
                b.add_text_field(name, TextOptions::default().set_fast(Some("raw")));
            }
        }
    }
    b.build()
}

/// A schema with its fields looked up by name.
#[derive(Clone, Debug)]
pub struct Fields {
    /// The schema.
    pub schema: Schema,
    /// `_id`.
    pub id: Field,
    /// `_source`.
    pub source: Field,
    /// `_row`, if the partition keeps a file of integers.
    pub row: Option<Field>,
    by_name: FxHashMap<String, (Field, Kind)>,
    tree: PathNode,
}

/// The fields under one dotted path prefix: what a document's key leads to.
#[derive(Clone, Debug, Default)]
pub struct PathNode {
    /// The field whose name is this path, if any.
    pub field: Option<(Field, Kind)>,
    children: FxHashMap<Box<str>, PathNode>,
}

impl PathNode {
    /// Where `key` (one object key, possibly itself dotted) leads from here.
    pub fn child(&self, key: &str) -> Option<&PathNode> {
        if let Some(n) = self.children.get(key) {
            return Some(n);
        }
        // Keys are short: a plain scan beats a call to a vector search.
        if !key.bytes().any(|b| b == b'.') {
            return None;
        }
        let mut n = self;
        for seg in key.split('.') {
            n = n.children.get(seg)?;
        }
        Some(n)
    }

    fn insert(&mut self, name: &str, f: (Field, Kind)) {
        let mut n = self;
        for seg in name.split('.') {
            n = n.children.entry(seg.into()).or_default();
        }
        n.field = Some(f);
    }
}

impl Fields {
    /// Looks up the fields of `schema` (a partition's, possibly made by an older
    /// registry); None if it lacks the store's own fields.
    pub fn new(schema: Schema) -> Option<Fields> {
        let id = schema.get_field(ID).ok()?;
        let source = schema.get_field(SOURCE).ok()?;
        let row = schema.get_field(crate::ints::ROW).ok();
        let mut by_name = FxHashMap::default();
        let mut tree = PathNode::default();
        for (f, e) in schema.fields() {
            if e.name().starts_with('_') {
                continue;
            }
            let kind = match e.field_type() {
                TType::IpAddr(_) => Kind::Ip,
                TType::I64(o) if o.is_fast() => Kind::FastInt,
                TType::I64(_) if row.is_some() => Kind::Int,
                TType::I64(_) => continue,
                TType::Str(o) if o.get_indexing_options().is_none() && o.is_fast() => Kind::Column,
                _ => Kind::Term,
            };
            by_name.insert(e.name().to_string(), (f, kind));
            tree.insert(e.name(), (f, kind));
        }
        Some(Fields {
            schema,
            id,
            source,
            row,
            by_name,
            tree,
        })
    }

    /// The root of the fields' names split at their dots.
    pub fn tree(&self) -> &PathNode {
        &self.tree
    }

    /// The field called `name` and its kind.
    pub fn get(&self, name: &str) -> Option<(Field, Kind)> {
        if name == ID {
            // The id is an untokenized string, searched like a term field.
            return Some((self.id, Kind::Term));
        }
        self.by_name.get(name).copied()
    }

    /// Every field (database name and kind), in schema order.
    pub fn list(&self) -> Vec<(String, Kind)> {
        let mut v: Vec<(Field, String, Kind)> = self
            .by_name
            .iter()
            .map(|(n, &(f, k))| (f, n.clone(), k))
            .collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|(_, n, k)| (n, k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lead_to_their_fields_whatever_their_length_or_dots() {
        let names = [
            "ip",
            "source.ip",
            "source.bytes",
            "destination.ip",
            "destination.ipv6",
            "destinationX.ip",
            "tcpflags.syn",
            "tcpflags.syn-ack",
            "abcdefgh",
            "abcdefghi",
            "abcdefghj",
            "abcdefgh.x",
            "http.hostCnt",
            "http.host",
        ];
        let fields: Vec<(String, Kind)> =
            names.iter().map(|n| (n.to_string(), Kind::Term)).collect();
        let f = Fields::new(build(&fields)).unwrap();
        let root = f.tree();
        let field_at = |path: &[&str]| -> Option<Field> {
            let mut n = root;
            for k in path {
                n = n.child(k)?;
            }
            n.field.map(|x| x.0)
        };
        for name in names {
            let want = f.get(name).map(|x| x.0);
            assert!(want.is_some());
            let segs: Vec<&str> = name.split('.').collect();
            assert_eq!(field_at(&segs), want, "{name} by segments");
            assert_eq!(field_at(&[name]), want, "{name} whole");
        }
        // Prefixes, extensions and near misses lead nowhere or to no field.
        assert_eq!(field_at(&["source"]), None);
        assert!(root.child("source").is_some());
        for missing in [
            "i",
            "ipx",
            "abcdefg",
            "abcdefghk",
            "abcdefghij",
            "destinationY",
            "http.hostcnt",
            "source.ip.x",
            "",
            ".",
        ] {
            assert_eq!(field_at(&[missing]), None, "{missing}");
        }
    }
}
