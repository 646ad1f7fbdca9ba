//! Session documents to Elasticsearch/OpenSearch, as Arkime's capture sends them: the
//! `sessions3` bulk lines (`{"index":{"_index":…,"_id":…}}` then the body) batched up
//! to `dbBulkSize` bytes or 5 seconds, POSTed to `<url>/_bulk`, gzip-compressed when
//! longer than 860 bytes, round-robin over the `elasticsearch=` URLs.
//!
//! # What is guaranteed
//!
//! Every document handed to the output ends in exactly one of four places, each
//! counted per document in [`EsStats`] and summed up in one log line at the end:
//!
//! - **accepted** by the cluster: a 2xx answer that is a real bulk answer (JSON with
//!   an `items` array holding one item per document sent) whose item for that document
//!   has a 2xx status. Anything else in a 2xx answer (an HTML page from a proxy, a body
//!   that is not JSON, too few items, a connection closed mid-answer) is a failed
//!   attempt and the whole request is sent again.
//! - the **spool** (`<dataDir>/es-spool/*.ndjson`, bulk bodies as sent): bulks waiting
//!   beyond what memory holds, bulks the cluster refused as a whole (401, 403, …), and
//!   whatever is still unsent when the drain deadline passes. The next capture sends the
//!   spool first, oldest file first; a file the cluster refuses for good (400, or a
//!   single document too large: 413) is moved to `es-spool/refused/` and the next file
//!   is tried; a bulk answered 413 is halved on document boundaries and the halves sent.
//! - the **dead-letter** file (`<dataDir>/es-dead-letter/<time>-<pid>.ndjson`: the
//!   action line, the body, and a line with the status and reason): documents the
//!   cluster refuses one by one (a per-item 4xx) that cannot be fixed. A per-item 400
//!   naming a field (`mapper_parsing_exception`, `document_parsing_exception`,
//!   `illegal_argument_exception`: "failed to parse field [http.statuscode] …") is
//!   first fixed by removing that field (a dotted key, or the same path through
//!   nested objects) and sending the document again; this is counted and logged once
//!   per index and field.
//! - **lost**: only when even the spool (or dead-letter) file cannot be written, e.g.
//!   a full disk. [`EsStats::lost`] gives the count; `trawl capture` exits 3 when it is
//!   not zero.
//!
//! Per-item 429, 5xx and `es_rejected_execution_exception` answers are retried: just
//! those documents are sent again after a pause that doubles each time. Whole requests
//! that fail (no connection, 429, 5xx, a bad answer) are retried on the next URL with
//! the same backoff, without end while the capture runs (bulks that do not fit in
//! memory meanwhile go to the spool).
//!
//! [`DocOutput::finish`] drains within [`EsConfig::drain_timeout`]: no request runs
//! longer than what is left of it, and when it passes, what is left (the bulk being
//! sent and those queued) goes to the spool, even when a request hangs.
//!
//! At start the cluster must answer `GET /` (any 2xx, 401 or 403) on at least one URL,
//! else [`EsOutput::start`] fails naming each URL and why, and capture exits 1, as
//! Arkime does. The config key `elasticsearchSpoolWhenUnreachable=true`
//! ([`EsConfig::spool_when_unreachable`]) starts anyway and spools until the cluster
//! comes back. `elasticsearchDrainTimeout` (seconds, default 30) sets the drain
//! deadline and `elasticsearchTimeout` (seconds, default 60) each request's timeout.
//! Every URL of `elasticsearch=` is checked when the config is read ([`EsConfig::new`]).

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};
use serde_json::Value;
use trawl_output::{Doc, DocOutput};

/// Bodies at least this long are sent gzip-compressed (Arkime's threshold).
const GZIP_OVER: usize = 860;
/// How much of a bad answer a log line quotes.
const QUOTE: usize = 200;

/// Where and how to send.
#[derive(Clone, Debug)]
pub struct EsConfig {
    /// Base URLs (`elasticsearch=`, comma-separated in the config), checked.
    pub urls: Vec<String>,
    /// Bytes per bulk request (`dbBulkSize`).
    pub bulk_size: usize,
    /// A bulk is sent at least this often while documents arrive.
    pub flush_every: Duration,
    /// `Authorization` header value (from `elasticsearchBasicAuth` or `elasticsearchAPIKey`).
    pub auth: Option<String>,
    /// Spool directory for bulks that could not be sent.
    pub spool: PathBuf,
    /// Directory of the dead-letter files (documents refused one by one).
    pub dead_letter: PathBuf,
    /// How long `finish` keeps trying before spooling what is left.
    pub drain_timeout: Duration,
    /// The longest a single bulk request may take.
    pub request_timeout: Duration,
    /// The first pause before a retry; it doubles up to `max_retry_pause`.
    pub retry_pause: Duration,
    /// The longest pause between retries.
    pub max_retry_pause: Duration,
    /// How long the startup check (`GET /`) waits for each URL.
    pub check_timeout: Duration,
    /// Start even when no URL answers `GET /`, spooling until the cluster is back
    /// (`elasticsearchSpoolWhenUnreachable`); otherwise `start` fails.
    pub spool_when_unreachable: bool,
    /// Bulks kept in memory while the cluster does not take them, before spooling.
    pub queue: usize,
}

/// An `elasticsearch=` URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadUrl {
    /// The URL as written.
    pub url: String,
    /// Why it is refused.
    pub reason: String,
}

impl std::fmt::Display for BadUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "elasticsearch: bad URL '{}': {}",
            self.url.trim(),
            self.reason
        )
    }
}

