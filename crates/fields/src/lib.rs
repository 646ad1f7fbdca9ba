//! The field registry: every value a session document can carry is a field with an
//! expression name (what analysts search), a database name (where it lands in the
//! document), a storage type and flags, as in Arkime's `arkime_field_define`.
//!
//! Sessions store their values in a [`Fields`] table indexed by [`FieldId`].

use std::collections::HashMap;
use std::net::IpAddr;

mod spec;
mod values;
pub use spec::{FieldSpec, Flags, Kind};
pub use values::{FieldValue, Fields, SetValue};

/// Index of a field in the registry and in every session's [`Fields`] table.
pub type FieldId = u16;

/// How a field's values are kept in a session (Arkime's `ARKIME_FIELD_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// One integer; the last write wins.
    Int,
    /// Integers in arrival order, duplicates kept.
    IntArray,
    /// Integers in arrival order, duplicates dropped.
    IntArrayUnique,
    /// A set of integers.
    IntHash,
    /// A set of integers (Arkime's GHashTable variant; same output).
    IntGHash,
    /// One string; the first write wins.
    Str,
    /// Strings in arrival order, duplicates kept.
    StrArray,
    /// A set of strings, in first-seen order.
    StrHash,
    /// A set of strings (GHashTable variant; same output).
    StrGHash,
    /// One IP address.
    Ip,
    /// A set of IP addresses.
    IpGHash,
    /// One float.
    Float,
    /// Floats in arrival order.
    FloatArray,
    /// A set of floats.
    FloatGHash,
    /// Structured values written by a parser's own serializer.
    Object,
}

/// Field flags (Arkime's `ARKIME_FIELD_FLAG_*`).
pub mod flags {
    /// Kept across a mid-session save: linked sessions carry it in every segment.
    pub const LINKED_SESSIONS: u32 = 0x0001;
    /// Strings are already UTF-8; write them without re-encoding.
    pub const FORCE_UTF8: u32 = 0x0004;
    /// Not listed in the viewer's field definitions. Arkime's document writer still
    /// saves the values, and so does trawl's.
    pub const NODB: u32 = 0x0008;
    /// Only a definition for the viewer; the document writer fills it itself.
    pub const FAKE: u32 = 0x0010;
    /// Turned off by configuration.
    pub const DISABLED: u32 = 0x0020;
    /// Stored in the session but written by special code, not the generic loop.
    pub const NOSAVE: u32 = 0x0040;
    /// Also write `<name>Cnt` with the number of values.
    pub const CNT: u32 = 0x1000;
    /// Also write `<name>-cnt` (ECS style) with the number of values.
    pub const ECS_CNT: u32 = 0x2000;
}

/// One field definition.
#[derive(Clone, Debug)]
pub struct FieldDef {
    /// Viewer group ("general", "http", ...).
    pub group: String,
    /// Viewer kind ("integer", "termfield", "lotermfield", "ip", ...).
    pub kind: String,
    /// Expression name used in searches ("ip.src", "http.host").
    pub expression: String,
    /// Human name.
    pub friendly: String,
    /// Full database name ("dot1q.id", "http.host", "srcOui").
    pub db_field: String,
    /// Help text.
    pub help: String,
    /// Storage type.
    pub ty: FieldType,
    /// `flags::*` bits.
    pub flags: u32,
    /// Viewer category ("host", "url", "md5", "user", ...), which plugins such as
    /// zeekintel use to pick the fields they match.
    pub category: Option<String>,
    /// A `fieldSet` rule watches this field: each new value is queued for the rules
    /// engine (Arkime's `ruleEnabled`).
    pub rule_enabled: bool,
}

impl FieldDef {
    /// The document object this field is written inside, if its database name has a dot
    /// (`dot1q.id` lives in `dot1q`).
    pub fn db_group(&self) -> Option<&str> {
        self.db_field.split_once('.').map(|(g, _)| g)
    }

    /// The key inside [`Self::db_group`], or the whole name when there is no group.
    pub fn db_leaf(&self) -> &str {
        self.db_field
            .split_once('.')
            .map_or(self.db_field.as_str(), |(_, l)| l)
    }

    /// Whether this field has storage in a session (fake fields do not).
    pub fn has_storage(&self) -> bool {
        self.flags & flags::FAKE == 0
    }
}

/// All field definitions; built at start-up, then shared read-only.
#[derive(Clone, Debug, Default)]
pub struct FieldRegistry {
    defs: Vec<FieldDef>,
    by_expression: HashMap<String, FieldId>,
    by_db: HashMap<String, FieldId>,
}

