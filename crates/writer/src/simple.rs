//! Arkime's simple writer: each packet thread writes its own pcap file
//! (`<pcapDir>/<node>-<YYMMDD>-<num, 8 digits>.pcap`), fills a buffer of
//! `pcapWriteSize` bytes and hands it to the writer thread, which does the file I/O.
//! A packet's position is known when it is queued (the offset of its record header),
//! so the packet thread never waits for the disk. Files rotate at `maxFileSizeG` or
//! `maxFileTimeM`, and when the link type changes (a file has one link type).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};
use trawl_packet::Packet;
use trawl_session::{PacketWriter, Session};

use crate::files::{FileInfo, FilesRegistry};

/// Opens a file for writing (a seam for tests that need a disk that fails).
pub type Opener = Box<dyn Fn(&Path) -> std::io::Result<Box<dyn Write + Send>> + Send>;

/// The default opener: creates the file (and its directory).
pub fn create_file(path: &Path) -> std::io::Result<Box<dyn Write + Send>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    Ok(Box::new(std::fs::File::create(path)?))
}

/// Settings of the simple writer.
#[derive(Clone, Debug)]
pub struct SimpleConfig {
    /// `pcapDir`: files go round-robin over these.
    pub dirs: Vec<PathBuf>,
    /// Node name.
    pub node: String,
    /// `maxFileSizeG` in bytes.
    pub max_file_size: u64,
    /// `maxFileTimeM`, if set.
    pub max_file_time: Option<Duration>,
    /// `pcapWriteSize`: bytes buffered before a write.
    pub write_size: usize,
    /// `gapPacketPos`: recorded in the file documents.
    pub gap_packet_pos: bool,
}

/// Work for the writer thread.
enum Job {
    Open { info: FileInfo },
    Data { num: u32, bytes: Vec<u8> },
    Close { info: FileInfo },
}

/// Writer thread counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Files opened.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Files on which a write failed (disk full, ...).
    pub write_errors: u64,
    /// Bytes not written because their file had failed.
    pub dropped_bytes: u64,
}

/// The writer thread: file I/O for every packet thread's simple writer.
pub struct WriterThread {
    tx: Sender<Job>,
    handle: std::thread::JoinHandle<WriterStats>,
}

fn run(rx: Receiver<Job>, registry: Arc<FilesRegistry>, open: Opener) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut files: HashMap<u32, (PathBuf, Box<dyn Write + Send>)> = HashMap::new();
    let mut failed: HashSet<u32> = HashSet::new();
    for job in rx {
        match job {
            Job::Open { info } => {
                let path = PathBuf::from(&info.name);
                match open(&path) {
                    Ok(f) => {
                        stats.files += 1;
                        files.insert(info.num, (path, f));
                    }
                    Err(e) => {
                        tracing::error!("cannot create pcap file {}: {e}; its packets are not written (SPI data continues)", path.display());
                        stats.write_errors += 1;
                        failed.insert(info.num);
                    }
                }
                if let Err(e) = registry.put(&info) {
                    tracing::error!("{e}");
                }
            }
            Job::Data { num, bytes } => {
                if failed.contains(&num) {
                    stats.dropped_bytes += bytes.len() as u64;
                    continue;
                }
                let Some((path, f)) = files.get_mut(&num) else {
                    continue;
                };
                match f.write_all(&bytes) {
                    Ok(()) => stats.bytes += bytes.len() as u64,
                    Err(e) => {
                        tracing::error!(
                            "writing {} failed: {e}; no more packets go to it (SPI data continues)",
                            path.display()
                        );
                        stats.write_errors += 1;
                        stats.dropped_bytes += bytes.len() as u64;
                        failed.insert(num);
                    }
                }
            }
            Job::Close { info } => {
                if let Some((path, mut f)) = files.remove(&info.num) {
                    if let Err(e) = f.flush() {
                        tracing::error!("closing {} failed: {e}", path.display());
                        stats.write_errors += 1;
                    }
                }
                if let Err(e) = registry.put(&info) {
                    tracing::error!("{e}");
                }
            }
        }
    }
    stats
}

impl WriterThread {
    /// Starts the writer thread with a queue of at most `queue` buffers (`simpleMaxQ`).
    pub fn start(
        registry: Arc<FilesRegistry>,
        open: Opener,
        queue: usize,
    ) -> std::io::Result<Self> {
        let (tx, rx) = bounded(queue.max(1));
        let handle = std::thread::Builder::new()
            .name("trawl-simple".into())
            .spawn(move || run(rx, registry, open))?;
        Ok(WriterThread { tx, handle })
    }

