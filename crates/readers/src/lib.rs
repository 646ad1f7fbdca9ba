//! placeholder (being written): the agreed types only.
/// Shared chunk.
pub type Chunk = std::sync::Arc<Vec<u8>>;
/// A record.
#[derive(Clone, Debug)]
pub struct Record {
    pub chunk: Chunk,
    pub start: u32,
    pub caplen: u32,
    pub origlen: u32,
    pub ts_sec: u32,
    pub ts_usec: u32,
    pub linktype: u32,
    pub file_pos: u64,
}