impl std::error::Error for BadUrl {}

impl EsConfig {
    /// A config for `elasticsearch=` as written (`,`-separated URLs, optional scheme;
    /// `user:pass@` in a URL becomes basic auth unless `auth` is given). Each URL must
    /// parse, with an http or https scheme and a host.
    pub fn new(elasticsearch: &str, data_dir: &Path) -> Result<EsConfig, BadUrl> {
        let mut auth = None;
        let mut urls = Vec::new();
        for written in elasticsearch
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            let u = if written.contains("://") {
                written.to_string()
            } else {
                format!("http://{written}")
            };
            let (scheme, rest) = u.split_once("://").unwrap_or(("http", &u));
            let u = match rest.split_once('@') {
                Some((cred, host)) if !cred.contains('/') => {
                    use base64::Engine;
                    auth = Some(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(cred)
                    ));
                    format!("{scheme}://{}", host.trim_end_matches('/'))
                }
                _ => u.trim_end_matches('/').to_string(),
            };
            let bad = |reason: String| BadUrl {
                url: written.to_string(),
                reason,
            };
            let parsed = url::Url::parse(&u).map_err(|e| bad(e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(bad(format!(
                    "scheme '{}' is not http or https",
                    parsed.scheme()
                )));
            }
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(bad("no host".into()));
            }
            if parsed.query().is_some() || parsed.fragment().is_some() {
                return Err(bad("a query or fragment has no place here".into()));
            }
            urls.push(u);
        }
        if urls.is_empty() {
            return Err(BadUrl {
                url: elasticsearch.to_string(),
                reason: "no URL".into(),
            });
        }
        Ok(EsConfig {
            urls,
            bulk_size: 1_000_000,
            flush_every: Duration::from_secs(5),
            auth,
            spool: data_dir.join("es-spool"),
            dead_letter: data_dir.join("es-dead-letter"),
            drain_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            retry_pause: Duration::from_millis(200),
            max_retry_pause: Duration::from_secs(10),
            check_timeout: Duration::from_secs(10),
            spool_when_unreachable: false,
            queue: 64,
        })
    }

    /// `GET /` on each URL: `Ok` when at least one answers 2xx, 401 or 403 (those
    /// that do not are logged); otherwise an error naming every URL and its reason.
    pub fn check_reachable(&self) -> Result<(), String> {
        let agent = ureq::AgentBuilder::new().build();
        let mut failed = Vec::new();
        for url in &self.urls {
            let mut req = agent.get(&format!("{url}/")).timeout(self.check_timeout);
            if let Some(a) = &self.auth {
                req = req.set("Authorization", a);
            }
            match req.call() {
                Ok(_) | Err(ureq::Error::Status(401 | 403, _)) => {}
                Err(ureq::Error::Status(code, r)) => {
                    failed.push(format!("{url} answered HTTP {code} {}", r.status_text()))
                }
                Err(e) => failed.push(format!("{url}: {e}")),
            }
        }
        if failed.len() == self.urls.len() {
            return Err(format!(
                "the cluster cannot be reached ({}); set elasticsearchSpoolWhenUnreachable=true to capture anyway and keep the documents in {}",
                failed.join("; "),
                self.spool.display()
            ));
        }
        for f in failed {
            tracing::warn!("elasticsearch: {f}; using the other URLs");
        }
        Ok(())
    }
}

/// Counters of what happened to the documents. Documents handed to the output
/// (`docs_in`) end as `sent_docs + spooled_docs + dead_lettered + lost_docs`, once
/// the output is finished; documents from earlier runs' spool are counted apart.
#[derive(Debug, Default)]
pub struct EsStats {
    /// Documents handed to the output.
    pub docs_in: AtomicU64,
    /// Documents accepted by the cluster.
    pub sent_docs: AtomicU64,
    /// Documents written to the spool.
    pub spooled_docs: AtomicU64,
    /// Documents written to the dead-letter file.
    pub dead_lettered: AtomicU64,
    /// Documents lost: not even the spool or dead-letter file could be written.
    pub lost_docs: AtomicU64,
    /// Bulk requests that were answered with a bulk answer.
    pub bulks: AtomicU64,
    /// Requests that failed as a whole (and were retried, spooled or split).
    pub failures: AtomicU64,
    /// Items a bulk answer reported as failed (every attempt counts).
    pub item_errors: AtomicU64,
    /// Items sent again after a per-item 429, 5xx or rejected execution.
    pub item_retries: AtomicU64,
    /// Documents sent again without a field the cluster refused.
    pub fields_removed: AtomicU64,
    /// Bulks halved after a 413.
    pub splits: AtomicU64,
    /// Spool files written.
    pub spooled: AtomicU64,
    /// Documents from an earlier run's spool accepted by the cluster.
    pub replayed_docs: AtomicU64,
    /// Documents from an earlier run's spool moved to `es-spool/refused/`.
    pub replay_refused: AtomicU64,
    /// Documents from an earlier run's spool written to the dead-letter file.
    pub replay_dead_lettered: AtomicU64,
}

impl EsStats {
    /// Documents lost (see [`EsStats::lost_docs`]).
    pub fn lost(&self) -> u64 {
        self.lost_docs.load(Ordering::Relaxed)
    }
}

/// A bulk body (action and document lines) and the number of documents in it.
#[derive(Clone, Debug)]
struct Bulk {
    body: Vec<u8>,
    docs: u64,
}