    /// Waits for every queued write (all writers must be finished and dropped first).
    pub fn finish(self) -> WriterStats {
        drop(self.tx);
        self.handle.join().unwrap_or_default()
    }
}

struct Current {
    info: FileInfo,
    pos: u64,
    packets: u64,
    linktype: u32,
    opened: Instant,
}

/// One packet thread's writer.
pub struct SimpleWriter {
    cfg: Arc<SimpleConfig>,
    registry: Arc<FilesRegistry>,
    tx: Sender<Job>,
    cur: Option<Current>,
    buf: Vec<u8>,
    thread: usize,
}

fn pcap_header(linktype: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
    h[20..24].copy_from_slice(&linktype.to_le_bytes());
    h
}

impl SimpleWriter {
    /// A writer for packet thread `thread`.
    pub fn new(
        cfg: Arc<SimpleConfig>,
        registry: Arc<FilesRegistry>,
        writer: &WriterThread,
        thread: usize,
    ) -> Self {
        let cap = cfg.write_size + 0x10000 + 16;
        SimpleWriter {
            cfg,
            registry,
            tx: writer.tx.clone(),
            cur: None,
            buf: Vec::with_capacity(cap),
            thread,
        }
    }

    fn send(&self, job: Job) {
        // Offline and live alike wait for the writer rather than lose the buffer; the
        // queue bound keeps memory in check.
        let _ = self.tx.send(job);
    }

    fn flush(&mut self) {
        if let Some(c) = &self.cur {
            if !self.buf.is_empty() {
                let bytes = std::mem::replace(
                    &mut self.buf,
                    Vec::with_capacity(self.cfg.write_size + 0x10000 + 16),
                );
                self.send(Job::Data {
                    num: c.info.num,
                    bytes,
                });
            }
        }
    }

    fn close(&mut self) {
        self.flush();
        if let Some(c) = self.cur.take() {
            let mut info = c.info;
            info.filesize = Some(c.pos);
            info.packets = Some(c.packets);
            self.send(Job::Close { info });
        }
    }

    fn open(&mut self, pkt: &Packet) -> bool {
        let num = match self.registry.next_num() {
            Ok(n) => n,
            Err(e) => {
                tracing::error!("{e}");
                return false;
            }
        };
        let dirs = &self.cfg.dirs;
        let dir = dirs
            .get((num as usize + self.thread) % dirs.len().max(1))
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        let day = chrono::DateTime::from_timestamp(i64::from(pkt.meta.ts_sec), 0)
            .unwrap_or_default()
            .format("%y%m%d");
        let name = dir.join(format!("{}-{day}-{num:08}.pcap", self.cfg.node));
        let info = FileInfo {
            num,
            name: name.display().to_string(),
            first: pkt.meta.ts_sec,
            node: self.cfg.node.clone(),
            locked: 0,
            packet_pos_encoding: self.cfg.gap_packet_pos.then(|| "gap0".to_string()),
            ..FileInfo::default()
        };
        self.send(Job::Open { info: info.clone() });
        self.buf.extend_from_slice(&pcap_header(pkt.meta.linktype));
        self.cur = Some(Current {
            info,
            pos: 24,
            packets: 0,
            linktype: pkt.meta.linktype,
            opened: Instant::now(),
        });
        true
    }
}

impl PacketWriter for SimpleWriter {
    fn write(&mut self, _s: &Session, pkt: &Packet) -> Option<(u32, u64)> {
        let rotate = self.cur.as_ref().is_some_and(|c| {
            c.linktype != pkt.meta.linktype
                || self
                    .cfg
                    .max_file_time
                    .is_some_and(|t| c.opened.elapsed() >= t)
        });
        if rotate {
            self.close();
        }
        if self.cur.is_none() && !self.open(pkt) {
            return None;
        }
        let bytes = pkt.bytes();
        let c = self.cur.as_mut()?;
        let (num, pos) = (c.info.num, c.pos);
        let len = bytes.len() as u32;
        for v in [pkt.meta.ts_sec, pkt.meta.ts_usec, len, len] {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.buf.extend_from_slice(bytes);
        c.pos += 16 + u64::from(len);
        c.packets += 1;
        c.info.last = Some(pkt.meta.ts_sec);
        let full = c.pos >= self.cfg.max_file_size;
        if self.buf.len() >= self.cfg.write_size {
            self.flush();
        }
        if full {
            self.close();
        }
        Some((num, pos))
    }

    fn finish(&mut self) {
        self.close();
    }
}
