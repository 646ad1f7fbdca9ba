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
/// Documents per commit.
const COMMIT_DOCS: u64 = 50_000;
/// Longest time between commits while documents arrive.
const COMMIT_EVERY: Duration = Duration::from_secs(10);
/// Indexing threads of each partition's tantivy writer.
const INDEX_THREADS: usize = 2;
/// Bytes of documents compressed together in the document store.
const DOCSTORE_BLOCK: usize = 64 << 10;
/// Memory of each partition's tantivy writer.
const WRITER_BYTES: usize = 64 << 20;
/// How long a partition that failed stays down before it is opened again.
pub const RETRY_DOWN: Duration = Duration::from_secs(5);
/// A partition no document went to for this long is committed and closed: its
/// writer's memory is freed, and retention may delete it.
const IDLE_CLOSE: Duration = Duration::from_secs(120);
/// How often retention runs while documents arrive (and once at the end).
const RETENTION_EVERY: Duration = Duration::from_secs(60);

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
            let _ = t.join();
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
        .writer_with_num_threads::<SessionDoc>(INDEX_THREADS, WRITER_BYTES)
        .map_err(|e| StoreError::Index(dir.clone(), e.to_string()))?;
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

/// Where the store is and what it keeps.
struct Keep {
    data_dir: PathBuf,
    retention: Retention,
}

/// Runs retention, sparing the partitions `parts` has open; says what went.
fn apply_retention(keep: &Keep, parts: &FxHashMap<String, Partition>, stats: &WriterStats) {
    if keep.retention.is_off() {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    match retention::enforce(
        &keep.data_dir,
        &keep.retention,
        &|n| parts.contains_key(n),
        now,
    ) {
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

/// Commits and closes the partitions no document went to for [`IDLE_CLOSE`].
fn close_idle(parts: &mut FxHashMap<String, Partition>, stats: &WriterStats) {
    let idle: Vec<String> = parts
        .iter()
        .filter(|(_, p)| p.used.elapsed() >= IDLE_CLOSE)
        .map(|(n, _)| n.clone())
        .collect();
    for n in idle {
        let Some(mut p) = parts.remove(&n) else {
            continue;
        };
        if let Err(e) = commit(&n, &mut p, stats) {
            tracing::error!("store: {e}");
            continue;
        }
        if let Err(e) = p.writer.wait_merging_threads() {
            tracing::warn!("store: merging {n}: {e}");
        }
    }
}

fn run(
    root: &Path,
    fields: &[(String, Kind)],
    rx: &Receiver<Queued>,
    stats: &WriterStats,
    keep: &Keep,
) {
    let mut parts: FxHashMap<String, Partition> = FxHashMap::default();
    let mut down: FxHashMap<String, Down> = FxHashMap::default();
    let mut last_commit = Instant::now();
    let mut last_retention = Instant::now();
    // Operations gathered per partition, handed to tantivy a batch at a time.
    let mut batches: FxHashMap<String, Vec<UserOperation<SessionDoc>>> = FxHashMap::default();
    let mut open = true;
    while open {
        let first = match rx.recv_timeout(COMMIT_EVERY) {
            Ok(d) => Some(d),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        let mut next = first;
        let mut taken = 0;
        let mut lingered = false;
        while let Some(q) = next.take() {
            taken += 1;
            queue_doc(root, fields, q, &mut parts, &mut down, &mut batches, stats);
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
            let Some(p) = parts.get_mut(name) else {
                ops.clear();
                continue;
            };
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
                    failed.push((name.clone(), format!("indexing into {name} failed: {e}")));
                    continue;
                }
            }
            if p.pending >= COMMIT_DOCS {
                if let Err(e) = commit(name, p, stats) {
                    failed.push((name.clone(), e));
                }
            }
        }
        if last_commit.elapsed() >= COMMIT_EVERY {
            for (n, p) in parts.iter_mut() {
                if let Err(e) = commit(n, p, stats) {
                    failed.push((n.clone(), e));
                }
            }
            last_commit = Instant::now();
        }
        for (name, e) in failed {
            take_down(root, &name, &e, &mut parts, &mut down, stats);
        }
        if last_retention.elapsed() >= RETENTION_EVERY {
            close_idle(&mut parts, stats);
            apply_retention(keep, &parts, stats);
            last_retention = Instant::now();
        }
    }
    for (n, mut p) in parts {
        if let Err(e) = commit(&n, &mut p, stats) {
            say_failed(root, &n, &e, stats);
            continue;
        }
        if let Err(e) = p.writer.wait_merging_threads() {
            tracing::warn!("store: merging {n}: {e}");
        }
    }
    apply_retention(keep, &FxHashMap::default(), stats);
}

/// Adds one queued document to its partition's batch, opening the partition first.
fn queue_doc(
    root: &Path,
    fields: &[(String, Kind)],
    q: Queued,
    parts: &mut FxHashMap<String, Partition>,
    down: &mut FxHashMap<String, Down>,
    batches: &mut FxHashMap<String, Vec<UserOperation<SessionDoc>>>,
    stats: &WriterStats,
) {
    let Queued { index, doc } = q;
    let was_down = match down.get(&index) {
        Some(d) if Instant::now() < d.retry_at => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Some(_) => true,
        None => false,
    };
    if !parts.contains_key(&index) {
        match open_partition(root, &index, fields) {
            Ok(p) => {
                parts.insert(index.clone(), p);
                if down.remove(&index).is_some() {
                    tracing::info!("store: writing {index} again");
                }
            }
            Err(_) if was_down => {
                // Still failing: said when it went down.
                if let Some(d) = down.get_mut(&index) {
                    d.retry_at = Instant::now() + RETRY_DOWN;
                }
                stats.failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                take_down(root, &index, &e.to_string(), parts, down, stats);
                return;
            }
        }
    }
    let Some(p) = parts.get_mut(&index) else {
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
