//! The embedded session store, the default when no Elasticsearch/OpenSearch is
//! configured: session documents indexed with tantivy under `<dataDir>/sessions/`, one
//! index per partition named like Arkime's rotated indices (`sessions3-261124`), and
//! searched with Arkime's expression language.
//!
//! Writing goes through [`StoreOutput`] (a queue and an indexing thread); reading
//! through [`Store`]. A partition is a tantivy index and a file of its integer fields
//! ([`ints`]) written before each tantivy commit, so a capture that is killed leaves
//! every committed batch searchable and the rest simply absent.

pub mod aggs;
pub mod column;
pub mod doc;
pub mod fielddefs;
pub mod ints;
pub mod merge;
pub mod retention;
pub mod schema;
pub mod translate;
pub mod writer;

use std::path::{Path, PathBuf};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query as TQuery};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, TantivyDocument};
use trawl_query::Query;

pub use schema::{fields_of, Kind};

/// Helpers of the crate's tests.
#[cfg(test)]
mod testing {
    /// The next number below `n` of a xorshift generator with state `rng`.
    pub fn next(rng: &mut u64, n: u64) -> u64 {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng % n
    }
}
pub use writer::{StoreOutput, WriterStats};

/// Store failures, naming the path involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file system error.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A tantivy error on a partition.
    #[error("index {0}: {1}")]
    Index(PathBuf, String),
    /// A partition name that cannot be a directory name, or a partition without the
    /// store's fields.
    #[error("bad partition '{0}'")]
    BadPartition(String),
    /// A sort field that is not a numeric field of the store.
    #[error("cannot sort by '{0}': only numeric fields sort")]
    BadSort(String),
}

/// Where the partitions live.
pub fn sessions_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("sessions")
}

/// The directory of partition `name`, if the name is safe as one path component.
pub fn partition_dir(root: &Path, name: &str) -> Option<PathBuf> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| root.join(name))
}

/// A partition's time span from its time columns' own minimum and maximum, read
/// without visiting a document; None (Some(None) for no values) only when a segment
/// has deleted documents, whose values the columns still count.
fn span_from_columns(searcher: &tantivy::Searcher) -> Option<Option<(i64, i64)>> {
    let mut span: Option<(i64, i64)> = None;
    for seg in searcher.segment_readers() {
        if seg.num_deleted_docs() > 0 {
            return None;
        }
        let ff = seg.fast_fields();
        let (Ok(first), Ok(last)) = (ff.i64("firstPacket"), ff.i64("lastPacket")) else {
            continue;
        };
        if first.values.num_vals() == 0 || last.values.num_vals() == 0 {
            continue;
        }
        let (lo, hi) = (first.min_value(), last.max_value());
        span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    Some(span)
}

/// The top `limit` documents by the values of an integer field of the partition's own
/// file (`values`: each row's first value), sorted as tantivy sorts its columns:
/// documents without a value last either way. Each hit carries its sort key and value.
fn sort_by_row_values(
    values: rustc_hash::FxHashMap<u64, i64>,
    desc: bool,
    limit: usize,
) -> impl tantivy::collector::Collector<Fruit = Vec<((u64, i64), DocAddress)>> {
    let values = std::sync::Arc::new(values);
    TopDocs::with_limit(limit).custom_score(move |seg: &tantivy::SegmentReader| {
        let rows = seg.fast_fields().u64(ints::ROW).ok();
        let values = std::sync::Arc::clone(&values);
        move |doc: tantivy::DocId| {
            let v = rows
                .as_ref()
                .and_then(|c| c.first(doc))
                .and_then(|r| values.get(&r).copied());
            // Higher keys come first; the key is monotonic in the value.
            let missing = if desc { i64::MIN } else { i64::MAX };
            let v = v.unwrap_or(missing);
            let m = (v as u64) ^ (1 << 63);
            (if desc { m } else { !m }, v)
        }
    })
}

/// One open partition.
struct Part {
    name: String,
    dir: PathBuf,
    reader: IndexReader,
    fields: schema::Fields,
    /// Its answers to recent aggregations.
    cache: aggs::PartCache,
}

/// The store, opened for searching.
pub struct Store {
    parts: Vec<std::sync::Arc<Part>>,
    /// Partitions whose hits searches have read (for tests of early termination).
    hits_read: std::sync::atomic::AtomicUsize,
}

/// The threads every search of this process shares: a partition's segments are
/// searched side by side, one per core. None on one core (or if no thread starts):
/// searches run on the caller's thread.
fn search_threads() -> Option<&'static tantivy::Executor> {
    static POOL: std::sync::OnceLock<Option<tantivy::Executor>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        (n > 1)
            .then(|| tantivy::Executor::multi_thread(n, "trawl-search-").ok())
            .flatten()
    })
    .as_ref()
}

