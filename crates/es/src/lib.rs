//! Session documents to Elasticsearch/OpenSearch, as Arkime's capture sends them: the
//! `sessions3` bulk lines (`{"index":{"_index":…,"_id":…}}` then the body) batched up
//! to `dbBulkSize` bytes or 5 seconds, POSTed to `<url>/_bulk`, gzip-compressed when
//! longer than 860 bytes, round-robin over the `elasticsearch=` URLs.
//!
//! Where Arkime drops documents when the cluster is away, this keeps them: a bulk that
//! fails (connection error, 429, 5xx) is retried with backoff on the next URL; bulks
//! waiting beyond what memory allows, and those still unsent when the capture ends,
//! are written to `<dataDir>/es-spool/` and sent first by the next capture. Items a
//! bulk answer reports as failed are counted and the first error logged.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use trawl_output::{Doc, DocOutput};

/// A bulk body and the number of documents in it.
type Bulk = (Vec<u8>, u64);

/// Bulks kept in memory while the cluster does not answer, before spooling.
const QUEUE: usize = 64;
/// Bodies at least this long are sent gzip-compressed (Arkime's threshold).
const GZIP_OVER: usize = 860;

/// Where and how to send.
#[derive(Clone, Debug)]
pub struct EsConfig {
    /// Base URLs (`elasticsearch=`, comma-separated in the config).
    pub urls: Vec<String>,
    /// Bytes per bulk request (`dbBulkSize`).
    pub bulk_size: usize,
    /// A bulk is sent at least this often while documents arrive.
    pub flush_every: Duration,
    /// `Authorization` header value (from `elasticsearchBasicAuth` or `elasticsearchAPIKey`).
    pub auth: Option<String>,
    /// Spool directory for bulks that could not be sent.
    pub spool: PathBuf,
    /// How long `finish` keeps trying before spooling what is left.
    pub drain_timeout: Duration,
}

