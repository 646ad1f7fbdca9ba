//! Aggregations on the index itself, without reading a document: the values of
//! fields with the number of matching sessions holding each (the SPI view, unique
//! values, the country map) and the sessions-over-time histogram with its packet and
//! byte sums.
//!
//! A search first marks its matches, one bit per document of each segment. Then each
//! field is read where the partition keeps it:
//! - term fields from the term dictionary: a term's postings are counted against the
//!   marks, or when every document of the segment matches, its document frequency is
//!   the count and no posting is read;
//! - address, time and dictionary-column fields from their tantivy columns, for the
//!   marked documents;
//! - integer fields from the partition's own file ([`crate::ints`]), for the rows of
//!   the marked documents.
//!
//! A session counts once per distinct value, as Elasticsearch's `terms` counts
//! documents.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use rustc_hash::FxHashMap;
use serde_json::Value;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use crate::ints::{Ints, RowSet};
use crate::schema::{Fields, Kind};

/// What to aggregate over the matches of a search.
#[derive(Clone, Debug, Default)]
pub struct AggRequest {
    /// Fields (database names) whose values are counted, each with the number of
    /// top values wanted (None: every value).
    pub terms: Vec<(String, Option<usize>)>,
    /// The histogram, if wanted.
    pub histogram: Option<HistoRequest>,
}

/// Sessions per time bucket, with sums of integer fields.
#[derive(Clone, Debug)]
pub struct HistoRequest {
    /// The time field (ms) the buckets are of: `firstPacket` or `lastPacket`.
    pub field: String,
    /// The bucket width in ms (at least 1).
    pub interval_ms: i64,
    /// Integer fields summed per bucket; each session adds its first value.
    pub sums: Vec<String>,
}

/// The answer: matches, each term field's values with their counts (in no order),
/// and the histogram's buckets by their start (sessions and the sums, in the order
/// asked).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AggAnswer {
    /// Sessions matching.
    pub matched: u64,
    /// Per field of [`AggRequest::terms`], the values held by matches with the
    /// number of matches holding each.
    pub terms: Vec<TermsAnswer>,
    /// Bucket start (ms) → (sessions, sums).
    pub histogram: BTreeMap<i64, (u64, Vec<i64>)>,
}

/// The values of one field: every value, or the top ones (by count, with every
/// value tied with the last of them, so the caller orders ties) and the total count
/// of the others.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TermsAnswer {
    /// Values with their counts, in no order.
    pub values: Vec<(Value, u64)>,
    /// The sum of the counts of the values left out.
    pub other: u64,
}

/// Whether every field `req` reads is in the partition's schema (a partition made
/// by an older registry may lack one; its documents are then read instead).
pub(crate) fn supported(fields: &Fields, req: &AggRequest) -> bool {
    let known = |n: &str| fields.get(n).is_some();
    req.terms.iter().all(|(t, _)| known(t))
        && req.histogram.as_ref().is_none_or(|h| {
            matches!(fields.get(&h.field), Some((_, Kind::FastInt)))
                && h.sums
                    .iter()
                    .all(|s| matches!(fields.get(s), Some((_, Kind::Int | Kind::FastInt))))
        })
}

/// The matching documents of one segment, a bit each.
#[derive(Debug)]
pub(crate) struct Marks {
    pub seg: SegmentOrdinal,
    bits: Vec<u64>,
    count: u32,
    max_doc: u32,
}

impl Marks {
    fn contains(&self, d: DocId) -> bool {
        self.bits
            .get((d / 64) as usize)
            .is_some_and(|w| w & (1 << (d % 64)) != 0)
    }

    /// The number of marked documents.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether every document of the segment matches (none deleted either).
    fn all(&self) -> bool {
        self.count == self.max_doc
    }

    /// The marked documents, ascending.
    fn docs(&self) -> impl Iterator<Item = DocId> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some(i as u32 * 64 + b)
            })
        })
    }
}

/// Collects [`Marks`] per segment.
pub(crate) struct MarkCollector;

pub(crate) struct MarkSegment(Marks);

impl Collector for MarkCollector {
    type Fruit = Vec<Marks>;
    type Child = MarkSegment;

