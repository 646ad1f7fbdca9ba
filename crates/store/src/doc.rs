//! Turning a session document (Arkime's JSON body) into a tantivy document: every leaf
//! value under its dotted path (arrays and arrays of objects flattened), typed by the
//! partition's schema.
//!
//! The body is walked as it is parsed (a serde visitor), so no JSON tree is built: each
//! key steps down the schema's tree of dotted names, leaves go straight into the
//! document, and values under keys no field starts with are skipped unparsed.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender};
use trawl_output::Recorder;

use tantivy::schema::document::{Document, ReferenceValue, ReferenceValueLeaf, Value};
use tantivy::schema::Field;

use crate::schema::{Fields, Kind, PathNode};

/// A session document as tantivy indexes it: the body and id it owns, and each indexed
/// value, whose strings point into the body (or, when the JSON escaped them or they
/// were numbers, into a side buffer). Nothing of the body is copied to index it.
#[derive(Debug)]
pub struct SessionDoc {
    id: String,
    body: String,
    extra: String,
    /// Every value for tantivy: the id, the body and the row (if the partition keeps
    /// a file of integers) first, then in the order of the body.
    values: Vec<(Field, Slot)>,
    /// The integers for the partition's own file ([`crate::ints`]), in body order.
    ints: Vec<(Field, i64)>,
    /// The values in field order: field id in the high half, index into `values` in
    /// the low half.
    order: Vec<u64>,
    /// Where the buffers go when the document is dropped.
    pool: Option<Arc<Buffers>>,
}

/// Buffers of dropped documents, kept for the next ones. A document is built on a
/// packet thread and dropped on one of tantivy's: freeing its large buffers there
/// would take the packet thread's malloc arena lock on every document, and the
/// packet thread would allocate them anew each time.
#[derive(Debug)]
pub struct Buffers {
    bodies: (Sender<String>, Receiver<String>),
    parts: (Sender<Parts>, Receiver<Parts>),
}

/// A document's buffers besides its body.
#[derive(Debug)]
struct Parts {
    extra: String,
    values: Vec<(Field, Slot)>,
    ints: Vec<(Field, i64)>,
    order: Vec<u64>,
}

/// Buffers kept of each kind.
const POOL: usize = 1024;
/// Larger buffers (a body of an unusually large session) are freed, not kept.
const KEEP_BYTES: usize = 64 << 10;

impl Default for Buffers {
    fn default() -> Self {
        Buffers {
            bodies: bounded(POOL),
            parts: bounded(POOL),
        }
    }
}

impl Buffers {
    /// An empty body buffer, with room if one came back.
    pub fn body(&self) -> String {
        self.bodies.1.try_recv().unwrap_or_default()
    }

    fn parts(&self) -> Parts {
        self.parts.1.try_recv().unwrap_or_else(|_| new_parts())
    }

    fn put(&self, mut body: String, mut parts: Parts) {
        if body.capacity() <= KEEP_BYTES {
            body.clear();
            let _ = self.bodies.0.try_send(body);
        }
        if parts.extra.capacity() <= KEEP_BYTES && parts.values.capacity() <= KEEP_BYTES {
            parts.extra.clear();
            parts.values.clear();
            parts.ints.clear();
            parts.order.clear();
            let _ = self.parts.0.try_send(parts);
        }
    }
}

fn new_parts() -> Parts {
    Parts {
        extra: String::new(),
        values: Vec::with_capacity(96),
        ints: Vec::with_capacity(64),
        order: Vec::with_capacity(96),
    }
}

impl Drop for SessionDoc {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.put(
                std::mem::take(&mut self.body),
                Parts {
                    extra: std::mem::take(&mut self.extra),
                    values: std::mem::take(&mut self.values),
                    ints: std::mem::take(&mut self.ints),
                    order: std::mem::take(&mut self.order),
                },
            );
        }
    }
}

/// Where one value of a [`SessionDoc`] is.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// The document id.
    Id,
    /// A string at these byte offsets of the body.
    Body(u32, u32),
    /// A string at these byte offsets of the side buffer.
    Extra(u32, u32),
    /// An integer of a tantivy column.
    I64(i64),
    /// The document's row in the partition's file of integers.
    Row(u64),
    Ip(Ipv6Addr),
}

/// One value of a [`SessionDoc`] as tantivy reads it.
#[derive(Clone, Copy, Debug)]
pub enum DocValue<'a> {
    /// A string (a term, the id or the body).
    Str(&'a str),
    /// An integer.
    I64(i64),
    /// A row number.
    U64(u64),
    /// An address (IPv4 mapped into IPv6).
    Ip(Ipv6Addr),
}

