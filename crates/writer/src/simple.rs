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
    /// `simpleCompression=zstd`: compress in blocks of about this many uncompressed
    /// bytes (`simpleCompressionBlockSize`), at this zstd level (`simpleZstdLevel`).
    pub zstd: Option<ZstdBlocks>,
}

/// Block compression settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZstdBlocks {
    /// A new block starts before a packet once the block holds this many bytes.
    pub block_size: u32,
    /// zstd level (0: zstd's default).
    pub level: i32,
}

impl ZstdBlocks {
    /// Arkime's limits: the size is clamped to 8191..=0xfffff and kept below a power of
    /// two, so `bits` (the width of the in-block offset) holds any offset.
    pub fn new(block_size: u32, level: i32) -> Self {
        let mut b = block_size.clamp(8191, 0xfffff);
        if b.is_power_of_two() {
            b -= 1;
        }
        ZstdBlocks {
            block_size: b,
            level,
        }
    }

    /// `ceil(log2(block_size))`.
    pub fn bits(self) -> u32 {
        32 - (self.block_size - 1).leading_zeros()
    }
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
    /// Old files deleted for `freeSpaceG`.
    pub expired: u64,
}

/// The writer thread: file I/O for every packet thread's simple writer.
pub struct WriterThread {
    tx: Sender<Job>,
    handle: std::thread::JoinHandle<WriterStats>,
}

/// `freeSpaceG` for the writer thread: checked each time a file is opened.
pub struct Expiry {
    /// The pcap directories.
    pub dirs: Vec<PathBuf>,
    /// Space to keep free.
    pub need: crate::expire::FreeSpace,
    /// How free space is read (the file system, or a test's).
    pub space: Box<crate::expire::SpaceFn>,
}

fn run(
    rx: Receiver<Job>,
    registry: Arc<FilesRegistry>,
    open: Opener,
    expiry: Option<Expiry>,
) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut files: HashMap<u32, (PathBuf, Box<dyn Write + Send>)> = HashMap::new();
    let mut failed: HashSet<u32> = HashSet::new();
    for job in rx {
        match job {
            Job::Open { info } => {
                if let Some(x) = &expiry {
                    let gone = crate::expire::expire(&registry, &x.dirs, x.need, &*x.space);
                    stats.expired += gone.len() as u64;
                }
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
        expiry: Option<Expiry>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = bounded(queue.max(1));
        let handle = std::thread::Builder::new()
            .name("trawl-simple".into())
            .spawn(move || run(rx, registry, open, expiry))?;
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
    /// Bytes in the file so far (compressed bytes for compressed files).
    pos: u64,
    /// Uncompressed packet bytes, for `maxFileSizeG`.
    raw: u64,
    packets: u64,
    linktype: u32,
    opened: Instant,
    /// Compressed files: the uncompressed bytes of the block being filled.
    block: Vec<u8>,
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

    /// Compresses the pending block into the output as one zstd frame.
    fn end_block(&mut self) {
        let Some(z) = self.cfg.zstd else { return };
        let Some(c) = self.cur.as_mut() else { return };
        if c.block.is_empty() {
            return;
        }
        match zstd::bulk::compress(&c.block, z.level) {
            Ok(frame) => {
                c.pos += frame.len() as u64;
                self.buf.extend_from_slice(&frame);
            }
            Err(e) => tracing::error!("zstd compression failed: {e}; a block of packets is lost"),
        }
        c.block.clear();
    }

    fn close(&mut self) {
        self.end_block();
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
        let day =
            chrono::DateTime::from_timestamp(i64::try_from(pkt.meta.ts_sec).unwrap_or(i64::MAX), 0)
                .unwrap_or_default()
                .format("%y%m%d");
        let ext = if self.cfg.zstd.is_some() {
            "pcap.zst"
        } else {
            "pcap"
        };
        let name = dir.join(format!("{}-{day}-{num:08}.{ext}", self.cfg.node));
        let info = FileInfo {
            num,
            name: name.display().to_string(),
            first: pkt.meta.ts_sec,
            node: self.cfg.node.clone(),
            locked: 0,
            packet_pos_encoding: self.cfg.gap_packet_pos.then(|| "gap0".to_string()),
            compression: self.cfg.zstd.map(|_| "zstd".to_string()),
            uncompressed_bits: self.cfg.zstd.map(ZstdBlocks::bits),
            ..FileInfo::default()
        };
        self.send(Job::Open { info: info.clone() });
        let header = pcap_header(pkt.meta.linktype);
        let compressed = self.cfg.zstd.is_some();
        self.cur = Some(Current {
            info,
            pos: if compressed { 0 } else { 24 },
            raw: 0,
            packets: 0,
            linktype: pkt.meta.linktype,
            opened: Instant::now(),
            block: Vec::new(),
        });
        if compressed {
            // The file header is a block of its own; packets start the next one.
            if let Some(c) = self.cur.as_mut() {
                c.block.extend_from_slice(&header);
            }
            self.end_block();
        } else {
            self.buf.extend_from_slice(&header);
        }
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
        if let (Some(z), Some(c)) = (self.cfg.zstd, self.cur.as_ref()) {
            if c.block.len() >= z.block_size as usize {
                self.end_block();
            }
        }
        let zstd = self.cfg.zstd;
        let c = self.cur.as_mut()?;
        let num = c.info.num;
        let len = bytes.len() as u32;
        let pos = match zstd {
            Some(z) => (c.pos << z.bits()) + c.block.len() as u64,
            None => c.pos,
        };
        let out = if zstd.is_some() {
            &mut c.block
        } else {
            &mut self.buf
        };
        // A pcap record holds 32-bit seconds: later times are cut, as Arkime cuts them.
        for v in [pkt.meta.ts_sec as u32, pkt.meta.ts_usec, len, len] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(bytes);
        if zstd.is_none() {
            c.pos += 16 + u64::from(len);
        }
        c.raw += 16 + u64::from(len);
        c.packets += 1;
        c.info.last = Some(pkt.meta.ts_sec);
        let full = c.raw >= self.cfg.max_file_size;
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

/// Makes sure each of `dirs` (`pcapDir`) is a directory the writer can create files
/// in, creating it if missing, so that a capture refuses to start rather than read its
/// packets and lose them.
pub fn check_dirs(dirs: &[PathBuf]) -> Result<(), String> {
    for d in dirs {
        if d.exists() && !d.is_dir() {
            return Err(format!("pcapDir {} is not a directory", d.display()));
        }
        std::fs::create_dir_all(d)
            .map_err(|e| format!("cannot create pcapDir {}: {e}", d.display()))?;
        let probe = d.join(format!(".trawl-write-check-{}", std::process::id()));
        std::fs::File::create(&probe)
            .map_err(|e| format!("cannot write in pcapDir {}: {e}", d.display()))?;
        let _ = std::fs::remove_file(&probe);
    }
    Ok(())
}