    fn for_segment(&self, seg: SegmentOrdinal, r: &SegmentReader) -> tantivy::Result<MarkSegment> {
        let max_doc = r.max_doc();
        Ok(MarkSegment(Marks {
            seg,
            bits: vec![0; max_doc.div_ceil(64) as usize],
            count: 0,
            max_doc,
        }))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Marks>) -> tantivy::Result<Vec<Marks>> {
        Ok(fruits)
    }
}

impl SegmentCollector for MarkSegment {
    type Fruit = Marks;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(w) = self.0.bits.get_mut((doc / 64) as usize) {
            *w |= 1 << (doc % 64);
            self.0.count += 1;
        }
    }

    fn harvest(self) -> Marks {
        self.0
    }
}

/// Counts of one field's values across partitions, by the kind of value (a field
/// is of one kind, unless partitions made by different registries disagree).
#[derive(Clone, Debug, Default)]
pub struct Counts {
    strs: FxHashMap<Box<str>, u64>,
    ints: FxHashMap<i64, u64>,
    ips: FxHashMap<Ipv6Addr, u64>,
}

impl Counts {
    fn add_str(&mut self, s: &str, n: u64) {
        match self.strs.get_mut(s) {
            Some(c) => *c += n,
            None => {
                self.strs.insert(s.into(), n);
            }
        }
    }

    /// Adds the counts of `other` (another partition's).
    pub(crate) fn merge(&mut self, other: &Counts) {
        for (k, &n) in &other.strs {
            self.add_str(k, n);
        }
        for (&v, &n) in &other.ints {
            *self.ints.entry(v).or_default() += n;
        }
        for (&v, &n) in &other.ips {
            *self.ips.entry(v).or_default() += n;
        }
    }

    /// About the memory it holds, in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.strs.len() * 48
            + self.strs.keys().map(|k| k.len()).sum::<usize>()
            + self.ints.len() * 24
            + self.ips.len() * 32
    }

    fn merge_ints(&mut self, local: FxHashMap<i64, u64>) {
        if self.ints.is_empty() {
            self.ints = local;
            return;
        }
        for (v, n) in local {
            *self.ints.entry(v).or_default() += n;
        }
    }

    fn merge_ips(&mut self, local: FxHashMap<Ipv6Addr, u64>) {
        if self.ips.is_empty() {
            self.ips = local;
            return;
        }
        for (v, n) in local {
            *self.ips.entry(v).or_default() += n;
        }
    }

    /// The answer for the top `size` values (None: all).
    fn answer(self, size: Option<usize>) -> TermsAnswer {
        let total = self.strs.len() + self.ints.len() + self.ips.len();
        // The count of the size-th value: values counted less are left out.
        let least = match size {
            Some(k) if k < total => {
                let mut all: Vec<u64> = self
                    .strs
                    .values()
                    .chain(self.ints.values())
                    .chain(self.ips.values())
                    .copied()
                    .collect();
                if k == 0 {
                    u64::MAX
                } else {
                    *all.select_nth_unstable_by(k - 1, |a, b| b.cmp(a)).1
                }
            }
            _ => 0,
        };
        let mut out = TermsAnswer::default();
        let mut keep = |n: u64, v: &dyn Fn() -> Value| {
            if n >= least {
                out.values.push((v(), n));
            } else {
                out.other += n;
            }
        };
        for (s, &n) in &self.strs {
            keep(n, &|| Value::String(s.to_string()));
        }
        for (i, &n) in &self.ints {
            keep(n, &|| Value::from(*i));
        }
        for (ip, &n) in &self.ips {
            keep(n, &|| {
                Value::String(match ip.to_ipv4_mapped() {
                    Some(v4) => v4.to_string(),
                    None => ip.to_string(),
                })
            });
        }
        out
    }
}

/// Buckets of a histogram: start (ms) → (sessions, sums).
pub type Buckets = BTreeMap<i64, (u64, Vec<i64>)>;

/// Adds the buckets of `other` (another partition's) to `into`.
pub(crate) fn merge_histogram(into: &mut Buckets, other: &Buckets) {
    for (k, (n, sums)) in other {
        match into.get_mut(k) {
            Some(e) => {
                e.0 += n;
                for (a, b) in e.1.iter_mut().zip(sums) {
                    *a = a.wrapping_add(*b);
                }
            }
            None => {
                into.insert(*k, (*n, sums.clone()));
            }
        }
    }
}