/// `f` of every item, on as many threads as there are cores (and items), in the
/// order of the items.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let n = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if n <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|x| x.1).collect()
}

/// What a partition's time column spans.
enum Span {
    /// No documents.
    Empty,
    /// Not a fast column.
    Unknown,
    /// Least and greatest values.
    Known(i64, i64),
}

/// What tells a partition's state apart: its `meta.json` (rewritten by every
/// commit and merge) as length, modification time and inode.
type Stamp = (u64, std::time::SystemTime, u64);

fn stamp(dir: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(dir.join("meta.json")).ok()?;
    Some((m.len(), m.modified().ok()?, m.ino()))
}

/// Partitions kept open between searches of one process (`trawl serve`): opening
/// one parses its schema and segment list, which costs more than a small search. A
/// partition is opened again once a commit or merge has changed it.
#[derive(Default)]
pub struct OpenParts {
    parts: std::sync::Mutex<rustc_hash::FxHashMap<String, (Stamp, std::sync::Arc<Part>)>>,
}

pub use trawl_query::{Bounding, Hit, SearchOpts};

/// What `trawl db info` shows for a partition.
#[derive(Clone, Debug)]
pub struct PartitionInfo {
    /// Name.
    pub name: String,
    /// Documents.
    pub docs: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// Earliest first packet and latest last packet (ms), if it has documents.
    pub span: Option<(i64, i64)>,
}