impl EsConfig {
    /// A config for `elasticsearch=` as written (`,`-separated URLs, optional scheme;
    /// `user:pass@` in a URL becomes basic auth unless `auth` is given).
    pub fn new(elasticsearch: &str, data_dir: &Path) -> EsConfig {
        let mut auth = None;
        let urls = elasticsearch
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| {
                let u = if u.contains("://") {
                    u.to_string()
                } else {
                    format!("http://{u}")
                };
                let (scheme, rest) = u.split_once("://").unwrap_or(("http", &u));
                match rest.split_once('@') {
                    Some((cred, host)) if !cred.contains('/') => {
                        use base64::Engine;
                        auth = Some(format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD.encode(cred)
                        ));
                        format!("{scheme}://{}", host.trim_end_matches('/'))
                    }
                    _ => u.trim_end_matches('/').to_string(),
                }
            })
            .collect();
        EsConfig {
            urls,
            bulk_size: 1_000_000,
            flush_every: Duration::from_secs(5),
            auth,
            spool: data_dir.join("es-spool"),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Counters of what happened to the documents.
#[derive(Debug, Default)]
pub struct EsStats {
    /// Documents accepted by the cluster.
    pub sent_docs: AtomicU64,
    /// Bulk requests that succeeded.
    pub bulks: AtomicU64,
    /// Attempts that failed (and were retried or spooled).
    pub failures: AtomicU64,
    /// Items a bulk answer reported as failed.
    pub item_errors: AtomicU64,
    /// Bulks written to the spool.
    pub spooled: AtomicU64,
}

struct Buffer {
    body: Vec<u8>,
    docs: u64,
    since: Instant,
}

/// The output: documents are appended to a buffer under a lock; full buffers go to a
/// sender thread.
pub struct EsOutput {
    cfg: EsConfig,
    buf: Mutex<Buffer>,
    tx: Mutex<Option<Sender<Bulk>>>,
    sender: Mutex<Option<std::thread::JoinHandle<()>>>,
    ticker: Mutex<Option<std::thread::JoinHandle<()>>>,
    stop_tick: Mutex<Option<Sender<()>>>,
    /// Counters.
    pub stats: Arc<EsStats>,
}

impl EsOutput {
    /// Starts the sender thread (which first sends what an earlier run spooled) and
    /// the 5-second flusher.
    pub fn start(cfg: EsConfig) -> std::io::Result<Arc<EsOutput>> {
        if cfg.urls.is_empty() {
            return Err(std::io::Error::other("elasticsearch: no URL"));
        }
        let (tx, rx) = bounded::<Bulk>(QUEUE);
        let stats = Arc::new(EsStats::default());
        let sender = {
            let cfg = cfg.clone();
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name("trawl-es".into())
                .spawn(move || sender_loop(&cfg, &rx, &stats))?
        };
        let out = Arc::new(EsOutput {
            buf: Mutex::new(Buffer {
                body: Vec::with_capacity(cfg.bulk_size + 4096),
                docs: 0,
                since: Instant::now(),
            }),
            cfg,
            tx: Mutex::new(Some(tx)),
            sender: Mutex::new(Some(sender)),
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

    fn hand_off(&self, body: Vec<u8>, docs: u64) {
        let Ok(tx) = self.tx.lock() else { return };
        let Some(tx) = tx.as_ref() else { return };
        match tx.try_send((body, docs)) {
            Ok(()) => {}
            // The cluster is too slow or away and memory holds enough: keep it on disk.
            Err(TrySendError::Full((body, _))) => spool(&self.cfg.spool, &body, &self.stats),
            Err(TrySendError::Disconnected((body, _))) => {
                spool(&self.cfg.spool, &body, &self.stats)
            }
        }
    }

    fn take(&self, force: bool) -> Option<Bulk> {
        let mut b = self.buf.lock().ok()?;
        if b.docs == 0 || !(force || b.since.elapsed() >= self.cfg.flush_every) {
            return None;
        }
        let body = std::mem::replace(&mut b.body, Vec::with_capacity(self.cfg.bulk_size + 4096));
        let docs = std::mem::take(&mut b.docs);
        b.since = Instant::now();
        Some((body, docs))
    }

    fn flush_if_old(&self) {
        if let Some((body, docs)) = self.take(false) {
            self.hand_off(body, docs);
        }
    }
}

impl DocOutput for EsOutput {
    fn emit(&self, doc: Doc) {
        let full = {
            let Ok(mut b) = self.buf.lock() else { return };
            if b.docs == 0 {
                b.since = Instant::now();
            }
            b.body.extend_from_slice(doc.header().as_bytes());
            b.body.push(b'\n');
            b.body.extend_from_slice(doc.body.as_bytes());
            b.body.push(b'\n');
            b.docs += 1;
            b.body.len() >= self.cfg.bulk_size
        };
        if full {
            if let Some((body, docs)) = self.take(true) {
                self.hand_off(body, docs);
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
        if let Some((body, docs)) = self.take(true) {
            self.hand_off(body, docs);
        }
        // Closing the channel lets the sender drain, then end.
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(h) = self.sender.lock().ok().and_then(|mut h| h.take()) {
            let _ = h.join();
        }
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let s = &self.stats;
        tracing::info!(
            "elasticsearch: {} documents in {} bulk requests{}{}{}",
            n(&s.sent_docs),
            n(&s.bulks),
            match n(&s.failures) {
                0 => String::new(),
                f => format!(", {f} failed attempts retried"),
            },
            match n(&s.item_errors) {
                0 => String::new(),
                f => format!(", {f} documents refused by the cluster"),
            },
            match n(&s.spooled) {
                0 => String::new(),
                f => format!(
                    ", {f} bulks kept in {} for the next run",
                    self.cfg.spool.display()
                ),
            },
        );
    }
}

/// Writes a bulk body to the spool directory.
fn spool(dir: &Path, body: &[u8], stats: &EsStats) {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "{}-{}-{}.ndjson",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let r = std::fs::create_dir_all(dir).and_then(|_| {
        let tmp = dir.join(format!("{name}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))
    });
    match r {
        Ok(()) => {
            stats.spooled.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => tracing::error!(
            "elasticsearch: could not spool {} bytes of documents to {}: {e}; they are lost",
            body.len(),
            dir.display()
        ),
    }
}

/// Spooled bulks from earlier runs, oldest first.
fn spooled(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

enum Sent {
    Ok,
    /// Worth trying again (no connection, 429, 5xx).
    Retry(String),
    /// The cluster refused the request itself (4xx): retrying will not help.
    Refused(String),
}

fn post(cfg: &EsConfig, url: &str, body: &[u8], stats: &EsStats) -> Sent {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let mut req = agent
        .post(&format!("{url}/_bulk"))
        .set("Content-Type", "application/x-ndjson");
    if let Some(a) = &cfg.auth {
        req = req.set("Authorization", a);
    }
    let r = if body.len() > GZIP_OVER {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = gz.write_all(body);
        let z = gz.finish().unwrap_or_default();
        req.set("Content-Encoding", "gzip").send_bytes(&z)
    } else {
        req.send_bytes(body)
    };
    match r {
        Ok(resp) => {
            let text = resp.into_string().unwrap_or_default();
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                if v["errors"] == true {
                    let items = v["items"].as_array().map_or(&[][..], Vec::as_slice);
                    let bad: Vec<&serde_json::Value> = items
                        .iter()
                        .filter(|i| {
                            i["index"]["error"].is_object() || i["create"]["error"].is_object()
                        })
                        .collect();
                    if stats
                        .item_errors
                        .fetch_add(bad.len() as u64, Ordering::Relaxed)
                        == 0
                    {
                        if let Some(b) = bad.first() {
                            tracing::error!("elasticsearch refused a document: {b}");
                        }
                    }
                }
            }
            Sent::Ok
        }
        Err(ureq::Error::Status(code, resp)) if code == 429 || code >= 500 => {
            Sent::Retry(format!("{url}: HTTP {code} {}", resp.status_text()))
        }
        Err(ureq::Error::Status(code, resp)) => Sent::Refused(format!(
            "{url}: HTTP {code}: {}",
            resp.into_string()
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect::<String>()
        )),
        Err(e) => Sent::Retry(format!("{url}: {e}")),
    }
}

fn count_docs(body: &[u8]) -> u64 {
    (body.iter().filter(|&&c| c == b'\n').count() / 2) as u64
}

/// Sends `body` until it is accepted, trying the URLs in turn with a growing pause;
/// gives up (false) when `deadline` passes.
fn deliver(
    cfg: &EsConfig,
    body: &[u8],
    docs: u64,
    next: &mut usize,
    stats: &EsStats,
    deadline: Option<Instant>,
) -> bool {
    let mut pause = Duration::from_millis(200);
    let mut warned = false;
    loop {
        let url = &cfg.urls[*next % cfg.urls.len()];
        match post(cfg, url, body, stats) {
            Sent::Ok => {
                stats.sent_docs.fetch_add(docs, Ordering::Relaxed);
                stats.bulks.fetch_add(1, Ordering::Relaxed);
                if warned {
                    tracing::info!("elasticsearch: sending again");
                }
                return true;
            }
            Sent::Refused(why) => {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    "elasticsearch refused a bulk request ({why}); keeping it in the spool"
                );
                return false;
            }
            Sent::Retry(why) => {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                *next += 1;
                if !warned {
                    tracing::warn!("elasticsearch: {why}; retrying");
                    warned = true;
                }
            }
        }
        if deadline.is_some_and(|d| Instant::now() + pause > d) {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

fn sender_loop(cfg: &EsConfig, rx: &Receiver<Bulk>, stats: &EsStats) {
    let mut next = 0usize;
    // What an earlier run could not send goes first.
    for p in spooled(&cfg.spool) {
        let Ok(body) = std::fs::read(&p) else {
            continue;
        };
        let deadline = Some(Instant::now() + cfg.drain_timeout);
        if deliver(cfg, &body, count_docs(&body), &mut next, stats, deadline) {
            let _ = std::fs::remove_file(&p);
            tracing::info!("elasticsearch: sent spooled {}", p.display());
        } else {
            break;
        }
    }
    let mut draining_since: Option<Instant> = None;
    while let Ok((body, docs)) = rx.recv() {
        // While the capture runs, keep trying; once it ends (the channel is closed
        // and empty soon), give up after the drain timeout and spool.
        let deadline = draining_since.map(|s| s + cfg.drain_timeout);
        if !deliver(
            cfg,
            &body,
            docs,
            &mut next,
            stats,
            deadline.or(Some(Instant::now() + cfg.drain_timeout)),
        ) {
            spool(&cfg.spool, &body, stats);
            draining_since.get_or_insert_with(Instant::now);
            // Everything still queued goes to the spool without more waiting.
            while let Ok((b, _)) = rx.try_recv() {
                spool(&cfg.spool, &b, stats);
            }
        }
    }
}