impl<'a> Value<'a> for DocValue<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;
    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            DocValue::Str(s) => ReferenceValueLeaf::Str(s),
            DocValue::I64(n) => ReferenceValueLeaf::I64(n),
            DocValue::U64(n) => ReferenceValueLeaf::U64(n),
            DocValue::Ip(a) => ReferenceValueLeaf::IpAddr(a),
        })
    }
}

impl SessionDoc {
    fn value(&self, slot: Slot) -> DocValue<'_> {
        fn text(buf: &str, a: u32, b: u32) -> &str {
            buf.get(a as usize..b as usize).unwrap_or_default()
        }
        match slot {
            Slot::Id => DocValue::Str(&self.id),
            Slot::Body(a, b) => DocValue::Str(text(&self.body, a, b)),
            Slot::Extra(a, b) => DocValue::Str(text(&self.extra, a, b)),
            Slot::I64(n) => DocValue::I64(n),
            Slot::Row(n) => DocValue::U64(n),
            Slot::Ip(a) => DocValue::Ip(a),
        }
    }

    /// The document id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The values of `field`, in the order the body holds them.
    pub fn values_of(&self, field: Field) -> impl Iterator<Item = DocValue<'_>> {
        let own = self
            .ints
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|&(_, n)| DocValue::I64(n));
        self.values
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|&(_, slot)| self.value(slot))
            .chain(own)
    }

    /// The values that go to the partition's file of integers, in body order.
    pub fn ints(&self) -> &[(Field, i64)] {
        &self.ints
    }

    /// Gives the document its row in the partition's file of integers, in the slot
    /// kept for it when the schema has `_row`.
    pub fn set_row(&mut self, row: u64) {
        if let Some((_, slot @ Slot::Row(_))) = self.values.get_mut(2) {
            *slot = Slot::Row(row);
        }
    }

    /// The same document typed by another schema's fields (a partition made by
    /// another version of the registry).
    pub fn rebuild(mut self, fields: &Fields) -> Option<SessionDoc> {
        let id = std::mem::take(&mut self.id);
        let body = std::mem::take(&mut self.body);
        build(fields, id, body, self.pool.as_ref())
    }
}

/// The values of a [`SessionDoc`] in field order: id, body, then the indexed values.
pub struct DocValues<'a> {
    doc: &'a SessionDoc,
    order: std::slice::Iter<'a, u64>,
}

impl<'a> Iterator for DocValues<'a> {
    type Item = (Field, DocValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let at = *self.order.next()? as u32 as usize;
        let &(f, slot) = self.doc.values.get(at)?;
        Some((f, self.doc.value(slot)))
    }
}

impl Document for SessionDoc {
    type Value<'a> = DocValue<'a>;
    type FieldsValuesIter<'a> = DocValues<'a>;
    fn iter_fields_and_values(&self) -> DocValues<'_> {
        DocValues {
            doc: self,
            order: self.order.iter(),
        }
    }
}

