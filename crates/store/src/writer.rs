//! The store's writer: a [`DocOutput`] whose `emit` only queues the document; a thread
//! of its own indexes the queue into the partition each document names (its index,
//! e.g. `sessions3-261124`), committing in batches and at the end.
//!
//! When a partition cannot be written (its disk is full, say), tantivy's writer for it
//! dies with the documents it held since the last commit. The partition is then down:
//! the failure is said once (plainly "the disk is full" when it is), documents for it
//! are counted in [`WriterStats::failed`] without a line each, and every
//! [`RETRY_DOWN`] the writer tries to open it again, so indexing resumes once space is
//! freed. Packets go on being captured and written to pcap meanwhile: the store and
//! the pcap writer fail apart.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use rustc_hash::FxHashMap;
use tantivy::indexer::UserOperation;
use tantivy::{Index, IndexWriter};
use trawl_output::{Doc, DocOutput, DocRecorder, Recorder};

use crate::doc::{Buffers, Heard, SessionDoc};
use crate::ints::{self, IntsWriter};
use crate::retention::{self, Retention};
use crate::schema::{self, Fields, Kind};
use crate::{partition_dir, StoreError};

/// Documents waiting for the indexing thread before `emit` blocks.
const QUEUE: usize = 8192;
/// Documents handed to tantivy at once (one wake-up of an indexing thread).
const BATCH: usize = 256;
/// How long a short batch waits for more documents before it is indexed.
const LINGER: Duration = Duration::from_millis(10);
/// Documents per commit. Each commit makes a segment, and every segment costs a
/// term dictionary per field at its start (and merges later): 100,000 took a fifth
/// less CPU per document than 50,000 (store_scale, 500,000 sessions), 200,000 no less.
const COMMIT_DOCS: u64 = 100_000;
/// Longest time between commits while documents arrive.
const COMMIT_EVERY: Duration = Duration::from_secs(10);
/// Indexing threads of each partition's tantivy writer. One: each thread cuts its own
/// segments, so two made twice the segments for the same documents. One thread
/// indexes some 80,000 documents a second, well above a sensor's rate.
const INDEX_THREADS: usize = 1;
/// Bytes of documents compressed together in the document store.
const DOCSTORE_BLOCK: usize = 64 << 10;
/// Memory of each partition's tantivy writer.
const WRITER_BYTES: usize = 64 << 20;
/// How long a partition that failed stays down before it is opened again.
pub const RETRY_DOWN: Duration = Duration::from_secs(5);
/// A partition no document went to for this long is committed and closed: its
/// writer's memory is freed, its segments are merged into one in the background, and
/// retention may delete it.
const IDLE_CLOSE: Duration = Duration::from_secs(120);
/// Partitions open for writing at once. Each holds a writer of [`WRITER_BYTES`], so
/// this bounds the memory of indexing: reading a week of pcap into hourly partitions
/// would otherwise open 168 of them. Opening one more closes the least recently used.
const MAX_OPEN: usize = 6;
/// Merging threads of each partition's writer: one merge at a time per partition.
const MERGE_THREADS: usize = 1;
/// Closed partitions whose merge into one segment may wait at once; one more drops the
/// oldest waiting one unmerged (`trawl db optimize` merges it later).
const MAX_CLOSING: usize = 4;
/// How long a closed partition's merge may take before it is left (its writer dropped,
/// the merge abandoned; the partition keeps the segments it had).
const MERGE_GIVE_UP: Duration = Duration::from_secs(30 * 60);
/// How often the writer looks at idle partitions and at merges of closed ones.
const HOUSEKEEP_EVERY: Duration = Duration::from_secs(1);
/// How often retention runs while documents arrive (and once at the end).
const RETENTION_EVERY: Duration = Duration::from_secs(60);
/// With a size cap, retention also runs after commits, at most this often: the store
/// grows by a commit at a time, and a fast feed (reading pcap) commits every second or
/// two, which would overshoot the cap by a minute's documents.
const RETENTION_AFTER_COMMIT: Duration = Duration::from_secs(1);

/// Counters of the store writer.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Documents indexed.
    pub indexed: AtomicU64,
    /// Documents that could not be indexed (not JSON, or an index error).
    pub failed: AtomicU64,
    /// Times `emit` found the queue full and waited.
    pub queue_full: AtomicU64,
    /// Commits done.
    pub commits: AtomicU64,
    /// Commits whose integers could not be written to the partition's file of
    /// integers: those documents are indexed, but searches by their integer fields miss
    /// them (their stored bodies still hold the values).
    pub ints_failed: AtomicU64,
    /// Times a partition went down because its disk was full.
    pub disk_full: AtomicU64,
    /// Partitions retention deleted (`storeDays`, `storeMaxG`).
    pub expired_partitions: AtomicU64,
    /// Documents in them.
    pub expired_docs: AtomicU64,
    /// Partitions open for writing now.
    pub open_partitions: AtomicU64,
    /// The most partitions open for writing at once.
    pub most_open: AtomicU64,
    /// Partitions closed (idle, or to open another) and merged into one segment in the
    /// background.
    pub merged_on_close: AtomicU64,
    /// Closed partitions left with their segments unmerged (too many waiting, a merge
    /// that failed or took too long, or the end of the capture).
    pub left_unmerged: AtomicU64,
    /// 1 while the merge of a closed partition is under way.
    pub merging: AtomicU64,
}