/// The bytes of the files under `p`, subdirectories included.
pub fn dir_bytes(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

impl Store {
    /// Opens every partition under `<data_dir>/sessions` (none yet is an empty store).
    /// A partition that does not open is skipped with a warning.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(data_dir, None)
    }

    /// As [`Store::open`], taking the partitions `cache` holds that have not changed
    /// since, and keeping those it opens there.
    pub fn open_cached(data_dir: &Path, cache: &OpenParts) -> Result<Store, StoreError> {
        Self::open_with(data_dir, Some(cache))
    }

    fn open_with(data_dir: &Path, cache: Option<&OpenParts>) -> Result<Store, StoreError> {
        let root = sessions_dir(data_dir);
        let mut parts = Vec::new();
        let mut cached = cache.map(|c| c.parts.lock().unwrap_or_else(|p| p.into_inner()));
        let rd = match std::fs::read_dir(&root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(c) = cached.as_mut() {
                    c.clear();
                }
                return Ok(Store {
                    parts,
                    hits_read: Default::default(),
                });
            }
            Err(e) => return Err(StoreError::Io(root, e)),
        };
        let mut names: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        if let Some(c) = cached.as_mut() {
            // Deleted partitions are let go.
            c.retain(|n, _| names.binary_search(n).is_ok());
        }
        for name in names {
            let dir = root.join(&name);
            let now = stamp(&dir);
            if let (Some(c), Some(now)) = (cached.as_ref(), now) {
                if let Some((was, p)) = c.get(&name) {
                    if *was == now {
                        parts.push(p.clone());
                        continue;
                    }
                }
            }
            let opened = Index::open_in_dir(&dir).and_then(|mut i| {
                if let Some(e) = search_threads() {
                    i.set_executor(e.clone());
                }
                let r = i
                    .reader_builder()
                    .reload_policy(ReloadPolicy::Manual)
                    .try_into()?;
                Ok((i, r))
            });
            match opened {
                Ok((index, reader)) => match schema::Fields::new(index.schema()) {
                    Some(fields) => {
                        let p = std::sync::Arc::new(Part {
                            name: name.clone(),
                            dir,
                            reader,
                            fields,
                            cache: Default::default(),
                        });
                        if let (Some(c), Some(now)) = (cached.as_mut(), now) {
                            c.insert(name, (now, p.clone()));
                        }
                        parts.push(p);
                    }
                    None => tracing::warn!("{}: not a session partition; skipped", dir.display()),
                },
                Err(e) => tracing::warn!("{}: cannot open ({e}); skipped", dir.display()),
            }
        }
        Ok(Store {
            parts,
            hits_read: Default::default(),
        })
    }

    /// Partition names.
    pub fn partition_names(&self) -> Vec<&str> {
        self.parts.iter().map(|p| p.name.as_str()).collect()
    }

    /// Whether partition `p` can hold a session inside the time window of `o`: each
    /// condition the window puts on a time column against that column's least and
    /// greatest values over the partition's segments (read from the column headers,
    /// no document touched). A partition that cannot is not searched at all.
    fn may_match(p: &Part, o: &SearchOpts) -> bool {
        for (name, lo, hi) in translate::time_conditions(o.bounding, o.start_ms, o.stop_ms) {
            let (min, max) = match Self::span(p, name) {
                Span::Known(min, max) => (min, max),
                // A partition without the column as a fast column is searched.
                Span::Unknown => return true,
                Span::Empty => return false,
            };
            if max < lo.unwrap_or(i64::MIN) || min > hi.unwrap_or(i64::MAX) {
                return false;
            }
        }
        true
    }

    /// The least and greatest values of time column `name` over the partition's
    /// segments (read from the column headers, no document touched).
    fn span(p: &Part, name: &str) -> Span {
        let searcher = p.reader.searcher();
        let mut span = Span::Empty;
        for seg in searcher.segment_readers() {
            if seg.num_docs() == 0 {
                continue;
            }
            let Ok(col) = seg.fast_fields().i64(name) else {
                return Span::Unknown;
            };
            let (a, b) = (col.min_value(), col.max_value());
            span = match span {
                Span::Known(x, y) => Span::Known(x.min(a), y.max(b)),
                _ => Span::Known(a, b),
            };
        }
        span
    }

    /// The conditions of the window of `o` that the partition's sessions do not all
    /// meet: none when the window holds the whole partition, so that answers kept
    /// for a window that moves (the last hour) stay good for the partitions it holds.
    fn window_key(p: &Part, o: &SearchOpts) -> Vec<(&'static str, Option<i64>, Option<i64>)> {
        translate::time_conditions(o.bounding, o.start_ms, o.stop_ms)
            .into_iter()
            .filter(|(name, lo, hi)| match Self::span(p, name) {
                Span::Known(min, max) => lo.is_some_and(|l| min < l) || hi.is_some_and(|h| max > h),
                _ => true,
            })
            .collect()
    }

    /// The partitions a search with `o` reads, in order: those whose sessions' times
    /// can meet its time window (partition pruning).
    fn parts_for<'a>(&'a self, o: &'a SearchOpts) -> impl Iterator<Item = &'a Part> + 'a {
        self.parts
            .iter()
            .map(|p| &**p)
            .filter(move |p| Self::may_match(p, o))
    }

    /// The names of the partitions a search with `o` reads.
    pub fn partitions_searched(&self, o: &SearchOpts) -> Vec<&str> {
        self.parts
            .iter()
            .filter(|p| Self::may_match(p, o))
            .map(|p| p.name.as_str())
            .collect()
    }

    fn full_query(
        p: &Part,
        q: &Query,
        o: &SearchOpts,
        ints: &ints::LazyInts<'_>,
    ) -> Box<dyn TQuery> {
        let main = translate::translate(q, &p.fields, ints);
        match translate::time_range(&p.fields, o.bounding, o.start_ms, o.stop_ms) {
            Some(t) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, main),
                (Occur::Must, t),
            ])),
            None => main,
        }
    }

    /// Searches every partition: the total number of matches and the first `limit`
    /// hits in sort order. Memory follows the hits found, never `limit` itself: a
    /// partition's collector is sized by the documents it holds.
    pub fn search(&self, q: &Query, o: &SearchOpts) -> Result<(u64, Vec<Hit>), StoreError> {
        let (sort_field, desc) = (&o.sort.0, o.sort.1);
        let want = o.limit.max(1);
        let mut parts: Vec<(&Part, tantivy::schema::Field, Kind)> = Vec::new();
        for p in self.parts_for(o) {
            match p.fields.get(sort_field) {
                Some((f, k @ (Kind::Int | Kind::FastInt))) => parts.push((p, f, k)),
                Some(_) => return Err(StoreError::BadSort(sort_field.clone())),
                None => continue,
            }
        }
        // Every partition's matches are counted (side by side, or kept from an
        // earlier search of the same sessions).
        let query_key = format!("{q:?}");
        let counts = parallel_map(&parts, |(p, _, _)| -> Result<u64, StoreError> {
            let key = format!("{query_key}|{:?}|matched", Self::window_key(p, o));
            if let Some(aggs::Cached::Matched(n)) = p.cache.get(&key) {
                return Ok(n);
            }
            let ints = ints::LazyInts::new(&p.dir);
            let tq = Self::full_query(p, q, o, &ints);
            let n = p
                .reader
                .searcher()
                .search(&tq, &Count)
                .map_err(|e| StoreError::Index(p.dir.clone(), e.to_string()))?;
            p.cache.put(key, aggs::Cached::Matched(n as u64));
            Ok(n as u64)
        });
        let counts: Vec<u64> = counts.into_iter().collect::<Result<_, _>>()?;
        let total = counts.iter().sum::<u64>();
        // Then the hits, from the partitions whose sort values come first (by a time
        // column's least or greatest value); once `want` hits are found, a partition
        // whose values cannot come before the last of them is not read (early
        // termination). Partitions sorted by other fields are all read.
        let spans: Vec<Span> = parts
            .iter()
            .map(|(p, _, k)| match k {
                Kind::FastInt => Self::span(p, sort_field),
                _ => Span::Unknown,
            })
            .collect();
        let mut order: Vec<usize> = (0..parts.len()).filter(|&i| counts[i] > 0).collect();
        order.sort_by_key(|&i| match spans[i] {
            Span::Known(min, max) => {
                if desc {
                    -i128::from(max)
                } else {
                    i128::from(min)
                }
            }
            _ => i128::MIN,
        });
        let rank = |a: &Hit, b: &Hit| {
            let c = a
                .sort_value
                .cmp(&b.sort_value)
                .then_with(|| a.id.cmp(&b.id));
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        let mut hits: Vec<Hit> = Vec::new();
        for i in order {
            let (p, f, kind) = parts[i];
            if hits.len() >= want {
                let last = hits[want - 1].sort_value;
                let beaten = match spans[i] {
                    Span::Known(_, max) if desc => max < last,
                    Span::Known(min, _) => min > last,
                    _ => false,
                };
                if beaten {
                    // The partitions after it come later still.
                    break;
                }
            }
            self.hits_read
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let ints = ints::LazyInts::new(&p.dir);
            let tq = Self::full_query(p, q, o, &ints);
            let searcher = p.reader.searcher();
            let failed = |e: tantivy::TantivyError| StoreError::Index(p.dir.clone(), e.to_string());
            // tantivy's top-n collectors reserve room for twice their limit up front,
            // in every segment: never more than the partition's matches.
            let limit = want
                .min(usize::try_from(counts[i]).unwrap_or(usize::MAX))
                .max(1);
            let found: Vec<(i64, DocAddress)> = match kind {
                Kind::FastInt => {
                    let order = if desc { Order::Desc } else { Order::Asc };
                    let top =
                        TopDocs::with_limit(limit).order_by_fast_field::<i64>(sort_field, order);
                    searcher.search(&tq, &top).map_err(failed)?
                }
                _ => {
                    let top = sort_by_row_values(ints.get().first_values(f), desc, limit);
                    let found = searcher.search(&tq, &top).map_err(failed)?;
                    found.into_iter().map(|(k, a)| (k.1, a)).collect()
                }
            };
            for (v, addr) in found {
                if let Some(h) = Self::hit(p, &searcher, addr, v) {
                    hits.push(h);
                }
            }
            hits.sort_by(rank);
            hits.truncate(want);
        }
        Ok((total, hits))
    }

    /// Calls `f` with every session matching `q` in the window of `o` (`o.limit` and
    /// `o.sort` are ignored), partition by partition in document order, until `f`
    /// answers false. Returns the number of matches (all of them, even when `f` stopped
    /// early). Memory holds one partition's matching document numbers, never the
    /// documents.
    pub fn scan(
        &self,
        q: &Query,
        o: &SearchOpts,
        f: &mut dyn FnMut(Hit) -> bool,
    ) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut going = true;
        for p in self.parts_for(o) {
            let ints = ints::LazyInts::new(&p.dir);
            let tq = Self::full_query(p, q, o, &ints);
            let searcher = p.reader.searcher();
            let found = searcher
                .search(&tq, &tantivy::collector::DocSetCollector)
                .map_err(|e| StoreError::Index(p.dir.clone(), e.to_string()))?;
            total += found.len() as u64;
            if !going {
                continue;
            }
            let mut addrs: Vec<DocAddress> = found.into_iter().collect();
            // In document order the store's compressed blocks are read once each.
            addrs.sort_unstable();
            for a in addrs {
                if let Some(h) = Self::hit(p, &searcher, a, 0) {
                    if !f(h) {
                        going = false;
                        break;
                    }
                }
            }
        }
        Ok(total)
    }

    /// Aggregates the matches of `q` in the window of `o` on the index's own
    /// structures ([`aggs`]), without reading a document. None when a partition lacks
    /// a field `req` reads (one made by an older registry): the caller then reads the
    /// documents instead.
    pub fn aggregate(
        &self,
        q: &Query,
        o: &SearchOpts,
        req: &aggs::AggRequest,
    ) -> Result<Option<aggs::AggAnswer>, StoreError> {
        let parts: Vec<&Part> = self.parts_for(o).collect();
        if !parts.iter().all(|p| aggs::supported(&p.fields, req)) {
            return Ok(None);
        }
        // Partitions side by side, one per core; each counts on its own, or takes
        // what it answered before to the same question.
        let query_key = format!("{q:?}");
        let each = parallel_map(&parts, |p| -> Result<_, StoreError> {
            let failed = |e: tantivy::TantivyError| StoreError::Index(p.dir.clone(), e.to_string());
            let base = format!("{query_key}|{:?}", Self::window_key(p, o));
            let key_m = format!("{base}|matched");
            let keys_t: Vec<String> = req
                .terms
                .iter()
                .map(|(n, _)| format!("{base}|terms|{n}"))
                .collect();
            let key_h = req
                .histogram
                .as_ref()
                .map(|h| format!("{base}|histo|{}|{}|{:?}", h.field, h.interval_ms, h.sums));
            let mut matched = match p.cache.get(&key_m) {
                Some(aggs::Cached::Matched(n)) => Some(n),
                _ => None,
            };
            let mut counts: Vec<Option<std::sync::Arc<aggs::Counts>>> = keys_t
                .iter()
                .map(|k| match p.cache.get(k) {
                    Some(aggs::Cached::Counts(c)) => Some(c),
                    _ => None,
                })
                .collect();
            let mut buckets = key_h.as_ref().and_then(|k| match p.cache.get(k) {
                Some(aggs::Cached::Buckets(b)) => Some(b),
                _ => None,
            });
            let missing = matched.is_none()
                || counts.iter().any(Option::is_none)
                || (key_h.is_some() && buckets.is_none());
            if missing {
                let ints = ints::LazyInts::new(&p.dir);
                let tq = Self::full_query(p, q, o, &ints);
                let searcher = p.reader.searcher();
                let marks = searcher.search(&tq, &aggs::MarkCollector).map_err(failed)?;
                let n = marks.iter().map(|m| u64::from(m.count())).sum::<u64>();
                p.cache.put(key_m, aggs::Cached::Matched(n));
                matched = Some(n);
                let part = aggs::Partition {
                    fields: &p.fields,
                    searcher: &searcher,
                    marks: &marks,
                    ints: &ints,
                };
                let mut rows = None;
                for (((name, _), c), key) in req.terms.iter().zip(counts.iter_mut()).zip(&keys_t) {
                    if c.is_none() {
                        let mut fresh = aggs::Counts::default();
                        part.count(name, &mut rows, &mut fresh).map_err(failed)?;
                        let fresh = std::sync::Arc::new(fresh);
                        p.cache
                            .put(key.clone(), aggs::Cached::Counts(fresh.clone()));
                        *c = Some(fresh);
                    }
                }
                if let (Some(h), Some(key), None) = (&req.histogram, &key_h, &buckets) {
                    let mut fresh = aggs::Buckets::new();
                    part.histogram(h, &mut fresh).map_err(failed)?;
                    let fresh = std::sync::Arc::new(fresh);
                    p.cache
                        .put(key.clone(), aggs::Cached::Buckets(fresh.clone()));
                    buckets = Some(fresh);
                }
            }
            Ok((matched.unwrap_or(0), counts, buckets))
        });
        let mut matched = 0u64;
        let mut counts: Vec<aggs::Counts> = vec![Default::default(); req.terms.len()];
        let mut histogram = aggs::Buckets::new();
        for r in each {
            let (m, c, h) = r?;
            matched += m;
            for (a, b) in counts.iter_mut().zip(c.iter().flatten()) {
                a.merge(b);
            }
            if let Some(h) = h {
                aggs::merge_histogram(&mut histogram, &h);
            }
        }
        Ok(Some(aggs::AggAnswer {
            matched,
            terms: aggs::finish(counts, req),
            histogram,
        }))
    }

    /// The number of sessions in the store.
    pub fn count_all(&self) -> u64 {
        self.parts
            .iter()
            .map(|p| p.reader.searcher().num_docs())
            .sum()
    }

    fn hit(p: &Part, searcher: &tantivy::Searcher, addr: DocAddress, v: i64) -> Option<Hit> {
        let d: TantivyDocument = searcher.doc(addr).ok()?;
        let id = d.get_first(p.fields.id)?.as_str()?.to_string();
        let source = d.get_first(p.fields.source)?.as_str()?.to_string();
        Some(Hit {
            partition: p.name.clone(),
            id,
            source,
            sort_value: v,
        })
    }

    /// The session with id `id`, if any partition has it.
    pub fn get(&self, id: &str) -> Option<Hit> {
        for p in &self.parts {
            let q = tantivy::query::TermQuery::new(
                tantivy::Term::from_field_text(p.fields.id, id),
                tantivy::schema::IndexRecordOption::Basic,
            );
            let searcher = p.reader.searcher();
            let found = searcher.search(&q, &TopDocs::with_limit(1)).ok()?;
            if let Some((_, addr)) = found.first() {
                return Self::hit(p, &searcher, *addr, 0);
            }
        }
        None
    }

    /// Documents, size and time span of each partition.
    pub fn info(&self) -> Vec<PartitionInfo> {
        self.parts
            .iter()
            .map(|p| {
                let searcher = p.reader.searcher();
                let docs = searcher.num_docs();
                let edge = |field: &str, order: Order| -> Option<i64> {
                    let top = TopDocs::with_limit(1).order_by_fast_field::<i64>(field, order);
                    searcher
                        .search(&tantivy::query::AllQuery, &top)
                        .ok()?
                        .first()
                        .map(|(v, _)| *v)
                };
                let span = if docs == 0 {
                    None
                } else if let Some(span) = span_from_columns(&searcher) {
                    span
                } else {
                    edge("firstPacket", Order::Asc).zip(edge("lastPacket", Order::Desc))
                };
                PartitionInfo {
                    name: p.name.clone(),
                    docs,
                    bytes: dir_bytes(&p.dir),
                    span,
                }
            })
            .collect()
    }

    /// Deletes the partitions whose newest session ended before `cutoff_ms`; returns
    /// their names.
    pub fn expire(self, cutoff_ms: i64) -> Result<Vec<String>, StoreError> {
        let info = self.info();
        let mut gone = Vec::new();
        for (p, i) in self.parts.into_iter().zip(info) {
            let old = match i.span {
                Some((_, last)) => last < cutoff_ms,
                None => false,
            };
            if old {
                let (dir, name) = (p.dir.clone(), p.name.clone());
                drop(p);
                std::fs::remove_dir_all(&dir).map_err(|e| StoreError::Io(dir.clone(), e))?;
                gone.push(name);
            }
        }
        Ok(gone)
    }
}