/// A scalar of the body.
#[derive(Clone, Copy, Debug)]
enum Leaf<'s> {
    /// A string of the body itself, which starts at this byte offset of the body.
    BodyStr(&'s str, usize),
    /// A string the parser unescaped into a buffer of its own.
    Str(&'s str),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
}

/// The values gathered while walking a body.
struct Gather {
    extra: String,
    values: Vec<(Field, Slot)>,
    ints: Vec<(Field, i64)>,
}

impl Gather {
    fn extra(&mut self, s: &str) -> Slot {
        let a = self.extra.len();
        self.extra.push_str(s);
        Slot::Extra(a as u32, self.extra.len() as u32)
    }

    /// Takes a pool's buffers (or new ones), the id, body and row first among the
    /// values.
    fn new(fields: &Fields, pool: Option<&Arc<Buffers>>) -> (Gather, Vec<u64>) {
        let Parts {
            extra,
            mut values,
            ints,
            order,
        } = match pool {
            Some(p) => p.parts(),
            None => new_parts(),
        };
        values.push((fields.id, Slot::Id));
        // The body's end is set by `finish`, the row by the store's writer.
        values.push((fields.source, Slot::Body(0, 0)));
        if let Some(row) = fields.row {
            values.push((row, Slot::Row(0)));
        }
        (
            Gather {
                extra,
                values,
                ints,
            },
            order,
        )
    }

    /// The document made of what was gathered for `body`.
    fn finish(
        mut self,
        mut order: Vec<u64>,
        id: String,
        body: String,
        pool: Option<&Arc<Buffers>>,
    ) -> SessionDoc {
        if let Some(v) = self.values.get_mut(1) {
            v.1 = Slot::Body(0, body.len() as u32);
        }
        // tantivy groups a document's values by field; in field order that is one
        // pass. Sorting keys of eight bytes costs a fraction of sorting the values.
        order.extend(
            self.values
                .iter()
                .enumerate()
                .map(|(i, (f, _))| u64::from(f.field_id()) << 32 | i as u64),
        );
        order.sort_unstable();
        SessionDoc {
            id,
            body,
            extra: self.extra,
            values: self.values,
            ints: self.ints,
            order,
            pool: pool.cloned(),
        }
    }

    /// Adds one scalar as the field `target` types it.
    fn add(&mut self, target: (Field, Kind), leaf: Leaf<'_>) {
        let (f, kind) = target;
        let slot = match kind {
            Kind::Int | Kind::FastInt => {
                let n = match leaf {
                    Leaf::U64(n) => i64::try_from(n).ok(),
                    Leaf::I64(n) => Some(n),
                    Leaf::F64(x) => Some(x as i64),
                    Leaf::Str(s) | Leaf::BodyStr(s, _) => s.parse().ok(),
                    Leaf::Bool(b) => Some(i64::from(b)),
                };
                match (n, kind) {
                    (Some(n), Kind::Int) => {
                        self.ints.push((f, n));
                        return;
                    }
                    (Some(n), _) => Slot::I64(n),
                    (None, _) => return,
                }
            }
            Kind::Ip => match leaf {
                Leaf::Str(s) | Leaf::BodyStr(s, _) => match s.parse::<IpAddr>() {
                    Ok(ip) => Slot::Ip(to_v6(ip)),
                    Err(_) => return,
                },
                _ => return,
            },
            Kind::Term | Kind::Column => match leaf {
                Leaf::BodyStr(s, at) => Slot::Body(at as u32, (at + s.len()) as u32),
                Leaf::Str(s) => self.extra(s),
                Leaf::U64(n) => self.extra(&n.to_string()),
                Leaf::I64(n) => self.extra(&n.to_string()),
                // JSON's spelling of the number (1.0 stays "1.0").
                Leaf::F64(x) => self.extra(
                    &serde_json::Number::from_f64(x)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                ),
                Leaf::Bool(b) => self.extra(if b { "true" } else { "false" }),
            },
        };
        self.values.push((f, slot));
    }
}

/// The first `"` or `\\` of `bytes` at or after `from`. Eight bytes are looked at at
/// once (a word-wide test for either byte), which suits the short strings of session
/// documents better than a vector search's set-up.
fn quote_or_backslash(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let q = w ^ (ONES * u64::from(b'"'));
        let b = w ^ (ONES * u64::from(b'\\'));
        // A byte of q or b is zero where w holds the byte looked for; the lowest flag
        // set is exact (a borrow only spreads upwards).
        let hit = (q.wrapping_sub(ONES) & !q | b.wrapping_sub(ONES) & !b) & HIGH;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while let Some(&c) = bytes.get(i) {
        if c == b'"' || c == b'\\' {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The value of a string with escapes, as JSON defines them.
fn unescape(raw: &str) -> Option<String> {
    let mut quoted = String::with_capacity(raw.len() + 2);
    quoted.push('"');
    quoted.push_str(raw);
    quoted.push('"');
    serde_json::from_str(&quoted).ok()
}

/// A JSON number's text as a scalar: unsigned or negative integers as such, the rest
/// (fractions, exponents, integers beyond 64 bits) as floats.
fn number(n: &str) -> Option<Leaf<'static>> {
    Some(if n.contains(['.', 'e', 'E']) {
        Leaf::F64(n.parse().ok()?)
    } else if n.starts_with('-') {
        match n.parse() {
            Ok(v) => Leaf::I64(v),
            Err(_) => Leaf::F64(n.parse().ok()?),
        }
    } else {
        match n.parse() {
            Ok(v) => Leaf::U64(v),
            Err(_) => Leaf::F64(n.parse().ok()?),
        }
    })
}

/// Deepest nesting of objects and arrays a body may have.
const MAX_DEPTH: u32 = 64;

/// A reader of one JSON body that walks it in step with the schema's path tree:
/// strings the schema wants are kept as offsets into the body, values under keys no
/// field starts with are only stepped over. Our own writer made the body, so this
/// checks structure (brackets, commas, colons, literals, numbers) but not every rule
/// of JSON: a raw control character inside a string passes.
struct Scan<'b> {
    text: &'b str,
    at: usize,
}

impl<'b> Scan<'b> {
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.at += 1;
        }
    }

    /// Consumes `c` after optional white space.
    fn expect(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.byte()? == c).then(|| self.at += 1)
    }

    /// A string starting at the opening quote: its raw text between the quotes, and
    /// whether it holds escapes.
    fn string(&mut self) -> Option<(&'b str, bool)> {
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = quote_or_backslash(bytes, i)?;
            if bytes[i] == b'"' {
                break;
            }
            escaped = true;
            i += 2;
        }
        self.at = i + 1;
        Some((self.text.get(start..i)?, escaped))
    }

    fn number(&mut self) -> Option<&'b str> {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.byte() {
            self.at += 1;
        }
        let t = self.text.get(start..self.at)?;
        let digits = t.strip_prefix('-').unwrap_or(t);
        digits
            .starts_with(|c: char| c.is_ascii_digit())
            .then_some(t)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// Steps over one value no field wants: strings, brackets and their nesting are
    /// followed, scalars are not looked at.
    fn skip(&mut self, depth: u32) -> Option<()> {
        self.ws();
        let bytes = self.text.as_bytes();
        let mut open = 0u32;
        loop {
            match *bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                    if open == 0 {
                        return Some(());
                    }
                    continue;
                }
                b'{' | b'[' => {
                    open += 1;
                    if depth + open > MAX_DEPTH {
                        return None;
                    }
                }
                b'}' | b']' => {
                    if open == 0 {
                        // The end of the enclosing value: this one was empty.
                        return None;
                    }
                    open -= 1;
                    if open == 0 {
                        self.at += 1;
                        return Some(());
                    }
                }
                b',' | b':' if open == 0 => return None,
                _ => {}
            }
            self.at += 1;
            if open == 0 {
                // A scalar: it runs to the next delimiter.
                while let Some(c) = self.byte() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
                return Some(());
            }
        }
    }

    /// Steps into an object or array at its opening bracket; true if it is empty (and
    /// then also past its `close`).
    fn open(&mut self, close: u8, depth: u32) -> Option<bool> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.at += 1;
        self.ws();
        let empty = self.byte()? == close;
        if empty {
            self.at += 1;
        }
        Some(empty)
    }

    /// After a member: past a comma (false) or the `close` bracket (true).
    fn closed(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = self.byte()?;
        if c != b',' && c != close {
            return None;
        }
        self.at += 1;
        Some(c == close)
    }

    /// One value, whose path leads to `node` (None: no field under it).
    fn value(&mut self, node: Option<&PathNode>, out: &mut Gather, depth: u32) -> Option<()> {
        let Some(node) = node else {
            return self.skip(depth);
        };
        self.ws();
        let target = node.field;
        match self.byte()? {
            b'{' => {
                if self.open(b'}', depth)? {
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.byte()? != b'"' {
                        return None;
                    }
                    let (key, escaped) = self.string()?;
                    let child = if escaped {
                        node.child(&unescape(key)?)
                    } else {
                        node.child(key)
                    };
                    self.expect(b':')?;
                    self.value(child, out, depth + 1)?;
                    if self.closed(b'}')? {
                        return Some(());
                    }
                }
            }
            b'[' => {
                if self.open(b']', depth)? {
                    return Some(());
                }
                loop {
                    // An array's elements share its path.
                    self.value(Some(node), out, depth + 1)?;
                    if self.closed(b']')? {
                        return Some(());
                    }
                }
            }
            b'"' => {
                let at = self.at + 1;
                let (raw, escaped) = self.string()?;
                if let Some(t) = target {
                    if escaped {
                        out.add(t, Leaf::Str(&unescape(raw)?));
                    } else {
                        out.add(t, Leaf::BodyStr(raw, at));
                    }
                }
                Some(())
            }
            b't' => {
                self.literal("true")?;
                if let Some(t) = target {
                    out.add(t, Leaf::Bool(true));
                }
                Some(())
            }
            b'f' => {
                self.literal("false")?;
                if let Some(t) = target {
                    out.add(t, Leaf::Bool(false));
                }
                Some(())
            }
            b'n' => self.literal("null"),
            _ => {
                let n = self.number()?;
                let Some(t) = target else {
                    return Some(());
                };
                out.add(t, number(n)?);
                Some(())
            }
        }
    }
}

