//! Node stats of a capture: every 2 seconds (as Arkime) the node's current `stats`
//! document, with Arkime's field names, is written to `<dataDir>/stats/<node>.json`
//! (read by `trawl serve`'s `/api/stats`), and each minute a `dstats` document is
//! appended to `<dataDir>/stats/<node>-dstats.jsonl`; with Elasticsearch they go to
//! its `stats` index (id: the node) and `dstats` index too, the latter every 5, 60 and
//! 600 seconds with Arkime's ids (`<node>-<(seconds / interval) % 1440>-<interval>`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Counters the readers and the capture update while running.
#[derive(Debug, Default)]
pub struct Counters {
    /// Packets read from the interfaces.
    pub packets: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
    /// Packets the kernel dropped (running total from the sources).
    pub kernel_dropped: AtomicU64,
    /// Packets dropped because a packet thread's queue was full.
    pub overload_dropped: AtomicU64,
    /// Session documents saved by the packet threads (as they last reported).
    pub sessions: AtomicU64,
}

/// Writes the stats documents of one node.
pub struct StatsWriter {
    /// Where the documents also go (Elasticsearch's `stats` and `dstats` indices).
    out: Option<(std::sync::Arc<dyn trawl_output::DocOutput>, String)>,
    dir: PathBuf,
    node: String,
    /// The `hostname` of the documents (Arkime's `--host`, else the machine's name).
    host: String,
    pcap_dir: PathBuf,
    start: u64,
    last: (Instant, u64, u64, u64, u64, u64),
    /// When a dstats document of each of [`DSTATS`] went last.
    last_dstats: [Instant; 3],
}

/// The intervals (seconds) of Arkime's dstats documents.
pub const DSTATS: [u64; 3] = [5, 60, 600];

/// The id of a dstats document of `interval` at `secs`, as Arkime's capture makes it:
/// the slot cycles through 1440 per interval, so old documents are overwritten.
pub fn dstats_id(node: &str, secs: u64, interval: u64) -> String {
    format!("{node}-{}-{interval}", (secs / interval.max(1)) % 1440)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Resident memory in bytes and total CPU ticks of this process, from /proc.
fn proc_self() -> (u64, u64) {
    let page = 4096u64;
    let rss = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |p| p * page);
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    (rss, cpu)
}

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            l.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |k| k * 1024)
}

/// Used and free MiB of the file system holding `p`.
fn disk(p: &Path) -> (u64, u64) {
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else {
        return (0, 0);
    };
    // SAFETY: statvfs is plain data, filled by the call for a NUL-terminated path.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid path string and `s` writable.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return (0, 0);
    }
    let bs = s.f_frsize as u64;
    let total = s.f_blocks as u64 * bs;
    let free = s.f_bavail as u64 * bs;
    (total.saturating_sub(free) >> 20, free >> 20)
}

impl StatsWriter {
    /// A writer for `node` under `data_dir`.
    pub fn new(data_dir: &Path, node: &str, pcap_dir: PathBuf) -> Self {
        let now = Instant::now();
        StatsWriter {
            out: None,
            dir: data_dir.join("stats"),
            node: node.to_string(),
            host: super::commands::setup::default_node_name(),
            pcap_dir,
            start: now_ms() / 1000,
            last: (now, 0, 0, 0, 0, 0),
            last_dstats: [now; 3],
        }
    }

    /// The host name the documents give (Arkime's `--host`: what remote viewers use
    /// to reach this node).
    pub fn set_host(&mut self, host: &str) {
        self.host = host.to_string();
    }

    /// Also sends the documents to `out`, into `<prefix>stats` (id: the node) and
    /// `<prefix>dstats` (id: node-interval-time), as Arkime does.
    pub fn send_to(&mut self, out: std::sync::Arc<dyn trawl_output::DocOutput>, prefix: &str) {
        self.out = Some((out, prefix.to_string()));
    }

