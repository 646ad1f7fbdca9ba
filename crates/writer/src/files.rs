//! The files registry: one JSON document per pcap file, with the fields of Arkime's
//! `files` index (num, name, first, node, filesize, locked, ...), kept under the data
//! directory so the store and `trawl pcap` can find packets again. File numbers come
//! from a per-node sequence persisted beside them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One pcap file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    /// File number (negative in packetPos).
    pub num: u32,
    /// Path.
    pub name: String,
    /// Seconds of the first packet.
    pub first: u64,
    /// Seconds of the last packet.
    #[serde(rename = "lastTimestamp", skip_serializing_if = "Option::is_none")]
    pub last: Option<u64>,
    /// Node that wrote it.
    pub node: String,
    /// Bytes on disk, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filesize: Option<u64>,
    /// Packets in it, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
    /// 1 while it must not be deleted (offline files read in place are locked).
    pub locked: u8,
    /// How packetPos lists are encoded for it ("gap0" or absent for plain).
    #[serde(rename = "packetPosEncoding", skip_serializing_if = "Option::is_none")]
    pub packet_pos_encoding: Option<String>,
    /// "zstd" for files compressed in blocks (`simpleCompression`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// For compressed files: a packet's position is `(block start << bits) + offset in
    /// the uncompressed block`.
    #[serde(
        rename = "uncompressedBits",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub uncompressed_bits: Option<u32>,
}

/// Problems with the registry.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// Reading or writing its files.
    #[error("files registry {path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No file number could be had from the numberer.
    #[error("no file number: {0}")]
    Numbering(String),
}

/// File numbers and file documents for one node, under `<dir>`.
pub struct FilesRegistry {
    dir: PathBuf,
    node: String,
    next: Mutex<u32>,
    mirror: Mutex<Option<Mirror>>,
    numberer: Mutex<Option<Numberer>>,
}

/// Gives file numbers from elsewhere (the cluster's `sequence` index, so that two
/// sensors writing to one cluster never share a number); an error says why none
/// could be had.
pub type Numberer = Box<dyn Fn() -> Result<u32, String> + Send + Sync>;

/// Called with each document written, to copy it elsewhere (Elasticsearch's files
/// index, where Arkime's viewer looks for pcap files).
pub type Mirror = Box<dyn Fn(&FileInfo) + Send + Sync>;

fn io(path: &Path, source: std::io::Error) -> FilesError {
    FilesError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (temp file, then rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FilesError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

impl FilesRegistry {
    /// Opens (creating) the registry of `node` in `dir`.
    pub fn open(dir: &Path, node: &str) -> Result<Self, FilesError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let seq = dir.join(format!("{node}.sequence"));
        let next = match std::fs::read_to_string(&seq) {
            Ok(s) => s.trim().parse::<u32>().unwrap_or(0),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io(&seq, e)),
        };
        Ok(FilesRegistry {
            dir: dir.to_path_buf(),
            node: node.to_string(),
            next: Mutex::new(next),
            mirror: Mutex::new(None),
            numberer: Mutex::new(None),
        })
    }

    /// The node.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Takes file numbers from `n` from now on.
    pub fn set_numberer(&self, n: Numberer) {
        if let Ok(mut g) = self.numberer.lock() {
            *g = Some(n);
        }
    }

    /// The next file number (1, 2, ..., or the numberer's), persisted before it is
    /// handed out so a crash never reuses one.
    pub fn next_num(&self) -> Result<u32, FilesError> {
        let mut g = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let given = match self.numberer.lock() {
            Ok(n) => match n.as_ref() {
                Some(f) => Some(f().map_err(FilesError::Numbering)?),
                None => None,
            },
            Err(_) => None,
        };
        // Never a number handed out before from this directory, whatever the numberer
        // says (its sequence may lag behind numbers given while it could not be asked).
        let n = given.map_or(g.saturating_add(1), |x| x.max(g.saturating_add(1)));
        write_atomic(
            &self.dir.join(format!("{}.sequence", self.node)),
            n.to_string().as_bytes(),
        )?;
        *g = n;
        Ok(n)
    }

    fn doc_path(&self, num: u32) -> PathBuf {
        self.dir.join(format!("{}-{num}.json", self.node))
    }

    /// Writes (or replaces) a file's document, and hands it to the mirror if any.
    pub fn put(&self, f: &FileInfo) -> Result<(), FilesError> {
        let json = serde_json::to_vec_pretty(f).unwrap_or_default();
        write_atomic(&self.doc_path(f.num), &json)?;
        if let Ok(m) = self.mirror.lock() {
            if let Some(m) = m.as_ref() {
                m(f);
            }
        }
        Ok(())
    }

    /// Copies every document written from now on through `m`.
    pub fn set_mirror(&self, m: Mirror) {
        if let Ok(mut g) = self.mirror.lock() {
            *g = Some(m);
        }
    }

    /// A file's document.
    pub fn get(&self, num: u32) -> Option<FileInfo> {
        let b = std::fs::read(self.doc_path(num)).ok()?;
        serde_json::from_slice(&b).ok()
    }

    /// Removes a file's document (its pcap was deleted).
    pub fn remove(&self, num: u32) -> Result<(), FilesError> {
        let p = self.doc_path(num);
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&p, e)),
        }
    }

    /// Every file document of this node, by number.
    pub fn list(&self) -> Vec<FileInfo> {
        let mut v = list_all(&self.dir);
        v.retain(|f| f.node == self.node);
        v
    }
}

/// Every file document of every node in `dir`, by node and number.
pub fn list_all(dir: &Path) -> Vec<FileInfo> {
    let mut v: Vec<FileInfo> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".json")))
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect();
    v.sort_by(|a: &FileInfo, b: &FileInfo| (&a.node, a.num).cmp(&(&b.node, b.num)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_survive_a_reopen_and_documents_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let r = FilesRegistry::open(t.path(), "n1").unwrap();
        assert_eq!(r.next_num().unwrap(), 1);
        assert_eq!(r.next_num().unwrap(), 2);
        let r = FilesRegistry::open(t.path(), "n1").unwrap();
        assert_eq!(r.next_num().unwrap(), 3, "numbers are never reused");
        let other = FilesRegistry::open(t.path(), "n2").unwrap();
        assert_eq!(other.next_num().unwrap(), 1, "per node");
        let f = FileInfo {
            num: 3,
            name: "/x/n1-231114-00000003.pcap".into(),
            first: 5,
            node: "n1".into(),
            locked: 0,
            ..Default::default()
        };
        r.put(&f).unwrap();
        assert_eq!(r.get(3), Some(f.clone()));
        assert_eq!(r.list(), vec![f]);
        assert!(other.list().is_empty());
    }
}
