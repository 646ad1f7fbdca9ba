//! Reading packets back by position, from the pcap files the capture read in place or
//! wrote: plain classic pcap (either byte order, µs or ns), or Arkime's zstd block
//! files where a position is `(block start << bits) + offset in the block`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use crate::files::FileInfo;

/// Largest record accepted (a corrupt length must not allocate gigabytes).
const MAX_RECORD: u32 = 0x0400_0000;

/// An open pcap file to read records from.
pub struct PcapFile {
    file: File,
    /// The file's 24-byte global header.
    pub header: [u8; 24],
    swapped: bool,
    nanos: bool,
    bits: Option<u32>,
}

/// One record read back.
pub struct Record {
    /// Capture time in nanoseconds since the epoch.
    pub ns: u128,
    /// The 16-byte record header, as stored.
    pub header: [u8; 16],
    /// The packet bytes.
    pub data: Vec<u8>,
}

fn bad(m: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, m)
}

/// (swapped byte order, nanosecond timestamps) of a global header.
fn magic(h: &[u8; 24]) -> Option<(bool, bool)> {
    match h[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((false, false)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((false, true)),
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((true, false)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((true, true)),
        _ => None,
    }
}

impl PcapFile {
    /// Opens the file a files-registry document describes.
    pub fn open(info: &FileInfo) -> std::io::Result<PcapFile> {
        let mut file = File::open(&info.name)?;
        let bits = match info.compression.as_deref() {
            None | Some("none") => None,
            Some("zstd") => Some(
                info.uncompressed_bits
                    .filter(|b| (1..=32).contains(b))
                    .ok_or_else(|| {
                        bad(format!("{}: zstd file without uncompressedBits", info.name))
                    })?,
            ),
            Some(c) => {
                return Err(bad(format!(
                    "{}: {c} compression is not readable",
                    info.name
                )))
            }
        };
        let mut header = [0u8; 24];
        match bits {
            None => file.read_exact(&mut header)?,
            Some(_) => zstd::stream::read::Decoder::new(&mut file)?.read_exact(&mut header)?,
        }
        let (swapped, nanos) =
            magic(&header).ok_or_else(|| bad(format!("{}: not a classic pcap file", info.name)))?;
        Ok(PcapFile {
            file,
            header,
            swapped,
            nanos,
            bits,
        })
    }

    fn u32_at(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.swapped {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    /// The record at position `pos`.
    pub fn record(&mut self, pos: u64) -> std::io::Result<Record> {
        match self.bits {
            None => {
                self.file.seek(SeekFrom::Start(pos))?;
                let mut f = &self.file;
                self.read_record(&mut f)
            }
            Some(bits) => {
                let start = pos >> bits;
                let off = pos & ((1u64 << bits) - 1);
                self.file.seek(SeekFrom::Start(start))?;
                let mut d = zstd::stream::read::Decoder::new(&self.file)?;
                std::io::copy(&mut (&mut d).take(off), &mut std::io::sink())?;
                self.read_record(&mut d)
            }
        }
    }

    fn read_record(&self, r: &mut dyn Read) -> std::io::Result<Record> {
        let mut h = [0u8; 16];
        r.read_exact(&mut h)?;
        let caplen = self.u32_at(&h[8..12]);
        if caplen > MAX_RECORD {
            return Err(bad(format!("record claims {caplen} bytes")));
        }
        let mut data = vec![0u8; caplen as usize];
        r.read_exact(&mut data)?;
        let sec = u128::from(self.u32_at(&h[0..4]));
        let frac = u128::from(self.u32_at(&h[4..8]));
        let ns = sec * 1_000_000_000 + if self.nanos { frac } else { frac * 1000 };
        Ok(Record {
            ns,
            header: h,
            data,
        })
    }
}