impl FieldRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines a field, or returns the existing one with that expression. As in Arkime,
    /// a redefinition keeps the original type and flags.
    #[allow(clippy::too_many_arguments)]
    pub fn define(
        &mut self,
        group: &str,
        kind: &str,
        expression: &str,
        friendly: &str,
        db_field: &str,
        help: &str,
        ty: FieldType,
        flags: u32,
    ) -> FieldId {
        if let Some(&id) = self.by_expression.get(expression) {
            return id;
        }
        let id = FieldId::try_from(self.defs.len()).unwrap_or(FieldId::MAX);
        self.defs.push(FieldDef {
            group: group.to_string(),
            kind: kind.to_string(),
            expression: expression.to_string(),
            friendly: friendly.to_string(),
            db_field: db_field.to_string(),
            help: help.to_string(),
            ty,
            flags,
            category: None,
            rule_enabled: false,
        });
        self.by_expression.insert(expression.to_string(), id);
        self.by_db.insert(db_field.to_string(), id);
        id
    }

    /// Defines the field `spec` declares (see [`FieldSpec`]), or returns the existing
    /// one with its expression, as [`Self::define`].
    pub fn define_spec(&mut self, spec: &FieldSpec) -> FieldId {
        let id = self.define(
            spec.group,
            spec.kind.as_str(),
            spec.expression,
            spec.friendly,
            spec.db,
            spec.help,
            spec.ty,
            spec.flags.0,
        );
        if let Some(c) = spec.category {
            self.set_category(id, c);
        }
        id
    }

    /// Defines every field of a table, returning their ids in the table's order.
    pub fn define_all<const N: usize>(&mut self, specs: &[FieldSpec; N]) -> [FieldId; N] {
        specs.map(|s| self.define_spec(&s))
    }

    /// Sets the name and help a viewer shows for `id`.
    pub fn set_texts(&mut self, id: FieldId, friendly: &str, help: &str) {
        if let Some(d) = self.defs.get_mut(usize::from(id)) {
            d.friendly = friendly.to_string();
            d.help = help.to_string();
        }
    }

    /// Sets the viewer category of `id` (a word, or several separated by commas).
    pub fn set_category(&mut self, id: FieldId, category: &str) {
        if let Some(d) = self.defs.get_mut(usize::from(id)) {
            d.category = Some(category.to_string());
        }
    }

    /// Makes new values of `id` queue a field-set event for the rules engine.
    pub fn enable_rules(&mut self, id: FieldId) {
        if let Some(d) = self.defs.get_mut(usize::from(id)) {
            d.rule_enabled = true;
        }
    }

    /// Whether `id`'s category includes `word`.
    pub fn has_category(&self, id: FieldId, word: &str) -> bool {
        self.get(id)
            .and_then(|d| d.category.as_deref())
            .is_some_and(|c| {
                c.split(|ch: char| !ch.is_ascii_alphanumeric())
                    .any(|w| w == word)
            })
    }

    /// The definition of `id`.
    pub fn get(&self, id: FieldId) -> Option<&FieldDef> {
        self.defs.get(usize::from(id))
    }

    /// The field searched as `expression`.
    pub fn by_expression(&self, expression: &str) -> Option<FieldId> {
        self.by_expression.get(expression).copied()
    }

    /// The field stored as `db_field`.
    pub fn by_db(&self, db_field: &str) -> Option<FieldId> {
        self.by_db.get(db_field).copied()
    }

    /// The count fields Arkime's viewer knows (`<expression>.cnt`, an integer in
    /// `<dbField>Cnt`, or `<dbField>-cnt` for ECS-style fields): one for each field with
    /// the CNT or ECS_CNT flag that goes to the viewer's field list, unless another field
    /// already has that database name. The document writer writes them; they are not
    /// fields of their own here, as in Arkime's capture. Yields (expression, database
    /// name).
    pub fn count_fields(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.defs.iter().filter_map(|d| {
            if d.flags & flags::NODB != 0 {
                return None;
            }
            let db = if d.flags & flags::CNT != 0 {
                format!("{}Cnt", d.db_field)
            } else if d.flags & flags::ECS_CNT != 0 {
                format!("{}-cnt", d.db_field)
            } else {
                return None;
            };
            (!self.by_db.contains_key(&db)).then(|| (format!("{}.cnt", d.expression), db))
        })
    }

    /// Number of fields defined.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether no field is defined.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// All definitions with their ids, in definition order.
    pub fn iter(&self) -> impl Iterator<Item = (FieldId, &FieldDef)> {
        self.defs
            .iter()
            .enumerate()
            .map(|(i, d)| (FieldId::try_from(i).unwrap_or(FieldId::MAX), d))
    }

    /// Ids of the fields the generic document writer emits, sorted by database name as
    /// Arkime's writer sorts them (so fields of one group are adjacent).
    pub fn save_order(&self) -> Vec<FieldId> {
        let mut ids: Vec<FieldId> = self
            .iter()
            .filter(|(_, d)| d.has_storage() && d.flags & (flags::NOSAVE | flags::DISABLED) == 0)
            .map(|(id, _)| id)
            .collect();
        ids.sort_by(|a, b| {
            let da = self.get(*a).map(|d| d.db_field.as_str()).unwrap_or("");
            let db = self.get(*b).map(|d| d.db_field.as_str()).unwrap_or("");
            da.cmp(db)
        });
        ids
    }
}

/// Parses an address as Arkime stores it: IPv4 stays IPv4, IPv4-mapped IPv6 becomes IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn define_is_idempotent_and_groups_split_on_first_dot() {
        let mut r = FieldRegistry::new();
        let a = r.define(
            "general",
            "integer",
            "vlan.dot1q",
            "VLAN",
            "dot1q.id",
            "",
            FieldType::IntArrayUnique,
            flags::CNT,
        );
        let b = r.define(
            "general",
            "termfield",
            "vlan.dot1q",
            "x",
            "other",
            "",
            FieldType::Str,
            0,
        );
        assert_eq!(a, b);
        let d = r.get(a).unwrap();
        assert_eq!(d.db_group(), Some("dot1q"));
        assert_eq!(d.db_leaf(), "id");
        assert_eq!(r.by_db("dot1q.id"), Some(a));
        let c = r.define(
            "general",
            "termfield",
            "oui.src",
            "",
            "srcOui",
            "",
            FieldType::StrHash,
            0,
        );
        assert_eq!(r.get(c).unwrap().db_group(), None);
        assert_eq!(r.save_order(), vec![a, c]);
    }
}