/// The tantivy document for a session document, or None if `body` is not JSON. With
/// a `pool`, its buffers come from there and go back there when it is dropped.
pub fn build(
    fields: &Fields,
    id: String,
    body: String,
    pool: Option<&Arc<Buffers>>,
) -> Option<SessionDoc> {
    // Offsets are 32 bits (and the side buffer is never larger than twice the body).
    if body.len() > (u32::MAX / 2) as usize {
        return None;
    }
    let (mut out, order) = Gather::new(fields, pool);
    let mut scan = Scan { text: &body, at: 0 };
    scan.value(Some(fields.tree()), &mut out, 0)?;
    scan.ws();
    if scan.at != body.len() {
        return None;
    }
    Some(out.finish(order, id, body, pool))
}

/// Nesting deeper than this is not followed by [`Heard`] (no field is that deep).
const HEARD_DEPTH: usize = 16;

/// A document's values as its writer tells them ([`Recorder`]): the same values
/// [`build`] reads back from the body, without reading it.
pub struct Heard<'f> {
    fields: &'f Fields,
    pool: Option<&'f Arc<Buffers>>,
    /// Where each member entered leads (None: no field under it).
    stack: [Option<&'f PathNode>; HEARD_DEPTH],
    depth: usize,
    gather: Gather,
    order: Vec<u64>,
    /// A value that could not be read (then the body is read instead).
    bad: bool,
}

