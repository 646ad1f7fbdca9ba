//! Per-session field values.

use std::collections::HashSet;
use std::hash::Hash;
use std::net::IpAddr;

use crate::{FieldId, FieldRegistry, FieldType};

/// A set that remembers first-seen order; linear while small, hashed once large.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderedSet<T: Eq + Hash + Clone> {
    items: Vec<T>,
    index: Option<HashSet<T>>,
}

impl<T: Eq + Hash + Clone> Default for OrderedSet<T> {
    fn default() -> Self {
        OrderedSet {
            items: Vec::new(),
            index: None,
        }
    }
}

const LINEAR_MAX: usize = 16;

impl<T: Eq + Hash + Clone> OrderedSet<T> {
    /// Adds `v`; false if it was already present.
    pub fn insert(&mut self, v: T) -> bool {
        match &mut self.index {
            Some(idx) => {
                if !idx.insert(v.clone()) {
                    return false;
                }
            }
            None => {
                if self.items.contains(&v) {
                    return false;
                }
                if self.items.len() >= LINEAR_MAX {
                    let mut idx: HashSet<T> = self.items.iter().cloned().collect();
                    idx.insert(v.clone());
                    self.index = Some(idx);
                }
            }
        }
        self.items.push(v);
        true
    }

    /// Whether `v` is present.
    pub fn contains(&self, v: &T) -> bool {
        match &self.index {
            Some(idx) => idx.contains(v),
            None => self.items.contains(v),
        }
    }

    /// Values in first-seen order.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes `v` if present.
    pub fn remove(&mut self, v: &T) -> bool {
        let Some(pos) = self.items.iter().position(|x| x == v) else {
            return false;
        };
        self.items.remove(pos);
        if let Some(idx) = &mut self.index {
            idx.remove(v);
        }
        true
    }
}

/// The values one session holds for one field.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// [`FieldType::Int`].
    Int(i64),
    /// [`FieldType::IntArray`] and [`FieldType::IntArrayUnique`].
    IntList(Vec<u32>),
    /// [`FieldType::IntHash`] and [`FieldType::IntGHash`].
    IntSet(OrderedSet<u32>),
    /// [`FieldType::Str`].
    Str(String),
    /// [`FieldType::StrArray`].
    StrList(Vec<String>),
    /// [`FieldType::StrHash`] and [`FieldType::StrGHash`].
    StrSet(OrderedSet<String>),
    /// [`FieldType::Ip`].
    Ip(IpAddr),
    /// [`FieldType::IpGHash`].
    IpSet(OrderedSet<IpAddr>),
    /// Float types.
    FloatList(Vec<f64>),
    /// [`FieldType::Object`]: JSON objects the parser rendered itself, written as an
    /// array with a `<name>Cnt` count (Arkime's object fields, such as `dns`).
    Objects(Vec<String>),
}

/// A value just added to a field a rule watches (see [`crate::FieldDef::rule_enabled`]).
#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(u32),
    /// An address.
    Ip(IpAddr),
    /// A float.
    Float(f64),
}

/// A session's field table, by [`FieldId`]. Sparse: a session sets a few dozen of the
/// registry's thousand-odd fields, and a table as long as the highest id set cost tens
/// of kilobytes per session (most of capture's heap with many sessions open).
#[derive(Clone, Debug, Default)]
pub struct Fields {
    /// The fields set, in increasing id order (so [`Fields::present`] is in id order).
    slots: Vec<(FieldId, Option<FieldValue>)>,
    /// New values of rule-watched fields, waiting for the rules engine.
    pending: Vec<(FieldId, SetValue)>,
}

impl Fields {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `id` is in `slots`, or where it would go.
    #[inline]
    fn find(&self, id: FieldId) -> Result<usize, usize> {
        // Fields are mostly set in increasing id order: try the end first.
        match self.slots.last() {
            Some(&(last, _)) if last < id => Err(self.slots.len()),
            _ => self.slots.binary_search_by_key(&id, |e| e.0),
        }
    }