    /// Writes the current documents from `c`; `sessions` is the number open now.
    pub fn write(&mut self, c: &Counters, sessions: u64, interval: u64) -> std::io::Result<()> {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (packets, bytes, kdrop, odrop) = (
            get(&c.packets),
            get(&c.bytes),
            get(&c.kernel_dropped),
            get(&c.overload_dropped),
        );
        let saved = get(&c.sessions);
        let (t0, p0, b0, k0, o0, s0) = self.last;
        let (rss, cpu) = proc_self();
        let (used, free) = disk(&self.pcap_dir);
        let total = mem_total().max(1);
        let doc = serde_json::json!({
            "ver": env!("CARGO_PKG_VERSION"),
            "nodeName": self.node,
            "hostname": self.host,
            "interval": interval,
            "currentTime": now_ms() / 1000,
            "startTime": self.start,
            "usedSpaceM": used,
            "freeSpaceM": free,
            "freeSpaceP": if used + free > 0 { free as f64 * 100.0 / (used + free) as f64 } else { 0.0 },
            "monitoring": sessions,
            "memory": rss,
            "memoryP": rss as f64 * 100.0 / total as f64,
            "cpu": cpu,
            "totalPackets": packets,
            "totalK": bytes / 1000,
            "totalDropped": kdrop + odrop,
            "totalSessions": saved,
            "deltaSessions": saved.saturating_sub(s0),
            "deltaPackets": packets - p0,
            "deltaBytes": bytes - b0,
            "deltaDropped": kdrop - k0,
            "deltaOverloadDropped": odrop - o0,
            "deltaMS": t0.elapsed().as_millis() as u64,
        });
        self.last = (Instant::now(), packets, bytes, kdrop, odrop, saved);
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!("{}.json.tmp", self.node));
        std::fs::write(&tmp, serde_json::to_vec(&doc)?)?;
        std::fs::rename(&tmp, self.dir.join(format!("{}.json", self.node)))?;
        if let Some((out, prefix)) = &self.out {
            out.emit(trawl_output::Doc {
                index: format!("{prefix}stats"),
                id: Some(self.node.clone()),
                body: doc.to_string(),
            });
        }
        for (i, interval) in DSTATS.into_iter().enumerate() {
            if self.last_dstats[i].elapsed().as_secs() < interval {
                continue;
            }
            self.last_dstats[i] = Instant::now();
            let mut d = doc.clone();
            d["interval"] = interval.into();
            if interval == 60 {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.join(format!("{}-dstats.jsonl", self.node)))?;
                writeln!(f, "{d}")?;
            }
            if let Some((out, prefix)) = &self.out {
                out.emit(trawl_output::Doc {
                    index: format!("{prefix}dstats"),
                    id: Some(dstats_id(&self.node, now_ms() / 1000, interval)),
                    body: d.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// A thread writing the stats documents of an offline capture every 2 s from the
/// counters the reader keeps, until [`StatsThread::stop`] writes the last one.
pub struct StatsThread {
    stop: crossbeam_channel::Sender<()>,
    handle: std::thread::JoinHandle<()>,
}

impl StatsThread {
    /// Starts it.
    pub fn start(mut w: StatsWriter, counters: std::sync::Arc<Counters>) -> std::io::Result<Self> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        let handle = std::thread::Builder::new()
            .name("trawl-stats".into())
            .spawn(move || {
                let mut warned = false;
                loop {
                    let done = !matches!(
                        stopped.recv_timeout(std::time::Duration::from_secs(2)),
                        Err(crossbeam_channel::RecvTimeoutError::Timeout)
                    );
                    if let Err(e) = w.write(&counters, 0, 2) {
                        if !warned {
                            tracing::warn!("writing the stats documents: {e}");
                            warned = true;
                        }
                    }
                    if done {
                        return;
                    }
                }
            })?;
        Ok(StatsThread { stop, handle })
    }

    /// Writes the last document and ends the thread.
    pub fn stop(self) {
        drop(self.stop);
        let _ = self.handle.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Collect(Mutex<Vec<trawl_output::Doc>>);

    impl trawl_output::DocOutput for Collect {
        fn emit(&self, doc: trawl_output::Doc) {
            self.0.lock().unwrap().push(doc);
        }
    }

    #[test]
    fn stats_and_dstats_as_arkime_names_them() {
        assert_eq!(dstats_id("n1", 1_000_000, 5), "n1-1280-5");
        assert_eq!(dstats_id("n1", 1_000_000, 60), "n1-826-60");
        assert_eq!(dstats_id("n1", 1_000_000, 600), "n1-226-600");
        let dir = tempfile::tempdir().unwrap();
        let out = Arc::new(Collect::default());
        let mut w = StatsWriter::new(dir.path(), "n1", dir.path().to_path_buf());
        w.send_to(
            Arc::clone(&out) as Arc<dyn trawl_output::DocOutput>,
            "arkime_",
        );
        let c = Counters::default();
        c.packets.store(7, Ordering::Relaxed);
        // Nothing but the stats document until an interval has passed.
        w.write(&c, 3, 2).unwrap();
        assert_eq!(out.0.lock().unwrap().len(), 1);
        let long_ago = Instant::now()
            .checked_sub(std::time::Duration::from_secs(700))
            .unwrap();
        w.last_dstats = [long_ago; 3];
        w.write(&c, 3, 2).unwrap();
        let docs = out.0.lock().unwrap();
        assert_eq!(docs.len(), 5);
        assert_eq!(docs[0].index, "arkime_stats");
        assert_eq!(docs[0].id.as_deref(), Some("n1"));
        for (d, interval) in docs[2..].iter().zip(DSTATS) {
            assert_eq!(d.index, "arkime_dstats");
            let id = d.id.clone().unwrap();
            assert!(
                id.starts_with("n1-") && id.ends_with(&format!("-{interval}")),
                "{id}"
            );
            let b: serde_json::Value = serde_json::from_str(&d.body).unwrap();
            assert_eq!(b["interval"], interval);
            assert_eq!(b["totalPackets"], 7);
            assert_eq!(b["monitoring"], 3);
        }
        // The minute's document is kept under dataDir too.
        let local = std::fs::read_to_string(dir.path().join("stats/n1-dstats.jsonl")).unwrap();
        assert_eq!(local.lines().count(), 1);
    }
}