/// A small store on disk for the store's own tests.
#[cfg(test)]
pub(crate) mod test_store {
    use std::path::Path;

    use crate::{Kind, StoreOutput};
    use trawl_output::{Doc, DocOutput};

    pub const DAY: i64 = 86_400_000;

    /// A store with partitions for days 1..4, each with `n` sessions that start at
    /// the day's first millisecond and end `i` ms later (session `i` of the day).
    pub fn four_days(dir: &Path, n: usize) {
        let fields = vec![
            ("firstPacket".to_string(), Kind::Int),
            ("lastPacket".to_string(), Kind::Int),
        ];
        let out = StoreOutput::start(dir, fields).unwrap();
        for day in 1..=4i64 {
            for i in 0..n {
                out.emit(Doc {
                    index: format!("sessions3-2611{day:02}"),
                    id: Some(format!("{day}-{i}")),
                    body: format!(
                        r#"{{"firstPacket":{},"lastPacket":{}}}"#,
                        day * DAY,
                        day * DAY + i as i64
                    ),
                });
            }
        }
        out.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::test_store::{four_days, DAY};
    use super::*;
    use trawl_output::{Doc, DocOutput};

    fn opts(bounding: Bounding, start: Option<i64>, stop: Option<i64>) -> SearchOpts {
        SearchOpts {
            start_ms: start,
            stop_ms: stop,
            bounding,
            limit: 1000,
            ..SearchOpts::default()
        }
    }

    #[test]
    fn partitions_kept_open_are_opened_again_once_changed_and_let_go_once_deleted() {
        let dir = tempfile::tempdir().unwrap();
        four_days(dir.path(), 10);
        let cache = OpenParts::default();
        let first = Store::open_cached(dir.path(), &cache).unwrap();
        assert_eq!(first.count_all(), 40);
        let again = Store::open_cached(dir.path(), &cache).unwrap();
        assert!(
            first
                .parts
                .iter()
                .zip(&again.parts)
                .all(|(a, b)| std::sync::Arc::ptr_eq(a, b)),
            "unchanged partitions are the same open partitions"
        );
        // More sessions of day 2: that partition is opened again, the others not.
        let out = StoreOutput::start(dir.path(), vec![]).unwrap();
        out.emit(Doc {
            index: "sessions3-261102".into(),
            id: Some("late".into()),
            body: format!(r#"{{"firstPacket":{},"lastPacket":{}}}"#, 2 * DAY, 2 * DAY),
        });
        out.finish();
        let later = Store::open_cached(dir.path(), &cache).unwrap();
        assert_eq!(later.count_all(), 41);
        let same: Vec<bool> = again
            .parts
            .iter()
            .zip(&later.parts)
            .map(|(a, b)| std::sync::Arc::ptr_eq(a, b))
            .collect();
        assert_eq!(same, [true, false, true, true]);
        assert!(later.get("late").is_some());
        std::fs::remove_dir_all(sessions_dir(dir.path()).join("sessions3-261101")).unwrap();
        let fewer = Store::open_cached(dir.path(), &cache).unwrap();
        assert_eq!(
            fewer.partition_names(),
            ["sessions3-261102", "sessions3-261103", "sessions3-261104"]
        );
        assert_eq!(
            cache.parts.lock().unwrap().len(),
            3,
            "the deleted partition let go"
        );
    }

    #[test]
    fn sorted_searches_read_only_the_partitions_that_can_hold_the_first_hits() {
        let dir = tempfile::tempdir().unwrap();
        four_days(dir.path(), 20);
        let store = Store::open(dir.path()).unwrap();
        let all_q = Query::And(Vec::new());
        let mut every: Vec<(i64, String)> = Vec::new();
        store
            .scan(&all_q, &SearchOpts::default(), &mut |h| {
                let d: serde_json::Value = serde_json::from_str(&h.source).unwrap();
                every.push((d["lastPacket"].as_i64().unwrap(), h.id));
                true
            })
            .unwrap();
        every.sort();
        // (descending, limit, partitions whose hits are read)
        for (desc, limit, read) in [
            (true, 5, 1),
            (false, 5, 1),
            (true, 20, 1),
            (true, 21, 2),
            (false, 45, 3),
            (true, 80, 4),
            (true, 1000, 4),
        ] {
            let o = SearchOpts {
                limit,
                sort: ("lastPacket".into(), desc),
                ..SearchOpts::default()
            };
            let before = store.hits_read.load(std::sync::atomic::Ordering::Relaxed);
            let (total, hits) = store.search(&all_q, &o).unwrap();
            let after = store.hits_read.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(total, 80, "the total counts every partition");
            let mut want: Vec<(i64, String)> = every.clone();
            if desc {
                want.sort_by(|a, b| b.cmp(a));
            }
            want.truncate(limit);
            let got: Vec<(i64, String)> = hits.into_iter().map(|h| (h.sort_value, h.id)).collect();
            assert_eq!(got, want, "desc {desc}, limit {limit}");
            assert_eq!(after - before, read, "desc {desc}, limit {limit}");
        }
    }

    #[test]
    fn partitions_outside_the_time_window_are_not_searched() {
        let dir = tempfile::tempdir().unwrap();
        four_days(dir.path(), 20);
        let store = Store::open(dir.path()).unwrap();
        let all = store.partition_names();
        assert_eq!(all.len(), 4);
        let all_q = Query::And(Vec::new());
        // (window, partitions read (days), matches): each day holds sessions
        // [day, day + 0..19 ms].
        let cases = [
            (opts(Bounding::Last, None, None), vec![1, 2, 3, 4], 80),
            (
                opts(Bounding::Last, Some(2 * DAY), Some(3 * DAY - 1)),
                vec![2],
                20,
            ),
            // Ends inside day 3's sessions: only those that ended by then.
            (
                opts(Bounding::Last, Some(2 * DAY + 5), Some(3 * DAY + 4)),
                vec![2, 3],
                15 + 5,
            ),
            (opts(Bounding::First, Some(3 * DAY), None), vec![3, 4], 40),
            (opts(Bounding::Database, None, Some(DAY + 19)), vec![1], 20),
            // Both times inside: day 2's sessions end after 2*DAY + 9 for i > 9.
            (
                opts(Bounding::Both, Some(2 * DAY), Some(2 * DAY + 9)),
                vec![2],
                10,
            ),
            // Overlapping the window: day 1's end too early, day 4's start too late.
            (
                opts(Bounding::Either, Some(DAY + 20), Some(3 * DAY)),
                vec![2, 3],
                40,
            ),
            // Between the partitions' spans: none is read, nothing matches.
            (
                opts(Bounding::Last, Some(DAY + 20), Some(2 * DAY - 1)),
                vec![],
                0,
            ),
        ];
        for (o, days, matches) in cases {
            let want: Vec<&str> = days.iter().map(|d| all[d - 1]).collect();
            assert_eq!(store.partitions_searched(&o), want, "{o:?}");
            let (total, hits) = store.search(&all_q, &o).unwrap();
            assert_eq!((total, hits.len()), (matches, matches as usize), "{o:?}");
            let mut scanned = 0u64;
            let n = store
                .scan(&all_q, &o, &mut |_| {
                    scanned += 1;
                    true
                })
                .unwrap();
            assert_eq!((n, scanned), (matches, matches), "{o:?}");
        }
    }
}