    fn slot(&mut self, id: FieldId) -> &mut Option<FieldValue> {
        let i = match self.find(id) {
            Ok(i) => i,
            Err(i) => {
                self.slots.insert(i, (id, None));
                i
            }
        };
        &mut self.slots[i].1
    }

    fn slot_mut(&mut self, id: FieldId) -> Option<&mut Option<FieldValue>> {
        let i = self.find(id).ok()?;
        Some(&mut self.slots[i].1)
    }

    /// The values of `id`, if any were added.
    pub fn get(&self, id: FieldId) -> Option<&FieldValue> {
        let i = self.find(id).ok()?;
        self.slots[i].1.as_ref()
    }

    /// Removes and returns the values of `id`.
    pub fn take(&mut self, id: FieldId) -> Option<FieldValue> {
        self.slot_mut(id).and_then(Option::take)
    }

    /// Ids that hold values, in increasing order.
    pub fn present(&self) -> impl Iterator<Item = FieldId> + '_ {
        self.slots
            .iter()
            .filter(|(_, s)| s.is_some())
            .map(|&(id, _)| id)
    }

    /// Drops every value.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.pending.clear();
    }

    /// Takes the field-set events queued since the last call (empty unless a rule
    /// watches a field).
    pub fn take_pending(&mut self) -> Vec<(FieldId, SetValue)> {
        std::mem::take(&mut self.pending)
    }

    /// Whether field-set events are waiting.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn queue(
        &mut self,
        reg: &FieldRegistry,
        id: FieldId,
        added: bool,
        v: impl FnOnce() -> SetValue,
    ) -> bool {
        if added && reg.get(id).is_some_and(|d| d.rule_enabled) {
            self.pending.push((id, v()));
        }
        added
    }

    /// Keeps only the fields for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(FieldId) -> bool) {
        for (id, s) in self.slots.iter_mut() {
            if s.is_some() && !keep(*id) {
                *s = None;
            }
        }
    }

    /// Adds a string value; returns false if the field's type holds no strings or the
    /// value was already there (for set types).
    ///
    /// A NUL ends the value, as it ends Arkime's C strings (a DHCP host name or an SSH
    /// version padded with NULs, say).
    pub fn string_add(&mut self, reg: &FieldRegistry, id: FieldId, v: &str) -> bool {
        let v = v.find('\0').map_or(v, |i| &v[..i]);
        let added = self.string_add_value(reg, id, v);
        self.queue(reg, id, added, || SetValue::Str(v.to_string()))
    }

    fn string_add_value(&mut self, reg: &FieldRegistry, id: FieldId, v: &str) -> bool {
        let Some(def) = reg.get(id) else { return false };
        let ty = def.ty;
        let slot = self.slot(id);
        match ty {
            FieldType::Str => {
                if slot.is_some() {
                    return false;
                }
                *slot = Some(FieldValue::Str(v.to_string()));
                true
            }
            FieldType::StrArray => {
                match slot {
                    Some(FieldValue::StrList(l)) => l.push(v.to_string()),
                    _ => *slot = Some(FieldValue::StrList(vec![v.to_string()])),
                }
                true
            }
            FieldType::StrHash | FieldType::StrGHash => match slot {
                Some(FieldValue::StrSet(s)) => {
                    if s.contains(&v.to_string()) {
                        false
                    } else {
                        s.insert(v.to_string())
                    }
                }
                _ => {
                    let mut s = OrderedSet::default();
                    s.insert(v.to_string());
                    *slot = Some(FieldValue::StrSet(s));
                    true
                }
            },
            _ => false,
        }
    }

    /// Removes a string from a set field.
    pub fn string_remove(&mut self, id: FieldId, v: &str) -> bool {
        match self.slot_mut(id) {
            Some(Some(FieldValue::StrSet(s))) => s.remove(&v.to_string()),
            _ => false,
        }
    }

    /// Whether a set field holds `v`.
    pub fn string_contains(&self, id: FieldId, v: &str) -> bool {
        match self.get(id) {
            Some(FieldValue::StrSet(s)) => s.contains(&v.to_string()),
            Some(FieldValue::StrList(l)) => l.iter().any(|x| x == v),
            Some(FieldValue::Str(s)) => s == v,
            _ => false,
        }
    }

    /// Adds an integer value.
    pub fn int_add(&mut self, reg: &FieldRegistry, id: FieldId, v: u32) -> bool {
        let added = self.int_add_value(reg, id, v);
        self.queue(reg, id, added, || SetValue::Int(v))
    }

    fn int_add_value(&mut self, reg: &FieldRegistry, id: FieldId, v: u32) -> bool {
        let Some(def) = reg.get(id) else { return false };
        let ty = def.ty;
        let slot = self.slot(id);
        match ty {
            FieldType::Int => {
                *slot = Some(FieldValue::Int(i64::from(v)));
                true
            }
            FieldType::IntArray => {
                match slot {
                    Some(FieldValue::IntList(l)) => l.push(v),
                    _ => *slot = Some(FieldValue::IntList(vec![v])),
                }
                true
            }
            FieldType::IntArrayUnique => match slot {
                Some(FieldValue::IntList(l)) => {
                    if l.contains(&v) {
                        false
                    } else {
                        l.push(v);
                        true
                    }
                }
                _ => {
                    *slot = Some(FieldValue::IntList(vec![v]));
                    true
                }
            },
            FieldType::IntHash | FieldType::IntGHash => match slot {
                Some(FieldValue::IntSet(s)) => s.insert(v),
                _ => {
                    let mut s = OrderedSet::default();
                    s.insert(v);
                    *slot = Some(FieldValue::IntSet(s));
                    true
                }
            },
            _ => false,
        }
    }

    /// Adds an IP value (IPv4-mapped IPv6 is stored as IPv4).
    pub fn ip_add(&mut self, reg: &FieldRegistry, id: FieldId, ip: IpAddr) -> bool {
        let added = self.ip_add_value(reg, id, ip);
        self.queue(reg, id, added, || SetValue::Ip(crate::canonical_ip(ip)))
    }

    fn ip_add_value(&mut self, reg: &FieldRegistry, id: FieldId, ip: IpAddr) -> bool {
        let Some(def) = reg.get(id) else { return false };
        let ty = def.ty;
        let ip = crate::canonical_ip(ip);
        let slot = self.slot(id);
        match ty {
            FieldType::Ip => {
                *slot = Some(FieldValue::Ip(ip));
                true
            }
            FieldType::IpGHash => match slot {
                Some(FieldValue::IpSet(s)) => s.insert(ip),
                _ => {
                    let mut s = OrderedSet::default();
                    s.insert(ip);
                    *slot = Some(FieldValue::IpSet(s));
                    true
                }
            },
            _ => false,
        }
    }

    /// Adds one JSON object (already rendered, e.g. `{"a":1}`) to an object field.
    pub fn object_add(&mut self, reg: &FieldRegistry, id: FieldId, json: String) -> bool {
        let Some(def) = reg.get(id) else { return false };
        if def.ty != FieldType::Object {
            return false;
        }
        match self.slot(id) {
            Some(FieldValue::Objects(v)) => v.push(json),
            slot => *slot = Some(FieldValue::Objects(vec![json])),
        }
        true
    }

    /// Adds a float value.
    pub fn float_add(&mut self, reg: &FieldRegistry, id: FieldId, v: f64) -> bool {
        let added = self.float_add_value(reg, id, v);
        self.queue(reg, id, added, || SetValue::Float(v))
    }

    fn float_add_value(&mut self, reg: &FieldRegistry, id: FieldId, v: f64) -> bool {
        let Some(def) = reg.get(id) else { return false };
        if !matches!(
            def.ty,
            FieldType::Float | FieldType::FloatArray | FieldType::FloatGHash
        ) {
            return false;
        }
        let set = def.ty == FieldType::FloatGHash;
        let single = def.ty == FieldType::Float;
        let slot = self.slot(id);
        match slot {
            Some(FieldValue::FloatList(l)) if !single => {
                if set && l.contains(&v) {
                    return false;
                }
                l.push(v);
            }
            _ => *slot = Some(FieldValue::FloatList(vec![v])),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;

    fn reg() -> (FieldRegistry, FieldId, FieldId, FieldId) {
        let mut r = FieldRegistry::new();
        let s = r.define(
            "g",
            "termfield",
            "s",
            "",
            "s",
            "",
            FieldType::StrHash,
            flags::CNT,
        );
        let i = r.define(
            "g",
            "integer",
            "i",
            "",
            "i",
            "",
            FieldType::IntArrayUnique,
            0,
        );
        let ip = r.define("g", "ip", "ip", "", "ip", "", FieldType::IpGHash, 0);
        (r, s, i, ip)
    }

    #[test]
    fn sets_dedupe_and_keep_order() {
        let (r, s, i, ip) = reg();
        let mut f = Fields::new();
        for v in ["b", "a", "b", "c"] {
            f.string_add(&r, s, v);
        }
        for n in 0..40u32 {
            f.string_add(&r, s, &format!("n{}", n % 20));
        }
        match f.get(s) {
            Some(FieldValue::StrSet(set)) => {
                assert_eq!(&set.as_slice()[..3], ["b", "a", "c"]);
                assert_eq!(set.len(), 23);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(f.int_add(&r, i, 5));
        assert!(!f.int_add(&r, i, 5));
        assert!(f.ip_add(&r, ip, "::ffff:10.0.0.1".parse().unwrap()));
        assert!(!f.ip_add(&r, ip, "10.0.0.1".parse().unwrap()));
        assert!(!f.int_add(&r, s, 1), "a string field takes no ints");
    }

    #[test]
    fn sparse_table_in_id_order() {
        let mut r = FieldRegistry::new();
        let ids: Vec<FieldId> = (0..900)
            .map(|n| {
                let e = format!("f{n}");
                r.define("g", "integer", &e, "", &e, "", FieldType::IntArrayUnique, 0)
            })
            .collect();
        let mut f = Fields::new();
        for &i in [850, 3, 400, 3, 899, 0].iter() {
            f.int_add(&r, ids[i], i as u32);
        }
        let set: Vec<FieldId> = [0, 3, 400, 850, 899].iter().map(|&i| ids[i]).collect();
        assert_eq!(f.present().collect::<Vec<_>>(), set);
        assert!(f.get(ids[1]).is_none() && f.get(ids[899]).is_some());
        assert!(f.take(ids[400]).is_some() && f.take(ids[400]).is_none());
        f.retain(|id| id != ids[3]);
        let left: Vec<FieldId> = [0, 850, 899].iter().map(|&i| ids[i]).collect();
        assert_eq!(f.present().collect::<Vec<_>>(), left);
        // Five fields set, whatever their ids: the table does not grow to id 899.
        assert!(f.slots.len() <= 5);
    }

    #[test]
    fn a_nul_ends_a_string() {
        let (r, s, _, _) = reg();
        let mut f = Fields::new();
        assert!(f.string_add(&r, s, "OpenSSH_8.9\0\0\0"));
        assert!(!f.string_add(&r, s, "OpenSSH_8.9\0junk"), "the same value");
        assert!(f.string_add(&r, s, "\0after"));
        match f.get(s) {
            Some(FieldValue::StrSet(set)) => assert_eq!(set.as_slice(), ["OpenSSH_8.9", ""]),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[cfg(test)]
mod object_tests {
    use super::*;
    use crate::flags;

    #[test]
    fn objects_only_go_to_object_fields() {
        let mut r = FieldRegistry::new();
        let o = r.define(
            "dns",
            "notreal",
            "dns",
            "",
            "dns",
            "",
            FieldType::Object,
            flags::CNT,
        );
        let s = r.define("g", "termfield", "s", "", "s", "", FieldType::StrHash, 0);
        let mut f = Fields::new();
        assert!(f.object_add(&r, o, r#"{"a":1}"#.into()));
        assert!(f.object_add(&r, o, r#"{"a":2}"#.into()));
        assert!(!f.object_add(&r, s, "{}".into()));
        assert_eq!(
            f.get(o),
            Some(&FieldValue::Objects(vec![
                r#"{"a":1}"#.into(),
                r#"{"a":2}"#.into()
            ]))
        );
    }
}