impl Bulk {
    /// The (action, document) line pairs, without their newlines.
    fn pairs(&self) -> Vec<(&[u8], &[u8])> {
        let mut lines = self
            .body
            .split(|&c| c == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
        let mut out = Vec::new();
        while let Some(a) = lines.next() {
            out.push((a, lines.next().unwrap_or(b"")));
        }
        out
    }

    fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Bulk {
        let mut b = Bulk {
            body: Vec::new(),
            docs: 0,
        };
        for (a, d) in pairs {
            b.push(a, d);
        }
        b
    }

    fn push(&mut self, action: &[u8], doc: &[u8]) {
        self.body.extend_from_slice(action);
        self.body.push(b'\n');
        self.body.extend_from_slice(doc);
        self.body.push(b'\n');
        self.docs += 1;
    }
}

/// Where the bulk being sent came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Origin {
    /// Documents of this run.
    Live,
    /// A spool file of an earlier run.
    Replay,
}

/// What the sender and `finish` share, under one lock.
struct State {
    queue: VecDeque<Bulk>,
    /// No more bulks will come; the drain runs until `deadline`.
    closed: bool,
    deadline: Option<Instant>,
    /// `finish` took over what was left; the sender stops at its next step.
    abandoned: bool,
    /// What is left of the bulk being sent (several pieces after a 413).
    inflight: Vec<Bulk>,
    origin: Origin,
    /// (index, field) pairs already logged.
    fields_logged: HashSet<(String, String)>,
    dead: Option<(PathBuf, std::fs::File)>,
    refused_logged: bool,
}

struct Shared {
    cfg: EsConfig,
    stats: Arc<EsStats>,
    agent: ureq::Agent,
    state: Mutex<State>,
    wake: Condvar,
    /// Spool files this run wrote while its queue was full, with their documents:
    /// sent by this run once the queue is empty (locked after `state`, never before).
    own_spool: Mutex<VecDeque<(PathBuf, u64)>>,
}

struct Buffer {
    bulk: Bulk,
    since: Instant,
}

/// The output: documents are appended to a buffer under a lock; full buffers go to a
/// sender thread.
pub struct EsOutput {
    cfg: EsConfig,
    buf: Mutex<Buffer>,
    shared: Arc<Shared>,
    sender: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Disconnected when the sender thread ends.
    sender_done: Receiver<()>,
    ticker: Mutex<Option<std::thread::JoinHandle<()>>>,
    stop_tick: Mutex<Option<Sender<()>>>,
    /// Counters.
    pub stats: Arc<EsStats>,
}