impl<'f> Heard<'f> {
    /// Ready to hear one document typed by `fields`.
    pub fn new(fields: &'f Fields, pool: Option<&'f Arc<Buffers>>) -> Self {
        let (gather, order) = Gather::new(fields, pool);
        let mut stack = [None; HEARD_DEPTH];
        stack[0] = Some(fields.tree());
        Heard {
            fields,
            pool,
            stack,
            depth: 0,
            gather,
            order,
            bad: false,
        }
    }

    /// Whether every value was heard and every member left: else the body is read.
    fn complete(&self) -> bool {
        !self.bad && self.depth == 0
    }

    /// The tantivy document of the body just heard, or None if it is not JSON.
    pub fn finish(self, id: String, body: String) -> Option<SessionDoc> {
        if !self.complete() || body.len() > (u32::MAX / 2) as usize {
            return build(self.fields, id, body, self.pool);
        }
        let doc = self.gather.finish(self.order, id, body, self.pool);
        debug_assert!(
            build(self.fields, doc.id.clone(), doc.body.clone(), None)
                .is_some_and(|read| same_values(&read, &doc)),
            "the values heard differ from the body's: {}",
            doc.body
        );
        Some(doc)
    }
}

/// A document's values in field order (then the integers of the partition's own file,
/// in body order), each with its slot and as text.
fn values_as_text(d: &SessionDoc) -> impl Iterator<Item = (Field, Slot, String)> + '_ {
    let own = d.ints.iter().map(|&(f, n)| (f, Slot::I64(n)));
    d.order
        .iter()
        .filter_map(|&k| d.values.get(k as u32 as usize).copied())
        .chain(own)
        .map(|(f, slot)| {
            let t = match d.value(slot) {
                DocValue::Str(s) => s.to_string(),
                DocValue::I64(n) => n.to_string(),
                DocValue::U64(n) => n.to_string(),
                DocValue::Ip(a) => a.to_string(),
            };
            (f, slot, t)
        })
}

/// Whether two documents hold the same values in the same order.
fn same_values(a: &SessionDoc, b: &SessionDoc) -> bool {
    values_as_text(a)
        .map(|(f, _, t)| (f, t))
        .eq(values_as_text(b).map(|(f, _, t)| (f, t)))
}