/// What one partition answered, kept in its cache.
#[derive(Clone, Debug)]
pub(crate) enum Cached {
    Matched(u64),
    Counts(std::sync::Arc<Counts>),
    Buckets(std::sync::Arc<Buckets>),
}

/// Kept answers, oldest first, each with its key and size, and their total size.
type CacheList = (std::collections::VecDeque<(String, Cached, usize)>, usize);

/// Bytes of answers a partition keeps.
const CACHE_BYTES: usize = 32 << 20;

/// A partition's answers to recent aggregations, by the query, the part of the time
/// window that matters to the partition, and the item (matches, a field's counts,
/// a histogram). It lives as long as the open partition, which is opened again once
/// a commit or merge changed it: an answer is never stale. As Elasticsearch's shard
/// request cache, it makes an analyst's next look at the same sessions cheap.
#[derive(Debug, Default)]
pub(crate) struct PartCache {
    inner: std::sync::Mutex<CacheList>,
}

impl PartCache {
    pub(crate) fn get(&self, key: &str) -> Option<Cached> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0.iter().find(|e| e.0 == key).map(|e| e.1.clone())
    }

    /// Keeps `item`, letting the oldest answers go past the budget (an answer
    /// larger than the budget is not kept).
    pub(crate) fn put(&self, key: String, item: Cached) {
        let bytes = key.len()
            + match &item {
                Cached::Matched(_) => 8,
                Cached::Counts(c) => c.bytes(),
                Cached::Buckets(b) => b.len() * 96,
            };
        if bytes > CACHE_BYTES {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (list, total) = &mut *g;
        if list.iter().any(|e| e.0 == key) {
            return;
        }
        list.push_back((key, item, bytes));
        *total += bytes;
        while *total > CACHE_BYTES {
            match list.pop_front() {
                Some(e) => *total -= e.2,
                None => break,
            }
        }
    }
}

/// Turns the counts of every field into the answer's lists.
pub(crate) fn finish(counts: Vec<Counts>, req: &AggRequest) -> Vec<TermsAnswer> {
    counts
        .into_iter()
        .zip(&req.terms)
        .map(|(c, (_, size))| c.answer(*size))
        .collect()
}

/// One partition's part of an aggregation.
pub(crate) struct Partition<'a> {
    pub fields: &'a Fields,
    pub searcher: &'a tantivy::Searcher,
    pub marks: &'a [Marks],
    pub ints: &'a crate::ints::LazyInts<'a>,
}