impl EsOutput {
    /// Checks that the cluster answers (unless `spool_when_unreachable`), then starts
    /// the sender thread (which first sends what an earlier run spooled) and the
    /// 5-second flusher.
    pub fn start(cfg: EsConfig) -> std::io::Result<Arc<EsOutput>> {
        if cfg.urls.is_empty() {
            return Err(std::io::Error::other("elasticsearch: no URL"));
        }
        if !cfg.spool_when_unreachable {
            cfg.check_reachable()
                .map_err(|e| std::io::Error::other(format!("elasticsearch: {e}")))?;
        }
        let stats = Arc::new(EsStats::default());
        let shared = Arc::new(Shared {
            cfg: cfg.clone(),
            stats: Arc::clone(&stats),
            agent: ureq::AgentBuilder::new().build(),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: false,
                deadline: None,
                abandoned: false,
                inflight: Vec::new(),
                origin: Origin::Live,
                fields_logged: HashSet::new(),
                dead: None,
                refused_logged: false,
            }),
            wake: Condvar::new(),
            own_spool: Mutex::new(VecDeque::new()),
        });
        let (done_tx, done_rx) = bounded::<()>(0);
        let sender = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("trawl-es".into())
                .spawn(move || {
                    shared.run();
                    drop(done_tx);
                })?
        };
        let out = Arc::new(EsOutput {
            buf: Mutex::new(Buffer {
                bulk: Bulk {
                    body: Vec::with_capacity(cfg.bulk_size + 4096),
                    docs: 0,
                },
                since: Instant::now(),
            }),
            cfg,
            shared,
            sender: Mutex::new(Some(sender)),
            sender_done: done_rx,
            ticker: Mutex::new(None),
            stop_tick: Mutex::new(None),
            stats,
        });
        let (stop_tx, stop_rx) = bounded::<()>(0);
        let weak = Arc::downgrade(&out);
        let every = out.cfg.flush_every;
        let ticker = std::thread::Builder::new()
            .name("trawl-es-flush".into())
            .spawn(move || {
                while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                    stop_rx.recv_timeout(every.min(Duration::from_secs(1)))
                {
                    let Some(o) = weak.upgrade() else { break };
                    o.flush_if_old();
                }
            })?;
        if let Ok(mut t) = out.ticker.lock() {
            *t = Some(ticker);
        }
        if let Ok(mut s) = out.stop_tick.lock() {
            *s = Some(stop_tx);
        }
        Ok(out)
    }

    /// Queues a bulk for the sender, or spools it when the queue is full (the
    /// cluster is too slow or away and memory holds enough) or the sender is gone.
    fn hand_off(&self, bulk: Bulk) {
        let mut st = self.shared.lock();
        if st.closed || st.abandoned || st.queue.len() >= self.cfg.queue {
            drop(st);
            self.shared.spool(&bulk);
            return;
        }
        st.queue.push_back(bulk);
        self.shared.wake.notify_all();
    }

    fn take(&self, force: bool) -> Option<Bulk> {
        let mut b = self.buf.lock().ok()?;
        if b.bulk.docs == 0 || !(force || b.since.elapsed() >= self.cfg.flush_every) {
            return None;
        }
        let bulk = std::mem::replace(
            &mut b.bulk,
            Bulk {
                body: Vec::with_capacity(self.cfg.bulk_size + 4096),
                docs: 0,
            },
        );
        b.since = Instant::now();
        Some(bulk)
    }

    fn flush_if_old(&self) {
        if let Some(bulk) = self.take(false) {
            self.hand_off(bulk);
        }
    }

    /// Waits for the sender until the drain deadline; past it, takes what is left
    /// (queue and the bulk being sent) and spools it.
    fn drain(&self) {
        let deadline = Instant::now() + self.cfg.drain_timeout;
        {
            let mut st = self.shared.lock();
            st.closed = true;
            st.deadline = Some(deadline);
            self.shared.wake.notify_all();
        }
        // The sender ends by itself when done or past the deadline; a hung request
        // may keep it longer, so wait at most a moment beyond the deadline.
        let done = self
            .sender_done
            .recv_deadline(deadline + Duration::from_millis(200));
        if matches!(done, Err(crossbeam_channel::RecvTimeoutError::Disconnected)) {
            if let Some(h) = self.sender.lock().ok().and_then(|mut h| h.take()) {
                let _ = h.join();
            }
            return;
        }
        let mut st = self.shared.lock();
        st.abandoned = true;
        let mut left: Vec<Bulk> = if st.origin == Origin::Live {
            std::mem::take(&mut st.inflight)
        } else {
            Vec::new()
        };
        left.extend(st.queue.drain(..));
        // Spooled under the lock so that the sender, when its request returns,
        // cannot count these documents a second time.
        for b in &left {
            self.shared.spool(b);
        }
        drop(st);
        tracing::warn!(
            "elasticsearch: the drain deadline ({:.1}s) passed with a request still running; what was left is spooled",
            self.cfg.drain_timeout.as_secs_f64()
        );
    }

    fn log_summary(&self) {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let s = &self.stats;
        let dead = self
            .shared
            .lock()
            .dead
            .as_ref()
            .map(|(p, _)| format!(" to {}", p.display()))
            .unwrap_or_default();
        let mut extra = String::new();
        for (v, what) in [
            (n(&s.failures), "failed requests retried"),
            (
                n(&s.item_retries),
                "documents re-sent after a per-item error",
            ),
            (
                n(&s.fields_removed),
                "documents re-sent without a refused field",
            ),
            (n(&s.splits), "bulks halved after a 413"),
            (
                n(&s.replayed_docs),
                "documents sent from the spool of earlier runs",
            ),
            (n(&s.replay_refused), "spooled documents moved to refused/"),
            (
                n(&s.replay_dead_lettered),
                "spooled documents dead-lettered",
            ),
        ] {
            if v > 0 {
                extra.push_str(&format!(", {v} {what}"));
            }
        }
        let line = format!(
            "elasticsearch: {} documents: {} accepted in {} bulk requests, {} spooled to {} ({} files), {} dead-lettered{}, {} lost{}",
            n(&s.docs_in),
            n(&s.sent_docs),
            n(&s.bulks),
            n(&s.spooled_docs),
            self.cfg.spool.display(),
            n(&s.spooled),
            n(&s.dead_lettered),
            dead,
            n(&s.lost_docs),
            extra
        );
        if n(&s.lost_docs) > 0 {
            tracing::error!("{line}");
        } else if n(&s.spooled_docs) > 0 || n(&s.dead_lettered) > 0 {
            tracing::warn!("{line}");
        } else {
            tracing::info!("{line}");
        }
    }
}

impl DocOutput for EsOutput {
    fn emit(&self, doc: Doc) {
        self.stats.docs_in.fetch_add(1, Ordering::Relaxed);
        let full = {
            let Ok(mut b) = self.buf.lock() else {
                self.stats.lost_docs.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if b.bulk.docs == 0 {
                b.since = Instant::now();
            }
            b.bulk.push(doc.header().as_bytes(), doc.body.as_bytes());
            b.bulk.body.len() >= self.cfg.bulk_size
        };
        if full {
            if let Some(bulk) = self.take(true) {
                self.hand_off(bulk);
            }
        }
    }

    fn finish(&self) {
        if let Some(s) = self.stop_tick.lock().ok().and_then(|mut s| s.take()) {
            drop(s);
        }
        if let Some(t) = self.ticker.lock().ok().and_then(|mut t| t.take()) {
            let _ = t.join();
        }
        if let Some(bulk) = self.take(true) {
            self.hand_off(bulk);
        }
        let already = self.shared.lock().closed;
        if already {
            return;
        }
        self.drain();
        self.log_summary();
    }
}

/// What a bulk request came to.
enum Answer {
    /// A bulk answer: one item per document sent.
    Items(Vec<Value>),
    /// Worth trying again (no connection, 429, 5xx, not a bulk answer).
    Retry(String),
    /// 413: the request is too large.
    TooLarge,
    /// Refused as a whole (4xx): sending it again as it is will not help.
    Refused(u16, String),
}

/// What to do with one document after its item in a bulk answer.
enum Fate {
    Accepted,
    Retry,
    /// Send again, as changed (a field removed).
    Fixed(Vec<u8>, String),
    Dead(Value),
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock must not stop the accounting.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next spool file this run wrote, read back, if any.
    fn own_spooled(&self) -> Option<(PathBuf, u64, Bulk)> {
        let mut own = self.own_spool.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((p, docs)) = own.pop_front() {
            match std::fs::read(&p) {
                Ok(body) => return Some((p, docs, Bulk { body, docs })),
                Err(e) => tracing::error!("elasticsearch: reading spool file {}: {e}", p.display()),
            }
        }
        None
    }

