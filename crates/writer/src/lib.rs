//! Writing packets to pcap files: Arkime's simple writer (per-thread files in
//! `pcapDir`, rotation, a writer thread doing the I/O) and the files registry that
//! lets packets be found again.

pub mod expire;
mod files;
pub mod readback;
mod simple;

pub use files::{list_all as list_all_files, FileInfo, FilesError, FilesRegistry, Numberer};
pub use readback::{PcapFile, Record};
pub use simple::{
    check_dirs, create_file, Expiry, Opener, SimpleConfig, SimpleWriter, WriterStats, WriterThread,
    ZstdBlocks,
};