/// Limits of the store writer; [`Default`] is what a capture runs with.
#[derive(Clone, Copy, Debug)]
pub struct WriterLimits {
    /// Partitions open for writing at once.
    pub max_open: usize,
    /// A partition no document went to for this long is closed.
    pub idle_close: Duration,
    /// How often idle partitions and merges of closed ones are looked at.
    pub housekeep: Duration,
}

impl Default for WriterLimits {
    fn default() -> Self {
        WriterLimits {
            max_open: MAX_OPEN,
            idle_close: IDLE_CLOSE,
            housekeep: HOUSEKEEP_EVERY,
        }
    }
}

/// A document on its way to the indexing thread, already turned into a tantivy
/// document for the current schema by the packet thread that emitted it (None: its
/// body was not JSON).
struct Queued {
    index: String,
    doc: Option<SessionDoc>,
}

/// Sends documents to the indexing thread.
pub struct StoreOutput {
    tx: Mutex<Option<Sender<Queued>>>,
    current: Fields,
    buffers: Arc<Buffers>,
    seq: AtomicU64,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Counters.
    pub stats: Arc<WriterStats>,
}

impl StoreOutput {
    /// Starts the indexing thread for the store under `data_dir`; new partitions get
    /// the schema of `fields` (from the field registry).
    pub fn start(data_dir: &Path, fields: Vec<(String, Kind)>) -> Result<StoreOutput, StoreError> {
        StoreOutput::start_with(data_dir, fields, Retention::default())
    }

    /// [`StoreOutput::start`], with partitions deleted on the way by `retention`.
    pub fn start_with(
        data_dir: &Path,
        fields: Vec<(String, Kind)>,
        retention: Retention,
    ) -> Result<StoreOutput, StoreError> {
        StoreOutput::start_limited(data_dir, fields, retention, WriterLimits::default())
    }

    /// [`StoreOutput::start_with`], within `limits`.
    pub fn start_limited(
        data_dir: &Path,
        fields: Vec<(String, Kind)>,
        retention: Retention,
        limits: WriterLimits,
    ) -> Result<StoreOutput, StoreError> {
        let root = crate::sessions_dir(data_dir);
        let data_dir = data_dir.to_path_buf();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::Io(root.clone(), e))?;
        let current = Fields::new(schema::build(&fields))
            .ok_or_else(|| StoreError::BadPartition("(new schema)".into()))?;
        let (tx, rx) = bounded::<Queued>(QUEUE);
        let stats = Arc::new(WriterStats::default());
        let st = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                run(
                    &root,
                    &fields,
                    &rx,
                    &st,
                    &Keep {
                        data_dir,
                        retention,
                        limits: WriterLimits {
                            max_open: limits.max_open.max(1),
                            ..limits
                        },
                    },
                )
            })
            .map_err(|e| StoreError::Io(PathBuf::from("store-writer thread"), e))?;
        Ok(StoreOutput {
            tx: Mutex::new(Some(tx)),
            current,
            buffers: Arc::default(),
            seq: AtomicU64::new(0),
            thread: Mutex::new(Some(thread)),
            stats,
        })
    }
}