    /// The sender thread: the spool of earlier runs first, then the queue; when the
    /// queue is empty, the bulks this run spooled while it was full (a cluster that
    /// was away and came back gets them within the run).
    fn run(&self) {
        self.replay();
        loop {
            let mut own: Option<(PathBuf, u64)> = None;
            {
                let mut st = self.lock();
                loop {
                    if st.abandoned {
                        return;
                    }
                    if let Some(b) = st.queue.pop_front() {
                        st.inflight = vec![b];
                        st.origin = Origin::Live;
                        break;
                    }
                    if let Some((p, docs, b)) = self.own_spooled() {
                        st.inflight = vec![b];
                        st.origin = Origin::Live;
                        own = Some((p, docs));
                        break;
                    }
                    if st.closed {
                        return;
                    }
                    st = self.wake.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            }
            match self.deliver(Origin::Live, None) {
                Outcome::Done => {
                    if let Some((p, docs)) = own {
                        // Sent after all: no longer spooled.
                        self.stats.spooled.fetch_sub(1, Ordering::Relaxed);
                        self.stats.spooled_docs.fetch_sub(docs, Ordering::Relaxed);
                        if let Err(e) = std::fs::remove_file(&p) {
                            tracing::error!("elasticsearch: removing {}: {e}", p.display());
                        }
                    }
                }
                Outcome::Abandoned => return,
                Outcome::GaveUp | Outcome::Blocked => {
                    // Past the drain deadline: everything left goes to the spool.
                    let mut st = self.lock();
                    if st.abandoned {
                        return;
                    }
                    if own.is_some() {
                        // Its file is still there, whole.
                        st.inflight.clear();
                    }
                    let mut left = std::mem::take(&mut st.inflight);
                    left.extend(st.queue.drain(..));
                    for b in &left {
                        self.spool(b);
                    }
                    st.abandoned = true;
                    return;
                }
            }
        }
    }

    /// Sends the spool files of earlier runs, oldest first.
    fn replay(&self) {
        for p in spooled(&self.cfg.spool) {
            let body = match std::fs::read(&p) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!("elasticsearch: reading spool file {}: {e}", p.display());
                    continue;
                }
            };
            let mut bulk = Bulk { body, docs: 0 };
            bulk.docs = bulk.pairs().len() as u64;
            {
                let mut st = self.lock();
                if st.abandoned {
                    return;
                }
                st.inflight = vec![bulk];
                st.origin = Origin::Replay;
            }
            let until = Instant::now() + self.cfg.drain_timeout;
            match self.deliver(Origin::Replay, Some(until)) {
                Outcome::Done => {
                    if let Err(e) = std::fs::remove_file(&p) {
                        tracing::error!("elasticsearch: removing {}: {e}", p.display());
                    }
                    tracing::info!("elasticsearch: sent spool file {}", p.display());
                }
                Outcome::Abandoned => return,
                Outcome::GaveUp | Outcome::Blocked => {
                    // Keep what is left for the next run, and send the new documents.
                    let left: Vec<Bulk> = std::mem::take(&mut self.lock().inflight);
                    let mut rest = Bulk {
                        body: Vec::new(),
                        docs: 0,
                    };
                    for b in left.iter().rev() {
                        rest.body.extend_from_slice(&b.body);
                        rest.docs += b.docs;
                    }
                    if let Err(e) = write_atomic(&p, &rest.body) {
                        tracing::error!("elasticsearch: rewriting {}: {e}", p.display());
                    }
                    tracing::warn!(
                        "elasticsearch: spool file {} not sent; kept for the next run",
                        p.display()
                    );
                    return;
                }
            }
        }
    }