impl Partition<'_> {
    fn segment(&self, m: &Marks) -> &SegmentReader {
        self.searcher.segment_reader(m.seg)
    }

    /// Whether every document of the partition matches.
    fn all(&self) -> bool {
        self.marks.iter().all(Marks::all)
    }

    /// The rows of the matching documents (None: every row).
    fn rows(&self) -> Option<RowSet> {
        if self.all() {
            return None;
        }
        let mut set = RowSet::default();
        for m in self.marks {
            let Ok(col) = self.segment(m).fast_fields().u64(crate::ints::ROW) else {
                continue;
            };
            for d in m.docs() {
                if let Some(r) = col.first(d) {
                    set.insert(r);
                }
            }
        }
        Some(set)
    }

    /// Adds the counts of field `name` to `out`.
    pub fn count(
        &self,
        name: &str,
        rows: &mut Option<Option<RowSet>>,
        out: &mut Counts,
    ) -> tantivy::Result<()> {
        let Some((field, kind)) = self.fields.get(name) else {
            return Ok(());
        };
        match kind {
            Kind::Term => {
                for m in self.marks.iter().filter(|m| m.count > 0) {
                    count_terms(self.segment(m), field, m, out)?;
                }
            }
            Kind::Column => {
                for m in self.marks.iter().filter(|m| m.count > 0) {
                    let Some(col) = self.segment(m).fast_fields().str(name)? else {
                        continue;
                    };
                    let mut per_ord = vec![0u64; col.num_terms()];
                    let mut seen = Vec::new();
                    for d in m.docs() {
                        seen.clear();
                        for o in col.term_ords(d) {
                            if !seen.contains(&o) {
                                seen.push(o);
                                if let Some(c) = per_ord.get_mut(o as usize) {
                                    *c += 1;
                                }
                            }
                        }
                    }
                    let mut s = String::new();
                    for (o, &n) in per_ord.iter().enumerate().filter(|x| *x.1 > 0) {
                        s.clear();
                        if col.ord_to_str(o as u64, &mut s)? {
                            out.add_str(&s, n);
                        }
                    }
                }
            }
            Kind::Ip => {
                for m in self.marks.iter().filter(|m| m.count > 0) {
                    out.merge_ips(count_ips(self.segment(m), name, m)?);
                }
            }
            Kind::FastInt => {
                for m in self.marks.iter().filter(|m| m.count > 0) {
                    let Ok(col) = self.segment(m).fast_fields().i64(name) else {
                        continue;
                    };
                    out.merge_ints(count_column(m, &col, 0));
                }
            }
            Kind::Int => {
                let rows = rows.get_or_insert_with(|| self.rows());
                count_ints(self.ints.get(), field, rows.as_ref(), out);
            }
        }
        Ok(())
    }

    /// Adds this partition's buckets to `out`.
    pub fn histogram(&self, h: &HistoRequest, out: &mut Buckets) -> tantivy::Result<()> {
        let iv = h.interval_ms.max(1);
        // Each matching document's bucket, by its row in the file of integers (or
        // by segment and document for sums kept as tantivy columns).
        let mut by_row: Vec<u32> = Vec::new();
        let mut by_doc: Vec<Vec<u32>> = Vec::new();
        let mut keys: Vec<i64> = Vec::new();
        let mut index: FxHashMap<i64, u32> = FxHashMap::default();
        let mut counts: Vec<u64> = Vec::new();
        for m in self.marks {
            let seg = self.segment(m);
            let mut here = vec![u32::MAX; if m.count > 0 { m.max_doc as usize } else { 0 }];
            if m.count > 0 {
                let time = seg.fast_fields().i64(&h.field)?;
                let rows = seg.fast_fields().u64(crate::ints::ROW).ok();
                for d in m.docs() {
                    let Some(t) = time.first(d) else { continue };
                    let key = t.div_euclid(iv) * iv;
                    let b = *index.entry(key).or_insert_with(|| {
                        keys.push(key);
                        counts.push(0);
                        (keys.len() - 1) as u32
                    });
                    counts[b as usize] += 1;
                    here[d as usize] = b;
                    if let Some(r) = rows.as_ref().and_then(|c| c.first(d)) {
                        let r = r as usize;
                        if r >= by_row.len() {
                            by_row.resize(r + 1, u32::MAX);
                        }
                        by_row[r] = b;
                    }
                }
            }
            by_doc.push(here);
        }
        let mut sums = vec![vec![0i64; h.sums.len()]; keys.len()];
        for (i, name) in h.sums.iter().enumerate() {
            match self.fields.get(name) {
                Some((f, Kind::Int)) => {
                    let mut last = u64::MAX;
                    for (row, v) in self.ints.get().values(f) {
                        // The first value of a row only, as a document's first.
                        if row == last {
                            continue;
                        }
                        last = row;
                        if let Some(&b) = by_row.get(row as usize) {
                            if b != u32::MAX {
                                sums[b as usize][i] = sums[b as usize][i].wrapping_add(v);
                            }
                        }
                    }
                }
                Some((_, Kind::FastInt)) => {
                    for (m, here) in self.marks.iter().zip(&by_doc) {
                        if m.count == 0 {
                            continue;
                        }
                        let col = self.segment(m).fast_fields().i64(name)?;
                        for d in m.docs() {
                            let b = here[d as usize];
                            if let (true, Some(v)) = (b != u32::MAX, col.first(d)) {
                                sums[b as usize][i] = sums[b as usize][i].wrapping_add(v);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for ((key, n), s) in keys.into_iter().zip(counts).zip(sums) {
            let e = out.entry(key).or_insert_with(|| (0, vec![0; h.sums.len()]));
            e.0 += n;
            for (a, b) in e.1.iter_mut().zip(s) {
                *a = a.wrapping_add(b);
            }
        }
        Ok(())
    }
}

/// Counts the terms of `field` in one segment.
fn count_terms(
    seg: &SegmentReader,
    field: Field,
    m: &Marks,
    out: &mut Counts,
) -> tantivy::Result<()> {
    let inv = seg.inverted_index(field)?;
    let mut terms = inv.terms().stream()?;
    while terms.advance() {
        let info = terms.value();
        let n = if m.all() {
            u64::from(info.doc_freq)
        } else {
            let mut p = inv.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
            let mut n = 0u64;
            let mut d = p.doc();
            while d != TERMINATED {
                n += u64::from(m.contains(d));
                d = p.advance();
            }
            n
        };
        if n > 0 {
            let k = String::from_utf8_lossy(terms.key());
            out.add_str(&k, n);
        }
    }
    Ok(())
}

/// The number of marked documents holding each distinct value of column `col`.
/// (`zero`: any value, to fill a buffer with.)
fn count_column<T>(m: &Marks, col: &tantivy::columnar::Column<T>, zero: T) -> FxHashMap<T, u64>
where
    T: Copy + Eq + std::hash::Hash + PartialOrd + std::fmt::Debug + Send + Sync + 'static,
{
    let mut local: FxHashMap<T, u64> = FxHashMap::default();
    if m.all() && col.get_cardinality() != tantivy::columnar::Cardinality::Multivalued {
        // Every document matches and holds one value at most: the column's values
        // are counted in their order, without finding each document's.
        let n = col.values.num_vals();
        let mut buf = [zero; 1024];
        let mut at = 0;
        while at < n {
            let k = (n - at).min(1024);
            col.values.get_range(u64::from(at), &mut buf[..k as usize]);
            for v in &buf[..k as usize] {
                *local.entry(*v).or_default() += 1;
            }
            at += k;
        }
        return local;
    }
    let mut seen: Vec<T> = Vec::new();
    for d in m.docs() {
        let mut values = col.values_for_doc(d);
        let Some(first) = values.next() else { continue };
        *local.entry(first).or_default() += 1;
        seen.clear();
        seen.push(first);
        for v in values {
            if !seen.contains(&v) {
                seen.push(v);
                *local.entry(v).or_default() += 1;
            }
        }
    }
    local
}

/// The number of marked documents holding each address of column `name`. The
/// column's compact codes are counted (an address is a code's offset in one of
/// the column's ranges of addresses), and only the distinct codes turned into
/// addresses.
fn count_ips(
    seg: &SegmentReader,
    name: &str,
    m: &Marks,
) -> tantivy::Result<FxHashMap<Ipv6Addr, u64>> {
    use tantivy::columnar::column_values::CompactSpaceU64Accessor;
    use tantivy::columnar::ColumnType;
    let Some(handle) = seg
        .fast_fields()
        .dynamic_column_handle(name, ColumnType::IpAddr)?
    else {
        return Ok(FxHashMap::default());
    };
    let Some(codes) = handle.open_u64_lenient()? else {
        return Ok(FxHashMap::default());
    };
    let by_code = count_column(m, &codes, 0u64);
    let Ok(space) = codes
        .values
        .clone()
        .downcast_arc::<CompactSpaceU64Accessor>()
    else {
        // Not the compact layout this was written for: the addresses themselves.
        let col = seg.fast_fields().ip_addr(name)?;
        return Ok(count_column(m, &col, Ipv6Addr::UNSPECIFIED));
    };
    Ok(by_code
        .into_iter()
        .map(|(c, n)| (Ipv6Addr::from(space.compact_to_u128(c as u32)), n))
        .collect())
}

/// Counts the distinct values of integer `field` of each row of `rows` (None: all).
fn count_ints(ints: &Ints, field: Field, rows: Option<&RowSet>, out: &mut Counts) {
    let mut local: FxHashMap<i64, u64> = FxHashMap::default();
    let mut row_values: Vec<i64> = Vec::new();
    let mut last = u64::MAX;
    for (row, v) in ints.values(field) {
        if rows.is_some_and(|r| !r.contains(row)) {
            continue;
        }
        if row != last {
            row_values.clear();
            last = row;
        } else if row_values.contains(&v) {
            continue;
        }
        row_values.push(v);
        *local.entry(v).or_default() += 1;
    }
    out.merge_ints(local);
}