impl Recorder for Heard<'_> {
    fn enter(&mut self, key: &str) {
        let next = self.stack.get(self.depth).copied().flatten();
        self.depth += 1;
        if let Some(slot) = self.stack.get_mut(self.depth) {
            *slot = next.and_then(|n| n.child(key));
        }
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn value(&mut self, out: &str, start: usize) {
        let Some(node) = self.stack.get(self.depth).copied().flatten() else {
            return;
        };
        let Some(text) = out.get(start..) else {
            self.bad = true;
            return;
        };
        let target = node.field;
        match text.as_bytes().first() {
            Some(b'"') => {
                let Some(t) = target else { return };
                let Some(raw) = text.get(1..text.len().saturating_sub(1)) else {
                    self.bad = true;
                    return;
                };
                if raw.as_bytes().contains(&b'\\') {
                    match unescape(raw) {
                        Some(u) => self.gather.add(t, Leaf::Str(&u)),
                        None => self.bad = true,
                    }
                } else {
                    self.gather.add(t, Leaf::BodyStr(raw, start + 1));
                }
            }
            // JSON written whole: read as the body would be.
            Some(b'{' | b'[') => {
                let mut scan = Scan {
                    text: out,
                    at: start,
                };
                let depth = self.depth as u32;
                if scan.value(Some(node), &mut self.gather, depth).is_none() {
                    self.bad = true;
                }
            }
            Some(b't') => {
                if let Some(t) = target {
                    self.gather.add(t, Leaf::Bool(true));
                }
            }
            Some(b'f') => {
                if let Some(t) = target {
                    self.gather.add(t, Leaf::Bool(false));
                }
            }
            Some(b'n') => {}
            Some(b'0'..=b'9' | b'-') => {
                if let Some(t) = target {
                    match number(text) {
                        Some(leaf) => self.gather.add(t, leaf),
                        None => self.bad = true,
                    }
                }
            }
            // Not JSON (a float written as NaN): the body is read, and refused.
            _ => self.bad = true,
        }
    }
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
    use crate::testing::next;

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

    fn texts(f: &Fields, doc: &SessionDoc, name: &str) -> Vec<String> {
        let field = f.schema.get_field(name).unwrap();
        doc.values_of(field)
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
        let doc = build(&f, "id1".into(), body.into(), None).unwrap();
        let ip = f.schema.get_field("source.ip").unwrap();
        assert_eq!(
            doc.values_of(ip).next().and_then(|v| v.as_ip_addr()),
            Some(
                "10.0.0.1"
                    .parse::<std::net::Ipv4Addr>()
                    .unwrap()
                    .to_ipv6_mapped()
            )
        );
        let port = f.schema.get_field("source.port").unwrap();
        assert_eq!(
            doc.values_of(port).next().and_then(|v| v.as_i64()),
            Some(1234)
        );
        assert_eq!(texts(&f, &doc, "protocol"), ["tcp", "http"]);
        assert_eq!(texts(&f, &doc, "http.host"), ["a.example", "dotted.key"]);
        assert_eq!(texts(&f, &doc, "tags"), ["7", "true", "1.0"]);
        assert_eq!(texts(&f, &doc, "cert.issuerON"), ["X", "Y \"q\""]);
        assert_eq!(texts(&f, &doc, "_id"), ["id1"]);
        assert_eq!(texts(&f, &doc, "_source"), [body]);
        // Unescaped strings point into the body; the escaped one was copied.
        assert!(doc.extra.contains("Y \"q\"") && !doc.extra.contains("a.example"));
    }

    #[test]
    fn documents_index_and_read_back_through_tantivy() {
        let f = fields();
        let index = tantivy::Index::create_in_ram(f.schema.clone());
        let mut w = index
            .writer_with_num_threads::<SessionDoc>(1, 15_000_000)
            .unwrap();
        let body = r#"{"protocol":["tcp","http"],"http":{"host":["a\u002eexample"]},"source":{"port":80}}"#;
        w.add_document(build(&f, "id1".into(), body.into(), None).unwrap())
            .unwrap();
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let hits = |field: &str, text: &str| {
            let q = tantivy::query::TermQuery::new(
                tantivy::Term::from_field_text(f.schema.get_field(field).unwrap(), text),
                tantivy::schema::IndexRecordOption::Basic,
            );
            searcher.search(&q, &tantivy::collector::Count).unwrap()
        };
        assert_eq!(hits("protocol", "http"), 1);
        assert_eq!(hits("http.host", "a.example"), 1);
        assert_eq!(hits("http.host", "a\\u002eexample"), 0);
        assert_eq!(hits("_id", "id1"), 1);
        let stored: tantivy::TantivyDocument =
            searcher.doc(tantivy::DocAddress::new(0, 0)).unwrap();
        assert_eq!(
            stored.get_first(f.source).and_then(|v| v.as_str()),
            Some(body)
        );
    }

    #[test]
    fn the_word_wide_search_finds_the_first_quote_or_backslash() {
        let text = b"0123456789abcdef\"x\\y0123456789";
        for from in 0..text.len() {
            let want = text[from..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\')
                .map(|p| p + from);
            assert_eq!(quote_or_backslash(text, from), want, "from {from}");
        }
        // Bytes just above and below the two looked for are not taken for them.
        let near = [
            b'!',
            b'#',
            b'[',
            b']',
            0x22 | 0x80,
            0x5c | 0x80,
            0,
            0xff,
            b'a',
        ];
        for len in 0..near.len() {
            assert_eq!(quote_or_backslash(&near[..len], 0), None);
        }
        assert_eq!(quote_or_backslash(b"", 0), None);
        assert_eq!(quote_or_backslash(b"ab", 5), None);
    }

    #[test]
    fn bad_json_is_refused() {
        let f = fields();
        for bad in ["{\"source\":", "{} trailing", ""] {
            assert!(build(&f, "x".into(), bad.into(), None).is_none());
        }
    }

    #[test]
    fn dropped_documents_give_their_buffers_to_the_next() {
        let f = fields();
        let pool = Arc::new(Buffers::default());
        let first = r#"{"source":{"ip":"10.0.0.1","port":1234},"protocol":["tcp","http"],
            "tags":["a\"b"],"http":{"host":["a.example"]}}"#;
        let doc = build(&f, "1".into(), first.into(), Some(&pool)).unwrap();
        let room = doc.body.capacity();
        drop(doc);
        let mut body = pool.body();
        assert!(body.is_empty());
        assert_eq!(body.capacity(), room);
        // The next document reuses the body, side buffer and value list, and holds
        // only its own values.
        body.push_str(r#"{"source":{"port":80},"tags":["x\ty"]}"#);
        let doc = build(&f, "2".into(), body, Some(&pool)).unwrap();
        assert_eq!(texts(&f, &doc, "protocol"), Vec::<String>::new());
        assert_eq!(texts(&f, &doc, "http.host"), Vec::<String>::new());
        assert_eq!(texts(&f, &doc, "tags"), vec!["x\ty"]);
        let port = f.schema.get_field("source.port").unwrap();
        let ports: Vec<i64> = doc.values_of(port).filter_map(|v| v.as_i64()).collect();
        assert_eq!(ports, vec![80]);
        assert_eq!(doc.values_of(f.id).count(), 1);
        // An unusually large body is freed rather than kept.
        drop(doc);
        let _ = pool.body();
        let big = format!(r#"{{"tags":["{}"]}}"#, "z".repeat(KEEP_BYTES));
        drop(build(&f, "3".into(), big, Some(&pool)).unwrap());
        assert_eq!(pool.body().capacity(), 0);
    }

    /// Every value under `node` as the reference reading (serde_json's tree) gives it.
    fn reference(node: &PathNode, v: &serde_json::Value, out: &mut Vec<(Field, String)>) {
        use serde_json::Value as J;
        match v {
            J::Object(m) => {
                for (k, v) in m {
                    if let Some(n) = node.child(k) {
                        reference(n, v, out);
                    }
                }
            }
            J::Array(a) => a.iter().for_each(|v| reference(node, v, out)),
            J::Null => {}
            leaf => {
                let Some((f, kind)) = node.field else { return };
                let text = match (kind, leaf) {
                    // A u64 beyond i64 is left out, as in the store's own reading.
                    (Kind::Int | Kind::FastInt, J::Number(n)) => match (n.as_u64(), n.as_i64()) {
                        (Some(u), _) => i64::try_from(u).ok(),
                        (None, Some(i)) => Some(i),
                        _ => n.as_f64().map(|x| x as i64),
                    }
                    .map(|n| n.to_string()),
                    (Kind::Int | Kind::FastInt, J::Bool(b)) => Some(i64::from(*b).to_string()),
                    (Kind::Int | Kind::FastInt, J::String(s)) => {
                        s.parse::<i64>().ok().map(|n| n.to_string())
                    }
                    (Kind::Ip, J::String(s)) => {
                        s.parse::<IpAddr>().ok().map(|a| to_v6(a).to_string())
                    }
                    (Kind::Ip, _) => None,
                    (_, J::String(s)) => Some(s.clone()),
                    (_, other) => Some(other.to_string()),
                };
                if let Some(t) = text {
                    out.push((f, t));
                }
            }
        }
    }

    /// The values in field order (each field's in body order), without the id, body and row.
    fn rendered(doc: &SessionDoc) -> Vec<(Field, String)> {
        let mut v: Vec<(Field, String)> = values_as_text(doc)
            .filter(|(_, slot, _)| !matches!(slot, Slot::Id | Slot::Body(0, _) | Slot::Row(_)))
            .map(|(f, _, t)| (f, t))
            .collect();
        v.sort_by_key(|(f, _)| *f);
        v
    }

    /// Keys of random documents: the test schema's path segments, a dotted key and
    /// one no field has.
    const KEYS: [&str; 13] = [
        "source",
        "ip",
        "port",
        "protocol",
        "http",
        "host",
        "tags",
        "cert",
        "issuerON",
        "tcpflags",
        "syn",
        "other",
        "http.host",
    ];

    /// A random JSON value shaped like session documents: nested objects with the
    /// schema's keys and others, arrays of objects, escapes, numbers of every kind.
    fn random_json(rng: &mut u64, depth: u32) -> String {
        // One key spelled with an escape.
        let keys: Vec<&str> = KEYS.iter().copied().chain(["x\\u0068"]).collect();
        let scalars = [
            "1",
            "-7",
            "0",
            "18446744073709551615",
            "-9223372036854775809",
            "1.0",
            "2.5e3",
            "true",
            "false",
            "null",
            "\"10.0.0.1\"",
            "\"::1\"",
            "\"a b\"",
            "\"q\\\"x\"",
            "\"\\u00e9t\\u00e9\"",
            "\"caf\u{e9}\"",
            "\"\"",
            "\"12\"",
        ];
        match next(rng, if depth >= 4 { 1 } else { 4 }) {
            0 => scalars[next(rng, scalars.len() as u64) as usize].to_string(),
            1 | 2 => {
                let n = next(rng, 5);
                // Distinct keys: serde_json's tree keeps only the last of repeated ones.
                let mut used = Vec::new();
                let mut items = Vec::new();
                for _ in 0..n {
                    let k = keys[next(rng, keys.len() as u64) as usize];
                    if !used.contains(&k) {
                        used.push(k);
                        items.push(format!("\"{k}\" : {}", random_json(rng, depth + 1)));
                    }
                }
                format!("{{ {} }}", items.join(","))
            }
            _ => {
                let n = next(rng, 4);
                let items: Vec<String> = (0..n).map(|_| random_json(rng, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    /// Writes a random member into `o`, as the document writer might.
    fn random_member(o: &mut trawl_output::json::Obj, rng: &mut u64, depth: u32) {
        // One key the writer has to escape.
        let keys: Vec<&str> = KEYS.iter().copied().chain(["x\"h"]).collect();
        let strs = [
            "10.0.0.1",
            "::1",
            "a b",
            "q\"x",
            "\\",
            "t\tab",
            "caf\u{e9}",
            "",
            "12",
            "nope",
        ];
        let k = keys[next(rng, keys.len() as u64) as usize];
        let s = |rng: &mut u64| strs[next(rng, strs.len() as u64) as usize];
        match next(rng, if depth >= 3 { 6 } else { 8 }) {
            0 => {
                let n = [0i64, 1, -7, i64::MAX, i64::MIN][next(rng, 5) as usize];
                o.num(k, n);
            }
            1 => {
                o.num(k, u64::MAX - next(rng, 2));
            }
            2 => {
                let v = s(rng);
                o.str(k, v);
            }
            3 => {
                o.bool(k, next(rng, 2) == 0);
            }
            4 => {
                let v: Vec<&str> = (0..next(rng, 3)).map(|_| s(rng)).collect();
                o.strs(k, v);
            }
            5 => {
                let v: Vec<u64> = (0..next(rng, 3)).map(|_| next(rng, 70000)).collect();
                o.nums(k, v);
            }
            6 => {
                let items = [
                    r#"{"issuerON":["X","Y\"z"],"other":1}"#,
                    r#"["a",2,null]"#,
                    "{}",
                ];
                let n = next(rng, 3) as usize;
                o.raw_list(k, items[..n].iter().copied());
            }
            _ => {
                let n = next(rng, 4);
                o.obj(k, |o| {
                    for _ in 0..n {
                        random_member(o, rng, depth + 1);
                    }
                });
            }
        }
    }

    #[test]
    fn the_values_heard_are_the_values_read_back() {
        let f = fields();
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut body = String::from("x");
            body.clear();
            let mut heard = Heard::new(&f, None);
            let mut o = trawl_output::json::Obj::recorded(&mut body, Some(&mut heard));
            for _ in 0..6 {
                random_member(&mut o, &mut rng, 0);
            }
            o.close();
            assert!(heard.complete(), "{body}");
            let read = build(&f, "x".into(), body.clone(), None).expect(&body);
            let doc = heard.finish("x".into(), body.clone()).expect(&body);
            assert!(same_values(&read, &doc), "{body}");
            assert_eq!(rendered(&read), rendered(&doc), "{body}");
        }
    }

    #[test]
    fn the_walk_reads_what_serde_json_reads() {
        let f = fields();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let top = [
                "source",
                "tags",
                "http",
                "cert",
                "tcpflags",
                "protocol",
                "http.host",
            ];
            let parts: Vec<String> = top
                .iter()
                .map(|k| format!("\"{k}\":{}", random_json(&mut rng, 1)))
                .collect();
            let body = format!("{{{}}}", parts.join(","));
            let v: serde_json::Value = serde_json::from_str(&body).expect(&body);
            let mut want = Vec::new();
            reference(f.tree(), &v, &mut want);
            want.sort_by_key(|(f, _)| *f);
            let doc = build(&f, "x".into(), body.clone(), None).expect(&body);
            assert_eq!(rendered(&doc), want, "{body}");
            // Any cut of it is refused, never misread.
            let mut cut = body.len() / 2;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            assert!(
                build(&f, "x".into(), body[..cut].into(), None).is_none(),
                "{body}"
            );
        }
    }
}