    /// Sends the pieces in `inflight` until none is left (`Done`), `finish` took over
    /// (`Abandoned`), the deadline passed (`GaveUp`), or, replaying, the cluster
    /// refuses for a reason not of the file's making (`Blocked`).
    fn deliver(&self, origin: Origin, until: Option<Instant>) -> Outcome {
        let mut pause = self.cfg.retry_pause;
        let mut next_url = 0usize;
        let mut warned = false;
        loop {
            let (piece, deadline) = {
                let st = self.lock();
                if st.abandoned {
                    return Outcome::Abandoned;
                }
                let Some(p) = st.inflight.last() else {
                    if warned {
                        tracing::info!("elasticsearch: sending again");
                    }
                    return Outcome::Done;
                };
                let deadline = match (st.deadline, until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                (p.clone(), deadline)
            };
            let timeout = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Outcome::GaveUp;
                    }
                    self.cfg.request_timeout.min(left)
                }
                None => self.cfg.request_timeout,
            };
            let url = &self.cfg.urls[next_url % self.cfg.urls.len()];
            let answer = self.post(url, &piece, timeout);
            let mut st = self.lock();
            if st.abandoned {
                return Outcome::Abandoned;
            }
            let mut wait = false;
            match answer {
                Answer::Items(items) => {
                    st.inflight.pop();
                    self.stats.bulks.fetch_add(1, Ordering::Relaxed);
                    let (retry, fixed) = self.sort_items(&mut st, origin, &piece, &items);
                    if retry.docs > 0 {
                        st.inflight.push(retry);
                        wait = true;
                    }
                    if fixed.docs > 0 {
                        st.inflight.push(fixed);
                    }
                    if !wait {
                        pause = self.cfg.retry_pause;
                    }
                }
                Answer::TooLarge => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    st.inflight.pop();
                    let pairs = piece.pairs();
                    if pairs.len() <= 1 && origin == Origin::Replay {
                        self.refuse_for_good(&piece, "HTTP 413 for a single document");
                    } else if pairs.len() <= 1 {
                        let why = serde_json::json!({"status": 413, "reason": "one document is larger than the cluster accepts (HTTP 413)"});
                        for (a, d) in pairs {
                            self.set_aside(&mut st, origin, a, d, &why);
                        }
                    } else {
                        self.stats.splits.fetch_add(1, Ordering::Relaxed);
                        let half = pairs.len() / 2;
                        // The first half is sent first: it is pushed last.
                        st.inflight
                            .push(Bulk::from_pairs(pairs[half..].iter().copied()));
                        st.inflight
                            .push(Bulk::from_pairs(pairs[..half].iter().copied()));
                    }
                }
                Answer::Refused(code, why) => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    match origin {
                        Origin::Live => {
                            st.inflight.pop();
                            if !st.refused_logged {
                                st.refused_logged = true;
                                tracing::error!(
                                    "elasticsearch refused a bulk request ({why}); it is kept in the spool (as are the next ones it refuses)"
                                );
                            }
                            self.spool(&piece);
                        }
                        Origin::Replay if code == 400 => {
                            st.inflight.pop();
                            self.refuse_for_good(&piece, &why);
                        }
                        Origin::Replay => {
                            tracing::error!("elasticsearch refused a spooled bulk request ({why})");
                            return Outcome::Blocked;
                        }
                    }
                }
                Answer::Retry(why) => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    next_url += 1;
                    if !warned {
                        tracing::warn!("elasticsearch: {why}; retrying");
                        warned = true;
                    }
                    wait = true;
                }
            }
            if wait {
                let end = Instant::now() + pause;
                let end = deadline.map_or(end, |d| d.min(end));
                // Sleep, but wake when the drain starts (its deadline may be sooner).
                while !st.abandoned && Instant::now() < end {
                    let before = st.deadline;
                    let left = end.saturating_duration_since(Instant::now());
                    st = self
                        .wake
                        .wait_timeout(st, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    if st.deadline != before {
                        break;
                    }
                }
                pause = (pause * 2).min(self.cfg.max_retry_pause);
            }
        }
    }

    /// Goes through a bulk answer's items: counts the accepted documents, returns
    /// those to send again after a pause and those fixed to send again now, and
    /// dead-letters (or, replaying, sets aside) the rest.
    fn sort_items(
        &self,
        st: &mut State,
        origin: Origin,
        piece: &Bulk,
        items: &[Value],
    ) -> (Bulk, Bulk) {
        let mut retry = Bulk {
            body: Vec::new(),
            docs: 0,
        };
        let mut fixed = Bulk {
            body: Vec::new(),
            docs: 0,
        };
        let mut accepted = 0u64;
        for ((action, doc), item) in piece.pairs().into_iter().zip(items) {
            match fate(item, doc) {
                Fate::Accepted => accepted += 1,
                Fate::Retry => {
                    self.stats.item_errors.fetch_add(1, Ordering::Relaxed);
                    self.stats.item_retries.fetch_add(1, Ordering::Relaxed);
                    retry.push(action, doc);
                }
                Fate::Fixed(doc, field) => {
                    self.stats.item_errors.fetch_add(1, Ordering::Relaxed);
                    self.stats.fields_removed.fetch_add(1, Ordering::Relaxed);
                    let index = serde_json::from_slice::<Value>(action)
                        .ok()
                        .and_then(|a| {
                            a.as_object()
                                .and_then(|o| o.values().next())
                                .and_then(|v| v["_index"].as_str().map(str::to_string))
                        })
                        .unwrap_or_default();
                    if st.fields_logged.insert((index.clone(), field.clone())) {
                        tracing::warn!(
                            "elasticsearch: index {index} refused field {field} ({}); sending such documents without it",
                            reason_of(&item_result(item)["error"])
                        );
                    }
                    fixed.push(action, &doc);
                }
                Fate::Dead(why) => {
                    self.stats.item_errors.fetch_add(1, Ordering::Relaxed);
                    self.set_aside(st, origin, action, doc, &why);
                }
            }
        }
        let counter = match origin {
            Origin::Live => &self.stats.sent_docs,
            Origin::Replay => &self.stats.replayed_docs,
        };
        counter.fetch_add(accepted, Ordering::Relaxed);
        (retry, fixed)
    }

    /// A document refused for good goes to the dead-letter file.
    fn set_aside(&self, st: &mut State, origin: Origin, action: &[u8], doc: &[u8], why: &Value) {
        let (ok, lost) = match origin {
            Origin::Live => (&self.stats.dead_lettered, &self.stats.lost_docs),
            Origin::Replay => (&self.stats.replay_dead_lettered, &self.stats.lost_docs),
        };
        match self.dead_letter(st, action, doc, why) {
            Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                tracing::error!(
                    "elasticsearch: could not write the dead-letter file in {}: {e}; a refused document is lost",
                    self.cfg.dead_letter.display()
                );
                lost.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    fn dead_letter(
        &self,
        st: &mut State,
        action: &[u8],
        doc: &[u8],
        why: &Value,
    ) -> std::io::Result<()> {
        if st.dead.is_none() {
            std::fs::create_dir_all(&self.cfg.dead_letter)?;
            let path = self.cfg.dead_letter.join(format!(
                "{}-{}.ndjson",
                now_millis(),
                std::process::id()
            ));
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            tracing::error!(
                "elasticsearch: the cluster refuses documents; they are written to {} ({})",
                path.display(),
                reason_of(why)
            );
            st.dead = Some((path, f));
        }
        let Some((_, f)) = st.dead.as_mut() else {
            return Err(std::io::Error::other("no dead-letter file"));
        };
        let mut rec = Vec::with_capacity(action.len() + doc.len() + 256);
        rec.extend_from_slice(action);
        rec.push(b'\n');
        rec.extend_from_slice(doc);
        rec.push(b'\n');
        rec.extend_from_slice(why.to_string().as_bytes());
        rec.push(b'\n');
        f.write_all(&rec)?;
        f.sync_data()
    }

    /// A spooled bulk the cluster refuses as a whole (400) goes to `refused/`.
    fn refuse_for_good(&self, piece: &Bulk, why: &str) {
        let dir = self.cfg.spool.join("refused");
        let name = spool_name();
        match std::fs::create_dir_all(&dir)
            .and_then(|_| write_atomic(&dir.join(&name), &piece.body))
        {
            Ok(()) => {
                self.stats
                    .replay_refused
                    .fetch_add(piece.docs, Ordering::Relaxed);
                tracing::error!(
                    "elasticsearch refused {} spooled documents for good ({why}); moved to {}",
                    piece.docs,
                    dir.join(name).display()
                );
            }
            Err(e) => {
                tracing::error!(
                    "elasticsearch refused {} spooled documents for good ({why}) and they could not be moved to {}: {e}; dropped",
                    piece.docs,
                    dir.display()
                );
                self.stats
                    .lost_docs
                    .fetch_add(piece.docs, Ordering::Relaxed);
            }
        }
    }

    /// Writes a bulk to the spool directory (counted), or counts it lost.
    fn spool(&self, bulk: &Bulk) {
        let dir = &self.cfg.spool;
        let path = dir.join(spool_name());
        let r = std::fs::create_dir_all(dir).and_then(|_| write_atomic(&path, &bulk.body));
        match r {
            Ok(()) => {
                self.own_spool
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back((path, bulk.docs));
                self.stats.spooled.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .spooled_docs
                    .fetch_add(bulk.docs, Ordering::Relaxed);
            }
            Err(e) => {
                self.stats.lost_docs.fetch_add(bulk.docs, Ordering::Relaxed);
                tracing::error!(
                    "elasticsearch: could not spool {} documents to {}: {e}; they are lost",
                    bulk.docs,
                    dir.display()
                );
            }
        }
    }

    fn post(&self, url: &str, bulk: &Bulk, timeout: Duration) -> Answer {
        let mut req = self
            .agent
            .post(&format!("{url}/_bulk"))
            .timeout(timeout)
            .set("Content-Type", "application/x-ndjson");
        if let Some(a) = &self.cfg.auth {
            req = req.set("Authorization", a);
        }
        let r = if bulk.body.len() > GZIP_OVER {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let z = gz.write_all(&bulk.body).and_then(|_| gz.finish());
            match z {
                Ok(z) => req.set("Content-Encoding", "gzip").send_bytes(&z),
                Err(_) => req.send_bytes(&bulk.body),
            }
        } else {
            req.send_bytes(&bulk.body)
        };
        match r {
            Ok(resp) => {
                let mut text = Vec::new();
                if let Err(e) = resp.into_reader().read_to_end(&mut text) {
                    return Answer::Retry(format!("{url}: the answer was cut short: {e}"));
                }
                bulk_items(&text, bulk.docs)
                    .map_or_else(|why| Answer::Retry(format!("{url}: {why}")), Answer::Items)
            }
            Err(ureq::Error::Status(413, _)) => Answer::TooLarge,
            Err(ureq::Error::Status(code, resp)) if code == 429 || code >= 500 => {
                Answer::Retry(format!("{url}: HTTP {code} {}", resp.status_text()))
            }
            Err(ureq::Error::Status(code, resp)) => Answer::Refused(
                code,
                format!(
                    "{url}: HTTP {code}: {}",
                    resp.into_string()
                        .unwrap_or_default()
                        .chars()
                        .take(QUOTE)
                        .collect::<String>()
                ),
            ),
            Err(e) => Answer::Retry(format!("{url}: {e}")),
        }
    }
}

enum Outcome {
    Done,
    Abandoned,
    GaveUp,
    Blocked,
}

/// The items of a bulk answer, if `text` is one for `docs` documents.
fn bulk_items(text: &[u8], docs: u64) -> Result<Vec<Value>, String> {
    let quote = || {
        String::from_utf8_lossy(&text[..text.len().min(QUOTE)])
            .replace('\n', " ")
            .to_string()
    };
    let v: Value = serde_json::from_slice(text)
        .map_err(|e| format!("the answer is not JSON ({e}): {}", quote()))?;
    let Some(Value::Array(items)) = v.get("items").cloned() else {
        return Err(format!("the answer is not a bulk answer: {}", quote()));
    };
    if items.len() as u64 != docs {
        return Err(format!(
            "the bulk answer has {} items for {docs} documents",
            items.len()
        ));
    }
    if items
        .iter()
        .any(|i| item_result(i)["status"].as_u64().is_none())
    {
        return Err(format!(
            "an item of the bulk answer has no status: {}",
            quote()
        ));
    }
    Ok(items)
}

/// `{"index": {...}}` (or create, update…) → the inner object.
fn item_result(item: &Value) -> &Value {
    item.as_object()
        .and_then(|o| o.values().next())
        .unwrap_or(&Value::Null)
}

/// The reasons of an error and of its causes, joined.
fn reason_of(err: &Value) -> String {
    let mut out = Vec::new();
    let mut e = err;
    for _ in 0..8 {
        if let Some(r) = e["reason"].as_str() {
            let t = e["type"].as_str().unwrap_or("");
            out.push(if t.is_empty() {
                r.to_string()
            } else {
                format!("{t}: {r}")
            });
        }
        if e["caused_by"].is_object() {
            e = &e["caused_by"];
        } else {
            break;
        }
    }
    if out.is_empty() {
        err.to_string()
    } else {
        out.join("; caused by ")
    }
}

/// Field names a mapping error names: `failed to parse field [x]`, `failed to parse
/// [x]`, `mapper [x]`, `object mapping for [x]`, `field [x]`, `dynamic introduction
/// of [x]` (a strict mapping).
fn fields_named(reason: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in reason.match_indices('[') {
        let before = &reason[..i];
        if [
            "field ",
            "parse ",
            "mapper ",
            "mapping for ",
            "introduction of ",
        ]
        .iter()
        .any(|m| before.ends_with(m))
        {
            if let Some(end) = reason[i + 1..].find(']') {
                let f = &reason[i + 1..i + 1 + end];
                if !f.is_empty() && !out.iter().any(|o| o == f) {
                    out.push(f.to_string());
                }
            }
        }
    }
    out
}

/// Removes `path` from a document: the key as written (dotted), or the same path
/// through nested objects (and arrays of objects). True when something was removed.
fn remove_field(v: &mut Value, path: &str) -> bool {
    match v {
        Value::Object(obj) => {
            if obj.remove(path).is_some() {
                return true;
            }
            let mut removed = false;
            for (i, _) in path.match_indices('.') {
                if let Some(child) = obj.get_mut(&path[..i]) {
                    removed |= remove_field(child, &path[i + 1..]);
                }
            }
            removed
        }
        Value::Array(a) => {
            let mut removed = false;
            for e in a {
                removed |= remove_field(e, path);
            }
            removed
        }
        _ => false,
    }
}

fn fate(item: &Value, doc: &[u8]) -> Fate {
    let r = item_result(item);
    let status = r["status"].as_u64().unwrap_or(0);
    if (200..300).contains(&status) {
        return Fate::Accepted;
    }
    let err = &r["error"];
    let kind = err["type"].as_str().unwrap_or("");
    if status == 429 || status >= 500 || kind == "es_rejected_execution_exception" {
        return Fate::Retry;
    }
    let why = serde_json::json!({"status": status, "error": err, "reason": reason_of(err)});
    if status == 400 {
        let mut reasons = String::new();
        let mut e = err;
        for _ in 0..8 {
            reasons.push_str(e["reason"].as_str().unwrap_or(""));
            reasons.push(' ');
            if !e["caused_by"].is_object() {
                break;
            }
            e = &e["caused_by"];
        }
        if let Ok(mut body) = serde_json::from_slice::<Value>(doc) {
            for f in fields_named(&reasons) {
                if remove_field(&mut body, &f) {
                    return Fate::Fixed(body.to_string().into_bytes(), f);
                }
            }
        }
    }
    Fate::Dead(why)
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A new spool file name: time, process, sequence (so they sort oldest first).
fn spool_name() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    format!(
        "{:013}-{}-{:06}.ndjson",
        now_millis(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes a file whole or not at all (a temporary file renamed), synced.
fn write_atomic(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(body)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Spooled bulks from earlier runs, oldest first.
fn spooled(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ndjson"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_named_in_mapping_errors() {
        assert_eq!(
            fields_named("failed to parse field [http.statuscode] of type [long] in document with id 'x'. Preview of field's value: 'abc'"),
            ["http.statuscode"]
        );
        assert_eq!(fields_named("[1:42] failed to parse [a.b]"), ["a.b"]);
        assert_eq!(
            fields_named("mapper [dns.host] cannot be changed from type [keyword] to [long]"),
            ["dns.host"]
        );
        assert!(fields_named("Limit of total fields [1000] has been exceeded").is_empty());
        assert_eq!(
            fields_named(
                "mapping set to strict, dynamic introduction of [zz] within [_doc] is not allowed"
            ),
            ["zz"]
        );
    }

    #[test]
    fn remove_dotted_or_nested() {
        let mut v: Value =
            serde_json::from_str(r#"{"http":{"statuscode":[200],"method":["GET"]},"a.b":1}"#)
                .unwrap();
        assert!(remove_field(&mut v, "http.statuscode"));
        assert!(remove_field(&mut v, "a.b"));
        assert!(!remove_field(&mut v, "http.nothing"));
        assert_eq!(v.to_string(), r#"{"http":{"method":["GET"]}}"#);
        let mut v: Value = serde_json::from_str(r#"{"cert":[{"cn":1,"o":2},{"cn":3}]}"#).unwrap();
        assert!(remove_field(&mut v, "cert.cn"));
        assert_eq!(v.to_string(), r#"{"cert":[{"o":2},{}]}"#);
    }

    #[test]
    fn only_bulk_answers_count() {
        assert!(bulk_items(b"<html>ok</html>", 1).is_err());
        assert!(bulk_items(br#"{"errors":false}"#, 1).is_err());
        assert!(bulk_items(br#"{"errors":false,"items":[]}"#, 1).is_err());
        assert!(bulk_items(br#"{"errors":false,"items":[{"index":{"status":201}}]"#, 1).is_err());
        assert_eq!(
            bulk_items(br#"{"errors":false,"items":[{"index":{"status":201}}]}"#, 1)
                .unwrap()
                .len(),
            1
        );
    }
}
