//! Temporary classic-pcap reader used until trawl-readers lands.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use trawl_readers::Record;

pub struct InputSpec {
    pub files: Vec<PathBuf>,
    pub dirs: Vec<PathBuf>,
    pub recursive: bool,
    pub sorted: bool,
    pub file_lists: Vec<PathBuf>,
    pub name_regex: String,
}

pub fn expand_inputs(s: &InputSpec) -> Result<Vec<PathBuf>> {
    Ok(s.files.clone())
}

pub struct OfflineReader {
    data: Arc<Vec<u8>>,
    pos: usize,
    le: bool,
    nanos: bool,
    linktype: u32,
}

impl OfflineReader {
    pub fn open(p: &Path) -> Result<Self> {
        let mut v = Vec::new();
        std::fs::File::open(p)?.read_to_end(&mut v)?;
        if v.len() < 24 {
            bail!("{}: too short", p.display());
        }
        let m = [v[0], v[1], v[2], v[3]];
        let (le, nanos) = match m {
            [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
            _ => bail!("{}: not a pcap", p.display()),
        };
        let r = |b: &[u8]| {
            let a = [b[0], b[1], b[2], b[3]];
            if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
        };
        let linktype = r(&v[20..24]) & 0xffff;
        Ok(OfflineReader { data: Arc::new(v), pos: 24, le, nanos, linktype })
    }
    pub fn linktype(&self) -> u32 {
        self.linktype
    }
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        let d = &self.data;
        if self.pos + 16 > d.len() {
            return Ok(None);
        }
        let r = |o: usize| {
            let a = [d[o], d[o + 1], d[o + 2], d[o + 3]];
            if self.le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
        };
        let p = self.pos;
        let (sec, usec, cap, orig) = (r(p), r(p + 4), r(p + 8), r(p + 12));
        if p + 16 + cap as usize > d.len() {
            bail!("truncated record at {p}");
        }
        self.pos = p + 16 + cap as usize;
        Ok(Some(Record {
            chunk: Arc::clone(d),
            start: (p + 16) as u32,
            caplen: cap,
            origlen: orig,
            ts_sec: sec,
            ts_usec: if self.nanos { usec / 1000 } else { usec },
            linktype: self.linktype,
            file_pos: p as u64,
        }))
    }
}