impl StoreOutput {
    /// Queues `doc` for the indexing thread, typed by `heard` if its values were heard
    /// as it was written, else by reading its body. Typing the document here spreads
    /// that work over the packet threads; the indexing thread only adds it.
    fn queue(&self, doc: Doc, heard: Option<Heard<'_>>) {
        let tx = match self.tx.lock() {
            Ok(g) => g.clone(),
            Err(_) => None,
        };
        let Some(tx) = tx else { return };
        let Doc { index, id, body } = doc;
        let id = match id {
            Some(id) => id,
            None => format!("{}-{}", index, self.seq.fetch_add(1, Ordering::Relaxed) + 1),
        };
        let doc = Queued {
            index,
            doc: match heard {
                Some(h) => h.finish(id, body),
                None => crate::doc::build(&self.current, id, body, Some(&self.buffers)),
            },
        };
        match tx.try_send(doc) {
            Ok(()) => {}
            Err(TrySendError::Full(doc)) => {
                self.stats.queue_full.fetch_add(1, Ordering::Relaxed);
                if tx.send(doc).is_err() {
                    self.stats.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// One document's values as its writer tells them, on their way to the queue.
struct Recording<'s> {
    out: &'s StoreOutput,
    heard: Heard<'s>,
}

impl Recorder for Recording<'_> {
    fn enter(&mut self, key: &str) {
        self.heard.enter(key);
    }
    fn leave(&mut self) {
        self.heard.leave();
    }
    fn value(&mut self, out: &str, start: usize) {
        self.heard.value(out, start);
    }
}

impl DocRecorder for Recording<'_> {
    fn finish(self: Box<Self>, doc: Doc) {
        let Recording { out, heard } = *self;
        out.queue(doc, Some(heard));
    }
}

impl DocOutput for StoreOutput {
    fn emit(&self, doc: Doc) {
        self.queue(doc, None);
    }

    fn recorder(&self) -> Option<Box<dyn DocRecorder + '_>> {
        Some(Box::new(Recording {
            out: self,
            heard: Heard::new(&self.current, Some(&self.buffers)),
        }))
    }

    fn body_buffer(&self) -> String {
        self.buffers.body()
    }

    fn finish(&self) {
        if let Ok(mut g) = self.tx.lock() {
            g.take();
        }
        let t = self.thread.lock().ok().and_then(|mut g| g.take());
        if let Some(t) = t {
            if t.join().is_err() {
                // Its uncommitted documents are lost: say so, and count it so that the
                // capture does not exit 0.
                tracing::error!(
                    "store: the writer thread failed; documents since its last commit are lost"
                );
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

struct Partition {
    writer: IndexWriter<SessionDoc>,
    /// When a document last went to it.
    used: Instant,
    /// The file of integers, if the partition's schema has `_row`.
    ints: Option<IntsWriter>,
    fields: Fields,
    current_schema: bool,
    pending: u64,
    /// Created by this capture: no earlier document can carry one of its ids, so
    /// adding needs no delete of an older copy.
    fresh: bool,
}

fn open_partition(
    root: &Path,
    name: &str,
    fields: &[(String, Kind)],
) -> Result<Partition, StoreError> {
    let dir =
        partition_dir(root, name).ok_or_else(|| StoreError::BadPartition(name.to_string()))?;
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::Io(dir.clone(), e))?;
    let (index, fresh) = match Index::open_in_dir(&dir) {
        Ok(i) => (i, false),
        Err(_) => (
            Index::builder()
                .schema(schema::build(fields))
                .settings(tantivy::IndexSettings {
                    docstore_blocksize: DOCSTORE_BLOCK,
                    ..Default::default()
                })
                .create_in_dir(&dir)
                .map_err(|e| StoreError::Index(dir.clone(), e.to_string()))?,
            true,
        ),
    };
    let f =
        Fields::new(index.schema()).ok_or_else(|| StoreError::BadPartition(name.to_string()))?;
    let writer = index
        .writer_with_options::<SessionDoc>(
            tantivy::indexer::IndexWriterOptions::builder()
                .num_worker_threads(INDEX_THREADS)
                .memory_budget_per_thread(WRITER_BYTES / INDEX_THREADS)
                .num_merge_threads(MERGE_THREADS)
                .build(),
        )
        .map_err(|e| StoreError::Index(dir.clone(), e.to_string()))?;
    // Merges run in the background at the lowest priority: they never take CPU from
    // the capture.
    crate::merge::lower_merge_threads();
    let current_schema = f.schema == schema::build(fields);
    let ints = match f.row {
        Some(_) => {
            let after = max_row(&index).map_or(0, |r| r + 1);
            Some(
                IntsWriter::open(&dir, after)
                    .map_err(|e| StoreError::Io(dir.join(ints::FILE), e))?,
            )
        }
        None => None,
    };
    Ok(Partition {
        writer,
        used: Instant::now(),
        ints,
        fields: f,
        current_schema,
        pending: 0,
        fresh,
    })
}

/// The highest `_row` of the partition's committed documents.
fn max_row(index: &Index) -> Option<u64> {
    let reader: tantivy::IndexReader = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()
        .ok()?;
    let searcher = reader.searcher();
    searcher
        .segment_readers()
        .iter()
        .filter_map(|s| s.fast_fields().u64(ints::ROW).ok())
        .filter(|c| c.num_docs() > 0)
        .map(|c| c.max_value())
        .max()
}

/// Commits `p`; on failure its uncommitted documents are counted as failed and the
/// error is returned (the partition's writer is then dead).
fn commit(name: &str, p: &mut Partition, stats: &WriterStats) -> Result<(), String> {
    if p.pending == 0 {
        return Ok(());
    }
    // The integers first: a committed document's must be on disk.
    if let Some(w) = p.ints.as_mut() {
        if let Err(e) = w.flush() {
            let e = format!("writing the integers of {name} failed: {e}");
            if disk_full(&e, w.dir()) {
                // tantivy would not fit either: the partition goes down, its
                // uncommitted documents with it, rather than commit them half.
                lose_pending(p, stats);
                return Err(e);
            }
            tracing::error!("store: {e}; searches by integer fields miss these documents until a later commit writes them");
            stats.ints_failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    let r = match p.writer.commit() {
        Ok(_) => {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => {
            lose_pending(p, stats);
            Err(format!("commit of {name} failed: {e}"))
        }
    };
    p.pending = 0;
    r
}

/// Counts the documents `p` held since its last commit as failed.
fn lose_pending(p: &mut Partition, stats: &WriterStats) {
    stats.failed.fetch_add(p.pending, Ordering::Relaxed);
    stats.indexed.fetch_sub(
        p.pending.min(stats.indexed.load(Ordering::Relaxed)),
        Ordering::Relaxed,
    );
    p.pending = 0;
}

/// A partition that failed, and when to try it again.
struct Down {
    retry_at: Instant,
}

/// Whether `err`, met writing under `dir`, means the disk is full: the error says so,
/// or the file system has less room left than one writer's buffer (tantivy's workers
/// report a failed flush as "An index writer was killed", without the cause).
fn disk_full(err: &str, dir: &Path) -> bool {
    err.contains("os error 28")
        || err.contains("os error 122")
        || err.contains("No space left")
        || fs4::available_space(dir).is_ok_and(|a| a < 2 * WRITER_BYTES as u64)
}

/// Takes partition `name` down after `err`: its writer is dropped with what it held,
/// the failure said once, and it is tried again after [`RETRY_DOWN`].
fn take_down(
    root: &Path,
    name: &str,
    err: &str,
    parts: &mut FxHashMap<String, Partition>,
    down: &mut FxHashMap<String, Down>,
    stats: &WriterStats,
) {
    if let Some(mut p) = parts.remove(name) {
        lose_pending(&mut p, stats);
    }
    say_failed(root, name, err, stats);
    down.insert(
        name.to_string(),
        Down {
            retry_at: Instant::now() + RETRY_DOWN,
        },
    );
}

/// Says, once per failure, that partition `name` could not be written, and plainly
/// that the disk is full when it is.
fn say_failed(root: &Path, name: &str, err: &str, stats: &WriterStats) {
    let dir = partition_dir(root, name).unwrap_or_else(|| root.to_path_buf());
    if disk_full(err, &dir) {
        stats.disk_full.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            "store: the disk is full: cannot write the session store in {}; session documents are counted as lost until space is freed (packets are still captured and written to pcap where there is room)",
            root.display()
        );
    } else {
        tracing::error!(
            "store: {err}; session documents for {name} are counted as lost until it can be written again"
        );
    }
}

/// Where the store is, what it keeps, and the writer's limits.
struct Keep {
    data_dir: PathBuf,
    retention: Retention,
    limits: WriterLimits,
}

/// The partitions the writer holds: those open for writing, and those closed whose
/// merge into one segment runs or waits (their writers still hold the partitions'
/// locks, so a late document for one simply takes it back).
#[derive(Default)]
struct Held {
    parts: FxHashMap<String, Partition>,
    closing: std::collections::VecDeque<Closing>,
    /// Partitions that failed, until they are tried again.
    down: FxHashMap<String, Down>,
}

/// A closed partition on its way to one segment.
struct Closing {
    name: String,
    part: Partition,
    /// The merge of all its segments, once started.
    merge: Option<tantivy::FutureResult<Option<tantivy::index::SegmentMeta>>>,
    since: Instant,
    /// When to ask for the merge (again).
    next_try: Instant,
}

/// How long a closed partition waits before its merge is asked again, when its
/// writer's own merges were still under way.
const MERGE_RETRY: Duration = Duration::from_secs(5);

impl Held {
    fn holds(&self, name: &str) -> bool {
        self.parts.contains_key(name) || self.closing.iter().any(|c| c.name == name)
    }

    fn note_open(&self, stats: &WriterStats) {
        let n = self.parts.len() as u64;
        stats.open_partitions.store(n, Ordering::Relaxed);
        stats.most_open.fetch_max(n, Ordering::Relaxed);
    }

    /// Takes partition `name` back for writing if it is closing.
    fn reopen(&mut self, name: &str) -> bool {
        let Some(i) = self.closing.iter().position(|c| c.name == name) else {
            return false;
        };
        if let Some(mut c) = self.closing.remove(i) {
            // A merge under way goes on; the writer's own merging resumes.
            c.part
                .writer
                .set_merge_policy(Box::new(tantivy::merge_policy::LogMergePolicy::default()));
            c.part.used = Instant::now();
            self.parts.insert(c.name, c.part);
        }
        true
    }

    /// Commits partition `name` and moves it to the closing ones, to be merged.
    fn close(&mut self, name: &str, stats: &WriterStats) -> Result<(), String> {
        let Some(mut p) = self.parts.remove(name) else {
            return Ok(());
        };
        commit(name, &mut p, stats)?;
        // No new merge of the writer's own choosing: the one merge of everything
        // starts once those under way end.
        p.writer
            .set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        self.closing.push_back(Closing {
            name: name.to_string(),
            part: p,
            merge: None,
            since: Instant::now(),
            next_try: Instant::now(),
        });
        while self.closing.len() > MAX_CLOSING {
            // The oldest one not merging yet is dropped as it is.
            let i = self
                .closing
                .iter()
                .position(|c| c.merge.is_none())
                .unwrap_or(0);
            if self.closing.remove(i).is_some() {
                stats.left_unmerged.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Advances the merges of closed partitions, one at a time: starts the first once
    /// its writer's own merges have ended, and drops each writer when its partition is
    /// one segment.
    fn tick_closing(&mut self, stats: &WriterStats) {
        let Some(c) = self.closing.front_mut() else {
            return;
        };
        let give_up = c.since.elapsed() >= MERGE_GIVE_UP;
        let done = match c.merge.as_mut() {
            None if Instant::now() < c.next_try && !give_up => None,
            None => {
                let ids = c
                    .part
                    .writer
                    .index()
                    .searchable_segment_ids()
                    .unwrap_or_default();
                if ids.len() <= 1 {
                    Some(false)
                } else if give_up {
                    Some(true)
                } else {
                    // Refused at once while one of its own merges still runs: asked
                    // again at the next look.
                    c.merge = Some(c.part.writer.merge(&ids));
                    None
                }
            }
            Some(m) => match poll_now(m) {
                std::task::Poll::Pending if give_up => Some(true),
                std::task::Poll::Pending => {
                    stats.merging.store(1, Ordering::Relaxed);
                    None
                }
                std::task::Poll::Ready(Ok(_)) => {
                    stats.merged_on_close.fetch_add(1, Ordering::Relaxed);
                    Some(false)
                }
                std::task::Poll::Ready(Err(e)) if give_up => {
                    tracing::warn!("store: merging {} gave up: {e}", c.name);
                    Some(true)
                }
                std::task::Poll::Ready(Err(_)) => {
                    c.merge = None;
                    c.next_try = Instant::now() + MERGE_RETRY;
                    None
                }
            },
        };
        if let Some(unmerged) = done {
            if unmerged {
                stats.left_unmerged.fetch_add(1, Ordering::Relaxed);
            }
            // Its writer (and lock) goes; an abandoned merge's files are cleared by
            // the partition's next writer.
            self.closing.pop_front();
            stats.merging.store(0, Ordering::Relaxed);
        }
    }
}

/// Whether a merge has ended, without waiting. A merge once polled must never be
/// waited for (its channel refuses a blocking receive after a poll).
fn poll_now(
    m: &mut tantivy::FutureResult<Option<tantivy::index::SegmentMeta>>,
) -> std::task::Poll<tantivy::Result<Option<tantivy::index::SegmentMeta>>> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::future::Future::poll(std::pin::Pin::new(m), &mut cx)
}

/// Runs retention, sparing the partitions `held` has; says what went.
fn apply_retention(keep: &Keep, held: &Held, stats: &WriterStats) {
    if keep.retention.is_off() {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    match retention::enforce(&keep.data_dir, &keep.retention, &|n| held.holds(n), now) {
        Ok(gone) => {
            for g in gone {
                tracing::info!(
                    "store: deleted partition {} ({} documents, {} bytes) by {}",
                    g.name,
                    g.docs,
                    g.bytes,
                    if g.why == "age" {
                        "storeDays"
                    } else {
                        "storeMaxG"
                    }
                );
                stats.expired_partitions.fetch_add(1, Ordering::Relaxed);
                stats.expired_docs.fetch_add(g.docs, Ordering::Relaxed);
            }
        }
        Err(e) => tracing::warn!("store: retention: {e}"),
    }
}

/// Closes the partitions no document went to for `idle`.
fn close_idle(held: &mut Held, idle: Duration, stats: &WriterStats) {
    let names: Vec<String> = held
        .parts
        .iter()
        .filter(|(_, p)| p.used.elapsed() >= idle)
        .map(|(n, _)| n.clone())
        .collect();
    for n in names {
        if let Err(e) = held.close(&n, stats) {
            tracing::error!("store: {e}");
        }
    }
    held.note_open(stats);
}

fn run(
    root: &Path,
    fields: &[(String, Kind)],
    rx: &Receiver<Queued>,
    stats: &WriterStats,
    keep: &Keep,
) {
    let mut held = Held::default();
    let mut last_commit = Instant::now();
    let mut last_retention = Instant::now();
    let mut last_housekeep = Instant::now();
    let mut commits_at_retention = 0;
    // Operations gathered per partition, handed to tantivy a batch at a time.
    let mut batches: FxHashMap<String, Vec<UserOperation<SessionDoc>>> = FxHashMap::default();
    let mut open = true;
    while open {
        let first = match rx.recv_timeout(keep.limits.housekeep) {
            Ok(d) => Some(d),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        let mut next = first;
        let mut taken = 0;
        let mut lingered = false;
        while let Some(q) = next.take() {
            taken += 1;
            queue_doc(root, fields, q, &mut held, &mut batches, stats, keep);
            if taken < BATCH {
                match rx.try_recv() {
                    Ok(d) => next = Some(d),
                    Err(crossbeam_channel::TryRecvError::Empty) if !lingered => {
                        // A short batch: let more documents gather instead of waking
                        // for each one (a blocked receiver makes every send a wake-up,
                        // and every small batch a round through tantivy's workers).
                        lingered = true;
                        std::thread::sleep(LINGER);
                        next = rx.try_recv().ok();
                    }
                    Err(crossbeam_channel::TryRecvError::Empty) => {}
                    Err(crossbeam_channel::TryRecvError::Disconnected) => open = false,
                }
            }
        }
        let mut failed: Vec<(String, String)> = Vec::new();
        for (name, ops) in batches.iter_mut() {
            if ops.is_empty() {
                continue;
            }
            let Some(p) = held.parts.get_mut(name) else {
                ops.clear();
                continue;
            };
            if let Err(e) = hand_over(name, p, ops, stats) {
                failed.push((name.clone(), e));
            }
        }
        if last_commit.elapsed() >= COMMIT_EVERY {
            for (n, p) in held.parts.iter_mut() {
                if let Err(e) = commit(n, p, stats) {
                    failed.push((n.clone(), e));
                }
            }
            last_commit = Instant::now();
        }
        for (name, e) in failed {
            take_down(root, &name, &e, &mut held.parts, &mut held.down, stats);
        }
        if last_housekeep.elapsed() >= keep.limits.housekeep {
            close_idle(&mut held, keep.limits.idle_close, stats);
            held.tick_closing(stats);
            last_housekeep = Instant::now();
        }
        let commits = stats.commits.load(Ordering::Relaxed);
        let grown = keep.retention.max_size.is_some()
            && commits != commits_at_retention
            && last_retention.elapsed() >= RETENTION_AFTER_COMMIT;
        if grown || last_retention.elapsed() >= RETENTION_EVERY {
            apply_retention(keep, &held, stats);
            last_retention = Instant::now();
            commits_at_retention = commits;
        }
    }
    // What is open is committed first.
    for (n, mut p) in std::mem::take(&mut held.parts) {
        if let Err(e) = commit(&n, &mut p, stats) {
            say_failed(root, &n, &e, stats);
            continue;
        }
        if let Err(e) = p.writer.wait_merging_threads() {
            tracing::warn!("store: merging {n}: {e}");
        }
    }
    // Closed partitions are committed already: a merge that has ended is counted, one
    // under way is abandoned (the partition keeps its segments), those not started are
    // left for `trawl db optimize`. Waiting could take minutes at the end of a capture.
    for mut c in std::mem::take(&mut held.closing) {
        let merged = match c.merge.as_mut() {
            Some(m) => matches!(poll_now(m), std::task::Poll::Ready(Ok(_))),
            None => c
                .part
                .writer
                .index()
                .searchable_segment_ids()
                .is_ok_and(|s| s.len() <= 1),
        };
        if merged {
            stats.merged_on_close.fetch_add(1, Ordering::Relaxed);
        } else {
            stats.left_unmerged.fetch_add(1, Ordering::Relaxed);
        }
    }
    stats.merging.store(0, Ordering::Relaxed);
    held.note_open(stats);
    apply_retention(keep, &held, stats);
}

/// Hands the operations gathered for partition `name` to its writer, and commits when
/// enough are pending. An error means the partition must go down.
fn hand_over(
    name: &str,
    p: &mut Partition,
    ops: &mut Vec<UserOperation<SessionDoc>>,
    stats: &WriterStats,
) -> Result<(), String> {
    let adds = ops
        .iter()
        .filter(|o| matches!(o, UserOperation::Add(_)))
        .count() as u64;
    match p.writer.run(std::mem::take(ops)) {
        Ok(_) => {
            p.pending += adds;
            stats.indexed.fetch_add(adds, Ordering::Relaxed);
        }
        Err(e) => {
            stats.failed.fetch_add(adds, Ordering::Relaxed);
            return Err(format!("indexing into {name} failed: {e}"));
        }
    }
    if p.pending >= COMMIT_DOCS {
        commit(name, p, stats)?;
    }
    Ok(())
}

/// Closes partition `name` to make room for another: its gathered operations are
/// handed over and committed first.
fn close_for_room(
    root: &Path,
    name: &str,
    held: &mut Held,
    batches: &mut FxHashMap<String, Vec<UserOperation<SessionDoc>>>,
    stats: &WriterStats,
) {
    let handed = match (held.parts.get_mut(name), batches.get_mut(name)) {
        (Some(p), Some(ops)) if !ops.is_empty() => hand_over(name, p, ops, stats),
        _ => Ok(()),
    };
    if let Err(e) = handed.and_then(|()| held.close(name, stats)) {
        take_down(root, name, &e, &mut held.parts, &mut held.down, stats);
    }
}

/// Adds one queued document to its partition's batch, opening the partition first.
fn queue_doc(
    root: &Path,
    fields: &[(String, Kind)],
    q: Queued,
    held: &mut Held,
    batches: &mut FxHashMap<String, Vec<UserOperation<SessionDoc>>>,
    stats: &WriterStats,
    keep: &Keep,
) {
    let Queued { index, doc } = q;
    let was_down = match held.down.get(&index) {
        Some(d) if Instant::now() < d.retry_at => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Some(_) => true,
        None => false,
    };
    if !held.parts.contains_key(&index) {
        // A partition closed a moment ago is taken back, its writer still open.
        let reopened = held.reopen(&index);
        let room = keep.limits.max_open - usize::from(!reopened);
        while held.parts.len() > room {
            // The least recently used partition makes room, its documents first
            // handed to its writer.
            let Some(lru) = held
                .parts
                .iter()
                .filter(|(n, _)| **n != index)
                .min_by_key(|(_, p)| p.used)
                .map(|(n, _)| n.clone())
            else {
                break;
            };
            close_for_room(root, &lru, held, batches, stats);
        }
        held.note_open(stats);
    }
    if !held.parts.contains_key(&index) {
        match open_partition(root, &index, fields) {
            Ok(p) => {
                held.parts.insert(index.clone(), p);
                held.note_open(stats);
                if held.down.remove(&index).is_some() {
                    tracing::info!("store: writing {index} again");
                }
            }
            Err(_) if was_down => {
                // Still failing: said when it went down.
                if let Some(d) = held.down.get_mut(&index) {
                    d.retry_at = Instant::now() + RETRY_DOWN;
                }
                stats.failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                take_down(
                    root,
                    &index,
                    &e.to_string(),
                    &mut held.parts,
                    &mut held.down,
                    stats,
                );
                return;
            }
        }
    }
    let Some(p) = held.parts.get_mut(&index) else {
        return;
    };
    p.used = Instant::now();
    // A partition made by another version of the registry has its own schema.
    let td = match doc {
        Some(td) if p.current_schema => Some(td),
        Some(td) => td.rebuild(&p.fields),
        None => None,
    };
    let Some(mut td) = td else {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if let Some(w) = p.ints.as_mut() {
        let row = w.add_row();
        for &(f, v) in td.ints() {
            w.add(f, row, v);
        }
        td.set_row(row);
    }
    let ops = match batches.get_mut(&index) {
        Some(v) => v,
        None => batches.entry(index).or_default(),
    };
    // A document id names one session: writing it again replaces it, as an
    // Elasticsearch index would (reading the same pcap twice).
    if !p.fresh {
        ops.push(UserOperation::Delete(tantivy::Term::from_field_text(
            p.fields.id,
            td.id(),
        )));
    }
    ops.push(UserOperation::Add(td));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_store::DAY;
    use crate::{sessions_dir, Store};

    fn doc(part: &str, id: &str, t: i64) -> Doc {
        Doc {
            index: part.into(),
            id: Some(id.into()),
            body: format!(r#"{{"firstPacket":{t},"lastPacket":{t}}}"#),
        }
    }

    fn segments(dir: &Path, part: &str) -> usize {
        Index::open_in_dir(sessions_dir(dir).join(part))
            .unwrap()
            .searchable_segment_ids()
            .unwrap()
            .len()
    }

    #[test]
    fn a_closed_partition_is_merged_into_one_segment_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        // Three runs leave three segments in day 1.
        for run in 0..3 {
            let out = StoreOutput::start(dir.path(), vec![]).unwrap();
            for i in 0..10 {
                out.emit(doc("sessions3-261101", &format!("{run}-{i}"), DAY + i));
            }
            out.finish();
        }
        assert!(segments(dir.path(), "sessions3-261101") >= 3);
        let limits = WriterLimits {
            idle_close: Duration::from_millis(300),
            ..WriterLimits::default()
        };
        let out =
            StoreOutput::start_limited(dir.path(), vec![], Retention::default(), limits).unwrap();
        out.emit(doc("sessions3-261101", "late-0", DAY + 50));
        // Day 2 goes on being written while day 1 idles, closes and merges.
        let mut i = 0;
        let merged = || out.stats.merged_on_close.load(Ordering::Relaxed) >= 1;
        while !merged() {
            out.emit(doc("sessions3-261102", &format!("d2-{i}"), 2 * DAY + i));
            i += 1;
            std::thread::sleep(Duration::from_millis(20));
            assert!(i < 6000, "day 1 was never merged");
        }
        assert_eq!(segments(dir.path(), "sessions3-261101"), 1);
        assert_eq!(out.stats.open_partitions.load(Ordering::Relaxed), 1);
        // A late session for the closed day is still written, by a writer of its own.
        out.emit(doc("sessions3-261101", "late-1", DAY + 60));
        out.finish();
        assert_eq!(out.stats.failed.load(Ordering::Relaxed), 0);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.count_all(), 32 + i as u64);
        assert!(store.get("late-0").is_some() && store.get("late-1").is_some());
        assert!(store.get("2-9").is_some());
    }

    #[test]
    fn the_end_comes_while_a_closed_partition_merges() {
        let dir = tempfile::tempdir().unwrap();
        let body = |t: i64| {
            format!(
                r#"{{"firstPacket":{t},"lastPacket":{t},"pad":"{}"}}"#,
                "x".repeat(500)
            )
        };
        for run in 0..3 {
            let out = StoreOutput::start(dir.path(), vec![]).unwrap();
            for i in 0..40_000 {
                out.emit(Doc {
                    index: "sessions3-261101".into(),
                    id: Some(format!("{run}-{i}")),
                    body: body(DAY + i),
                });
            }
            out.finish();
        }
        let limits = WriterLimits {
            idle_close: Duration::from_millis(200),
            housekeep: Duration::from_millis(5),
            ..WriterLimits::default()
        };
        let out =
            StoreOutput::start_limited(dir.path(), vec![], Retention::default(), limits).unwrap();
        out.emit(doc("sessions3-261101", "late", DAY));
        // Day 1 closes while day 2 is written, and its merge is seen under way; the
        // writer ends then.
        let t0 = Instant::now();
        let mut i = 0;
        while out.stats.merging.load(Ordering::Relaxed) == 0 {
            out.emit(doc("sessions3-261102", &format!("d2-{i}"), 2 * DAY));
            i += 1;
            std::thread::sleep(Duration::from_millis(2));
            assert!(t0.elapsed() < Duration::from_secs(60), "no merge seen");
        }
        out.finish();
        let s = &out.stats;
        assert_eq!(s.failed.load(Ordering::Relaxed), 0);
        assert_eq!(
            s.merged_on_close.load(Ordering::Relaxed) + s.left_unmerged.load(Ordering::Relaxed),
            1
        );
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.count_all(), 120_001 + i);
    }

    /// A writer that keeps at most two partitions open.
    fn two_open(dir: &Path) -> StoreOutput {
        let limits = WriterLimits {
            max_open: 2,
            ..WriterLimits::default()
        };
        StoreOutput::start_limited(dir, vec![], Retention::default(), limits).unwrap()
    }

    #[test]
    fn a_partition_taken_back_from_closing_counts_against_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let out = two_open(dir.path());
        // Day 3 closes day 1; day 1 then comes back from closing, and closes day 2.
        for (i, day) in [1i64, 2, 3, 1, 3, 1].into_iter().enumerate() {
            out.emit(doc(
                &format!("sessions3-2611{day:02}"),
                &format!("s{i}"),
                day * DAY,
            ));
        }
        out.finish();
        let s = &out.stats;
        assert_eq!(s.failed.load(Ordering::Relaxed), 0);
        assert_eq!(s.most_open.load(Ordering::Relaxed), 2);
        assert_eq!(Store::open(dir.path()).unwrap().count_all(), 6);
    }

    #[test]
    fn opening_more_partitions_than_allowed_closes_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let out = two_open(dir.path());
        // Seven days, then the first again: each opening beyond two closes another.
        let mut n = 0;
        for round in 0..2 {
            for day in (1..=7i64).chain([1]) {
                for i in 0..20 {
                    out.emit(doc(
                        &format!("sessions3-2611{day:02}"),
                        &format!("{round}-{day}-{i}-{n}"),
                        day * DAY + i,
                    ));
                    n += 1;
                }
            }
        }
        out.finish();
        let s = &out.stats;
        assert_eq!(s.indexed.load(Ordering::Relaxed), n);
        assert_eq!(s.failed.load(Ordering::Relaxed), 0);
        assert_eq!(s.most_open.load(Ordering::Relaxed), 2);
        assert_eq!(s.open_partitions.load(Ordering::Relaxed), 0);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.count_all(), n);
        assert_eq!(store.info().len(), 7);
        assert!(
            store.get("0-1-0-0").is_some() && store.get(&format!("1-1-19-{}", n - 1)).is_some()
        );
    }
}
