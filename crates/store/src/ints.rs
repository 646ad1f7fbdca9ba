//! A partition's integer fields, kept by the store itself beside tantivy's index.
//!
//! tantivy records every integer in a column of its own field, at a cost of several
//! hundred instructions a value when it is added and again when the segment is
//! written; a session has some thirty integers, so that was a quarter of indexing.
//! Here a partition's integers (all but the start and stop times, which stay tantivy
//! columns for time ranges and the default sort) go to one append-only file, `ints`,
//! keyed by a row number. Each document carries its row as its one numeric column,
//! `_row`. A search reads the values of the fields it asks about, marks the rows that
//! match, and then matches the documents whose `_row` is marked.
//!
//! The file is a run of blocks, one per commit, each written and synced before
//! tantivy's commit, so every committed document's integers are on disk. A block:
//!
//! ```text
//! "TRI1"  first row (u64 LE)  rows (u32 LE)  payload bytes (u32 LE)  CRC-32 of payload (u32 LE)
//! payload: sections, each: field id (u32 LE), values (u32 LE), bytes (u32 LE), values:
//!          (row - previous row) as a LEB128 varint, then the value zigzag-encoded as one
//! ```
//!
//! The first value's previous row is the block's first row. A block cut short or
//! failing its CRC ends the file for readers, and is cut off when a writer opens the
//! partition again. Rows of a block whose tantivy commit never happened belong to no
//! document; they are never given out again.
//!
//! Beside it, `ints.idx` says where each block's sections are, so a search reads the
//! sections of the fields it asks about and nothing else (a partition of a day holds
//! hundreds of megabytes of integers; one field is a thirtieth of them). A record per
//! block, appended after the block is synced:
//!
//! ```text
//! "TRX1"  block offset (u64 LE)  block bytes (u32 LE)  first row (u64 LE)  rows (u32 LE)
//!         sections (u32 LE), each: field id (u32 LE), offset (u64 LE), bytes (u32 LE)
//!         CRC-32 of the record before it (u32 LE)
//! ```
//!
//! The index is derived data: it is not synced, a writer rewrites it from the blocks
//! when it opens the partition, and a reader walks the blocks after the last record
//! that is whole and inside the file. A reader checks the CRC of the last block the
//! index names and of the blocks it walks (only the last block can be torn by a
//! crash); the writer checks every block when it opens the partition.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Field;
use tantivy::{DocId, Score, SegmentReader, TantivyError};

use crate::column::docs_scorer;

/// The file's name in a partition directory.
pub const FILE: &str = "ints";
/// The index of its blocks' sections.
pub const INDEX: &str = "ints.idx";
/// The tantivy field holding each document's row.
pub const ROW: &str = "_row";

const MAGIC: &[u8; 4] = b"TRI1";
const HEADER: usize = 4 + 8 + 4 + 4 + 4;
const SECTION_HEADER: usize = 12;
const INDEX_MAGIC: &[u8; 4] = b"TRX1";
const INDEX_HEADER: usize = 4 + 8 + 4 + 8 + 4 + 4;
const INDEX_SECTION: usize = 4 + 8 + 4;

/// The values of one field gathered since the last block (none: `count` 0).
#[derive(Debug, Default)]
struct Section {
    prev: u64,
    count: u32,
    bytes: Vec<u8>,
}

/// Appends a partition's integers, a block per commit.
#[derive(Debug)]
pub struct IntsWriter {
    path: PathBuf,
    file: File,
    /// Bytes of whole blocks in the file.
    good: u64,
    first_row: u64,
    next_row: u64,
    /// By field id (a schema's ids are small and dense).
    sections: Vec<Section>,
    /// The index of the blocks ([`INDEX`]); None after it failed to be written
    /// (readers then walk the blocks after its last record).
    index: Option<File>,
}

impl IntsWriter {
    /// The directory of the file (its partition's).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(&self.path)
    }

    /// Opens (or creates) the file of the partition in `dir`, cutting off a block a
    /// crash left unfinished. Rows given out start after every row of the file and
    /// at `at_least` (one past the highest row tantivy holds), whichever is later.
    pub fn open(dir: &Path, at_least: u64) -> std::io::Result<IntsWriter> {
        let path = dir.join(FILE);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let blocks = read_blocks(&data);
        let good = blocks.end as u64;
        if blocks.end < data.len() {
            tracing::warn!(
                "store: {}: {} bytes after the last whole block cut off",
                path.display(),
                data.len() - blocks.end
            );
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.set_len(good)?;
        file.seek(SeekFrom::Start(good))?;
        let next_row = blocks.rows.max(at_least);
        let index = write_index(dir, &blocks)
            .map_err(|e| {
                // An index left from before would name blocks that may be cut off.
                let _ = std::fs::remove_file(dir.join(INDEX));
                tracing::warn!(
                    "store: {}: {e}; searches walk the file of integers",
                    dir.join(INDEX).display()
                )
            })
            .ok();
        Ok(IntsWriter {
            path,
            file,
            good,
            first_row: next_row,
            next_row,
            sections: Vec::new(),
            index,
        })
    }

    /// The row of the next document.
    pub fn add_row(&mut self) -> u64 {
        let r = self.next_row;
        self.next_row += 1;
        r
    }

    /// Value `v` of `field` for `row` (rows come in order; a row may have many).
    pub fn add(&mut self, field: Field, row: u64, v: i64) {
        let id = field.field_id() as usize;
        if id >= self.sections.len() {
            self.sections.resize_with(id + 1, Section::default);
        }
        let s = &mut self.sections[id];
        if s.count == 0 {
            s.prev = self.first_row;
        }
        varint(&mut s.bytes, row.saturating_sub(s.prev));
        varint(&mut s.bytes, ((v << 1) ^ (v >> 63)) as u64);
        s.prev = row;
        s.count += 1;
    }

    /// Writes and syncs the rows given out since the last block. On failure the file
    /// is cut back to its whole blocks and the rows stay pending for the next try.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if self.next_row == self.first_row {
            return Ok(());
        }
        let rows = u32::try_from(self.next_row - self.first_row).unwrap_or(u32::MAX);
        let mut payload = Vec::new();
        let mut index = Vec::new();
        for (field, s) in self.sections.iter().enumerate() {
            if s.count == 0 {
                continue;
            }
            index.push(SectionRef {
                field: field as u32,
                first_row: self.first_row,
                start: self.good as usize + HEADER + payload.len() + SECTION_HEADER,
                end: self.good as usize + HEADER + payload.len() + SECTION_HEADER + s.bytes.len(),
            });
            payload.extend_from_slice(&(field as u32).to_le_bytes());
            payload.extend_from_slice(&s.count.to_le_bytes());
            payload.extend_from_slice(&(s.bytes.len() as u32).to_le_bytes());
            payload.extend_from_slice(&s.bytes);
        }
        let mut block = Vec::with_capacity(HEADER + payload.len());
        block.extend_from_slice(MAGIC);
        block.extend_from_slice(&self.first_row.to_le_bytes());
        block.extend_from_slice(&rows.to_le_bytes());
        block.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        block.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        block.extend_from_slice(&payload);
        let written = self
            .file
            .write_all(&block)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Whatever part of the block reached the file would hide later blocks.
            let _ = self.file.set_len(self.good);
            let _ = self.file.seek(SeekFrom::Start(self.good));
            return Err(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", self.path.display()),
            ));
        }
        if let Some(f) = &mut self.index {
            let record = index_record(self.good, block.len(), self.first_row, rows, &index);
            if let Err(e) = f.write_all(&record) {
                // A record cut short ends the index for readers; later ones would
                // not be read, so none are written.
                tracing::warn!(
                    "store: {}: {e}; searches walk the file of integers",
                    self.dir().join(INDEX).display()
                );
                self.index = None;
            }
        }
        self.good += block.len() as u64;
        self.first_row = self.next_row;
        for s in &mut self.sections {
            s.count = 0;
            s.bytes.clear();
        }
        Ok(())
    }
}

/// The index record of a block at `offset` of `len` bytes.
fn index_record(
    offset: u64,
    len: usize,
    first_row: u64,
    rows: u32,
    sections: &[SectionRef],
) -> Vec<u8> {
    let mut r = Vec::with_capacity(INDEX_HEADER + sections.len() * INDEX_SECTION + 4);
    r.extend_from_slice(INDEX_MAGIC);
    r.extend_from_slice(&offset.to_le_bytes());
    r.extend_from_slice(&(len as u32).to_le_bytes());
    r.extend_from_slice(&first_row.to_le_bytes());
    r.extend_from_slice(&rows.to_le_bytes());
    r.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for s in sections {
        r.extend_from_slice(&s.field.to_le_bytes());
        r.extend_from_slice(&(s.start as u64).to_le_bytes());
        r.extend_from_slice(&((s.end - s.start) as u32).to_le_bytes());
    }
    let crc = crc32fast::hash(&r);
    r.extend_from_slice(&crc.to_le_bytes());
    r
}

/// Writes the index of `blocks` anew (a temporary file renamed over the old one)
/// and opens it for appending.
fn write_index(dir: &Path, blocks: &Blocks) -> std::io::Result<File> {
    let mut data = Vec::new();
    for b in &blocks.list {
        let secs = &blocks.sections[b.sections.clone()];
        data.extend(index_record(
            b.offset as u64,
            b.len,
            b.first_row,
            b.rows,
            secs,
        ));
    }
    let tmp = dir.join(format!("{INDEX}.tmp"));
    std::fs::write(&tmp, &data)?;
    std::fs::rename(&tmp, dir.join(INDEX))?;
    OpenOptions::new().append(true).open(dir.join(INDEX))
}

/// The blocks the index at `path` names that lie whole inside a file of `len`
/// bytes, from its start; stops at the first record that is cut short, fails its
/// CRC or does not follow the block before it.
fn read_index(data: &[u8], len: usize) -> Blocks {
    let mut out = Blocks::default();
    let mut at = 0;
    while let Some(h) = data.get(at..at + INDEX_HEADER) {
        if &h[..4] != INDEX_MAGIC {
            break;
        }
        let offset = u64::from_le_bytes(h[4..12].try_into().unwrap_or_default()) as usize;
        let first_row = u64::from_le_bytes(h[16..24].try_into().unwrap_or_default());
        let (Some(blen), Some(rows), Some(n)) = (u32_at(h, 12), u32_at(h, 24), u32_at(h, 28))
        else {
            break;
        };
        let end = at + INDEX_HEADER + n as usize * INDEX_SECTION;
        let (Some(body), Some(crc)) = (data.get(at..end), u32_at(data, end)) else {
            break;
        };
        let block_end = offset + blen as usize;
        if crc32fast::hash(body) != crc || offset != out.end || block_end > len {
            break;
        }
        let first = out.sections.len();
        let mut ok = true;
        for i in 0..n as usize {
            let p = at + INDEX_HEADER + i * INDEX_SECTION;
            let field = u32_at(data, p).unwrap_or(u32::MAX);
            let start = data
                .get(p + 4..p + 12)
                .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                as usize;
            let bytes = u32_at(data, p + 12).unwrap_or(0) as usize;
            if start < offset || start + bytes > block_end {
                ok = false;
                break;
            }
            out.sections.push(SectionRef {
                field,
                first_row,
                start,
                end: start + bytes,
            });
        }
        if !ok {
            out.sections.truncate(first);
            break;
        }
        out.list.push(BlockRef {
            offset,
            len: blen as usize,
            first_row,
            rows,
            sections: first..out.sections.len(),
        });
        out.rows = out.rows.max(first_row + u64::from(rows));
        out.end = block_end;
        at = end + 4;
    }
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The varint at `*at` of `b`, moving past it.
fn read_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        if shift > 63 {
            return None;
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One section of a block: a field's values.
#[derive(Debug, Clone)]
struct SectionRef {
    field: u32,
    first_row: u64,
    start: usize,
    end: usize,
}

/// One block of the file.
#[derive(Debug, Clone)]
struct BlockRef {
    offset: usize,
    len: usize,
    first_row: u64,
    rows: u32,
    /// Its sections in [`Blocks::sections`].
    sections: std::ops::Range<usize>,
}

/// The whole blocks at the start of a file.
#[derive(Debug, Default)]
struct Blocks {
    list: Vec<BlockRef>,
    sections: Vec<SectionRef>,
    /// One past the last row of the last whole block.
    rows: u64,
    /// Bytes of whole blocks.
    end: usize,
}

/// The whole blocks of `data`, the bytes of the file from offset `base` (where a
/// block starts), appended to `out`.
fn read_blocks_into(data: &[u8], base: usize, out: &mut Blocks) {
    let mut at = 0;
    while let Some(h) = data.get(at..at + HEADER) {
        if &h[..4] != MAGIC {
            break;
        }
        let first_row = u64::from_le_bytes(h[4..12].try_into().unwrap_or_default());
        let (Some(rows), Some(len)) = (u32_at(h, 12), u32_at(h, 16)) else {
            break;
        };
        let Some(crc) = u32_at(h, 20) else { break };
        let start = at + HEADER;
        let Some(payload) = data.get(start..start + len as usize) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let mut sections = Vec::new();
        let mut p = 0;
        let mut whole = true;
        while p < payload.len() {
            let (Some(field), Some(bytes)) = (u32_at(payload, p), u32_at(payload, p + 8)) else {
                whole = false;
                break;
            };
            let s = p + SECTION_HEADER;
            let e = s + bytes as usize;
            if e > payload.len() {
                whole = false;
                break;
            }
            sections.push(SectionRef {
                field,
                first_row,
                start: base + start + s,
                end: base + start + e,
            });
            p = e;
        }
        if !whole {
            break;
        }
        let first = out.sections.len();
        out.sections.extend(sections);
        out.list.push(BlockRef {
            offset: base + at,
            len: HEADER + len as usize,
            first_row,
            rows,
            sections: first..out.sections.len(),
        });
        out.rows = out.rows.max(first_row + u64::from(rows));
        at = start + len as usize;
        out.end = base + at;
    }
}

fn read_blocks(data: &[u8]) -> Blocks {
    let mut out = Blocks::default();
    read_blocks_into(data, 0, &mut out);
    out
}

/// A set of rows.
#[derive(Debug, Default, Clone)]
pub struct RowSet(Vec<u64>);

impl RowSet {
    pub(crate) fn insert(&mut self, row: u64) {
        let (w, b) = ((row / 64) as usize, row % 64);
        if w >= self.0.len() {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    /// Whether `row` is in the set.
    pub fn contains(&self, row: u64) -> bool {
        self.0
            .get((row / 64) as usize)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
}

/// A partition's integers as a search reads them: where each block's sections
/// are, and the sections of each field asked about, read when first asked.
#[derive(Debug, Default)]
pub struct Ints {
    file: Option<File>,
    blocks: Blocks,
    /// By field id: the field's sections' bytes one after another, and each
    /// section's first row and range in them.
    read: std::cell::RefCell<FxHashMap<u32, FieldBytes>>,
    /// Bytes read from the file.
    bytes_read: std::cell::Cell<usize>,
}

type FieldBytes = std::rc::Rc<(Vec<u8>, Vec<(u64, std::ops::Range<usize>)>)>;

impl Ints {
    /// Finds the blocks of the file of the partition in `dir` (none: no values),
    /// by its index and by walking what the index does not name.
    pub fn load(dir: &Path) -> Ints {
        let path = dir.join(FILE);
        let warn = |e: std::io::Error| {
            tracing::warn!(
                "store: {}: {e}; its integer fields match nothing",
                path.display()
            );
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ints::default(),
            Err(e) => {
                warn(e);
                return Ints::default();
            }
        };
        let len = match file.metadata() {
            Ok(m) => m.len() as usize,
            Err(e) => {
                warn(e);
                return Ints::default();
            }
        };
        let index = std::fs::read(dir.join(INDEX)).unwrap_or_default();
        let mut blocks = read_index(&index, len);
        let mut bytes_read = 0;
        // The last block the index names is checked as a walk would check it.
        if let Some(last) = blocks.list.last().cloned() {
            let mut b = vec![0; last.len];
            bytes_read += last.len;
            let whole = file.read_exact_at(&mut b, last.offset as u64).is_ok() && {
                let mut one = Blocks::default();
                read_blocks_into(&b, last.offset, &mut one);
                one.end == last.offset + last.len
            };
            if !whole {
                blocks.sections.truncate(last.sections.start);
                blocks.list.pop();
                blocks.end = last.offset;
                blocks.rows = blocks
                    .list
                    .iter()
                    .map(|b| b.first_row + u64::from(b.rows))
                    .max()
                    .unwrap_or(0);
            }
        }
        if blocks.end < len {
            let mut rest = vec![0; len - blocks.end];
            bytes_read += rest.len();
            match file.read_exact_at(&mut rest, blocks.end as u64) {
                Ok(()) => read_blocks_into(&rest, blocks.end, &mut blocks),
                Err(e) => warn(e),
            }
        }
        Ints {
            file: Some(file),
            blocks,
            read: Default::default(),
            bytes_read: std::cell::Cell::new(bytes_read),
        }
    }

    /// The sections of field `id`, read now if not yet.
    fn field(&self, id: u32) -> FieldBytes {
        if let Some(f) = self.read.borrow().get(&id) {
            return f.clone();
        }
        let mut bytes = Vec::new();
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            for s in self.blocks.sections.iter().filter(|s| s.field == id) {
                let at = bytes.len();
                bytes.resize(at + (s.end - s.start), 0);
                if let Err(e) = file.read_exact_at(&mut bytes[at..], s.start as u64) {
                    tracing::warn!("store: reading integers: {e}; some values are missed");
                    bytes.truncate(at);
                    continue;
                }
                self.bytes_read
                    .set(self.bytes_read.get() + (s.end - s.start));
                parts.push((s.first_row, at..bytes.len()));
            }
        }
        let f: FieldBytes = std::rc::Rc::new((bytes, parts));
        self.read.borrow_mut().insert(id, f.clone());
        f
    }

    /// Every (row, value) of `field`, rows ascending.
    pub fn values(&self, field: Field) -> impl Iterator<Item = (u64, i64)> + '_ {
        let f = self.field(field.field_id());
        let mut parts = f.1.clone().into_iter();
        let mut cur: Option<(u64, std::ops::Range<usize>)> = None;
        let mut at = 0;
        std::iter::from_fn(move || loop {
            if cur.is_none() {
                let (first, range) = parts.next()?;
                at = range.start;
                cur = Some((first, range));
            }
            let (row, range) = cur.as_mut()?;
            let b = f.0.get(..range.end).unwrap_or_default();
            let got = read_varint(b, &mut at).and_then(|d| Some((d, read_varint(b, &mut at)?)));
            match got {
                Some((d, z)) => {
                    *row += d;
                    return Some((*row, (z >> 1) as i64 ^ -((z & 1) as i64)));
                }
                None => cur = None,
            }
        })
    }

    /// The rows holding a value of `field` that `keep` accepts.
    pub fn rows_where(&self, field: Field, keep: impl Fn(i64) -> bool) -> RowSet {
        let mut set = RowSet::default();
        for (row, v) in self.values(field) {
            if keep(v) {
                set.insert(row);
            }
        }
        set
    }

    /// The first value of `field` of every row that has one (for sorting).
    pub fn first_values(&self, field: Field) -> rustc_hash::FxHashMap<u64, i64> {
        let mut m = rustc_hash::FxHashMap::default();
        for (row, v) in self.values(field) {
            m.entry(row).or_insert(v);
        }
        m
    }
}

/// A partition's integers, read the first time a search needs them.
#[derive(Debug)]
pub struct LazyInts<'a> {
    dir: &'a Path,
    cell: std::cell::OnceCell<Ints>,
}

impl<'a> LazyInts<'a> {
    /// The integers of the partition in `dir`, not read yet.
    pub fn new(dir: &'a Path) -> Self {
        LazyInts {
            dir,
            cell: std::cell::OnceCell::new(),
        }
    }

    /// The integers, read now if not yet.
    pub fn get(&self) -> &Ints {
        self.cell.get_or_init(|| Ints::load(self.dir))
    }
}

/// The documents whose `_row` is in a set.
#[derive(Clone, Debug)]
pub struct RowsQuery {
    rows: Arc<RowSet>,
}

impl RowsQuery {
    /// A query for the documents of `rows`.
    pub fn new(rows: RowSet) -> RowsQuery {
        RowsQuery {
            rows: Arc::new(rows),
        }
    }
}

impl Query for RowsQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for RowsQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if self.rows.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let Ok(col) = reader.fast_fields().u64(ROW) else {
            return Ok(Box::new(EmptyScorer));
        };
        let docs: Vec<DocId> = (0..reader.max_doc())
            .filter(|&d| col.first(d).is_some_and(|r| self.rows.contains(r)))
            .collect();
        Ok(docs_scorer(docs, boost))
    }

    fn explain(&self, _: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        Err(TantivyError::InvalidArgument(format!(
            "no explanation for document {doc} of a row match"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: u32) -> Field {
        Field::from_field_id(n)
    }

    #[test]
    fn values_come_back_by_field_with_their_rows_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = IntsWriter::open(dir.path(), 0).unwrap();
        for i in 0..300i64 {
            let r = w.add_row();
            assert_eq!(r, i as u64);
            w.add(f(3), r, i * 1000 - 7);
            if i % 3 == 0 {
                // Two values for one row, and extremes.
                w.add(f(5), r, i64::MIN + i);
                w.add(f(5), r, i64::MAX - i);
            }
            if i == 150 {
                w.flush().unwrap();
            }
        }
        w.flush().unwrap();
        let ints = Ints::load(dir.path());
        let a: Vec<(u64, i64)> = ints.values(f(3)).collect();
        assert_eq!(a.len(), 300);
        assert!(a
            .iter()
            .enumerate()
            .all(|(i, &(r, v))| r == i as u64 && v == i as i64 * 1000 - 7));
        let b: Vec<(u64, i64)> = ints.values(f(5)).collect();
        assert_eq!(b.len(), 200);
        assert_eq!(b[0], (0, i64::MIN));
        assert_eq!(b[1], (0, i64::MAX));
        assert_eq!(b[2], (3, i64::MIN + 3));
        assert_eq!(ints.values(f(4)).count(), 0);
        let rows = ints.rows_where(f(3), |v| (993..=5993).contains(&v));
        let got: Vec<u64> = (0..400).filter(|&r| rows.contains(r)).collect();
        assert_eq!(got, [1, 2, 3, 4, 5, 6]);
        let first = ints.first_values(f(5));
        assert_eq!(first.get(&3), Some(&(i64::MIN + 3)));
        assert_eq!(first.get(&4), None);
    }

    #[test]
    fn a_torn_block_is_ignored_then_cut_off_and_its_rows_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = IntsWriter::open(dir.path(), 0).unwrap();
        for i in 0..10 {
            let r = w.add_row();
            w.add(f(2), r, i);
        }
        w.flush().unwrap();
        let whole = std::fs::metadata(dir.path().join(FILE)).unwrap().len();
        for i in 10..20 {
            let r = w.add_row();
            w.add(f(2), r, i);
        }
        w.flush().unwrap();
        drop(w);
        let path = dir.path().join(FILE);
        let full = std::fs::read(&path).unwrap();
        // Every cut inside the second block leaves the first readable.
        for cut in whole as usize..full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let ints = Ints::load(dir.path());
            assert_eq!(ints.values(f(2)).count(), 10, "cut at {cut}");
        }
        // A flipped byte fails the CRC.
        let mut bad = full.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x40;
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(Ints::load(dir.path()).values(f(2)).count(), 10);
        // A writer cuts the torn block off and goes on after the rows of whole blocks
        // and after what tantivy holds.
        std::fs::write(&path, &full[..full.len() - 3]).unwrap();
        let mut w = IntsWriter::open(dir.path(), 4).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        assert_eq!(w.add_row(), 10);
        w.add(f(2), 10, 99);
        w.flush().unwrap();
        let v: Vec<(u64, i64)> = Ints::load(dir.path()).values(f(2)).collect();
        assert_eq!(v.len(), 11);
        assert_eq!(v[10], (10, 99));
        let mut w = IntsWriter::open(dir.path(), 500).unwrap();
        assert_eq!(w.add_row(), 500);
    }

    #[test]
    fn garbage_reads_as_no_values_without_panicking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in [0usize, 3, 24, 25, 100, 4096] {
            let mut junk: Vec<u8> = (0..len)
                .map(|_| crate::testing::next(&mut seed, 256) as u8)
                .collect();
            if len >= 4 {
                junk[..4].copy_from_slice(MAGIC);
            }
            std::fs::write(&path, &junk).unwrap();
            assert_eq!(Ints::load(dir.path()).values(f(1)).count(), 0);
            let mut w = IntsWriter::open(dir.path(), 0).unwrap();
            assert_eq!(w.add_row(), 0);
        }
    }

    /// A file of 40 blocks of three fields of random values; the values written,
    /// by field.
    fn forty_blocks(dir: &Path) -> Vec<Vec<(u64, i64)>> {
        let mut seed = 7u64;
        let mut w = IntsWriter::open(dir, 0).unwrap();
        let mut want = vec![Vec::new(); 3];
        for block in 0..40 {
            for _ in 0..200 {
                let r = w.add_row();
                for (k, want) in want.iter_mut().enumerate() {
                    // Some rows lack a field; a few have two values.
                    for _ in 0..crate::testing::next(&mut seed, 3) {
                        let v = crate::testing::next(&mut seed, 1 << 40) as i64 - (1 << 39);
                        w.add(f(k as u32 + 1), r, v);
                        want.push((r, v));
                    }
                }
            }
            if block % 7 == 3 {
                // A writer opened again rewrites the index from the blocks.
                w.flush().unwrap();
                drop(w);
                w = IntsWriter::open(dir, 0).unwrap();
            } else {
                w.flush().unwrap();
            }
        }
        want
    }

    #[test]
    fn a_field_is_read_from_its_sections_alone() {
        let dir = tempfile::tempdir().unwrap();
        let want = forty_blocks(dir.path());
        let size = std::fs::metadata(dir.path().join(FILE)).unwrap().len() as usize;
        let ints = Ints::load(dir.path());
        assert_eq!(ints.blocks.list.len(), 40);
        let got: Vec<(u64, i64)> = ints.values(f(2)).collect();
        assert_eq!(got, want[1]);
        // Only the field's own sections (about a third of the file) were read, and
        // the last block whole, for its CRC.
        let read = ints.bytes_read.get();
        let last = ints.blocks.list.last().unwrap().len;
        assert!(
            read < size / 3 + last + 64 * 40,
            "{read} of {size} bytes read"
        );
        for k in [0, 2] {
            let got: Vec<(u64, i64)> = ints.values(f(k + 1)).collect();
            assert_eq!(got, want[k as usize]);
        }
    }

    #[test]
    fn a_missing_cut_stale_or_garbled_index_gives_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let want = forty_blocks(dir.path());
        let index = dir.path().join(INDEX);
        let good = std::fs::read(&index).unwrap();
        let check = |what: &str| {
            let ints = Ints::load(dir.path());
            for (k, want) in want.iter().enumerate() {
                let got: Vec<(u64, i64)> = ints.values(f(k as u32 + 1)).collect();
                assert!(got == *want, "{what}: field {k}");
            }
        };
        std::fs::remove_file(&index).unwrap();
        check("no index");
        for cut in [1, 17, good.len() / 2, good.len() - 1] {
            std::fs::write(&index, &good[..cut]).unwrap();
            check(&format!("index cut at {cut}"));
        }
        let mut seed = 3u64;
        for _ in 0..20 {
            let mut bad = good.clone();
            let at = crate::testing::next(&mut seed, bad.len() as u64) as usize;
            bad[at] ^= 1 << crate::testing::next(&mut seed, 8);
            std::fs::write(&index, &bad).unwrap();
            check(&format!("byte {at} flipped"));
        }
        // An index of a longer file, whose last blocks were cut off since.
        std::fs::write(&index, &good).unwrap();
        let path = dir.path().join(FILE);
        let data = std::fs::read(&path).unwrap();
        let ints = Ints::load(dir.path());
        let keep = ints.blocks.list[30].offset;
        std::fs::write(&path, &data[..keep + 5]).unwrap();
        let ints = Ints::load(dir.path());
        assert_eq!(ints.blocks.list.len(), 30);
        let rows = ints.blocks.rows;
        let got: Vec<(u64, i64)> = ints.values(f(1)).collect();
        let expect: Vec<(u64, i64)> = want[0].iter().copied().filter(|x| x.0 < rows).collect();
        assert_eq!(got, expect);
        assert_eq!(rows, 30 * 200);
    }
}

/// The same documents and searches in a partition that keeps its integers in tantivy
/// columns (as partitions made before the file of integers do) and in one that keeps
/// them in the file: every search must find the same sessions, in the same order.
#[cfg(test)]
mod layouts {
    use trawl_output::{Doc, DocOutput};
    use trawl_query::{Match, Query};

    use crate::testing::next;
    use crate::{Kind, SearchOpts, Store, StoreOutput};

    const INTS: [&str; 4] = ["source.port", "source.packets", "tcpflags.syn", "srcTTL"];

    fn value(rng: &mut u64) -> i64 {
        match next(rng, 6) {
            0 => 0,
            1 => -(next(rng, 5) as i64),
            2 => i64::MAX - next(rng, 3) as i64,
            _ => next(rng, 40) as i64,
        }
    }

    fn body(rng: &mut u64, t: i64) -> String {
        let mut parts = vec![format!(r#""firstPacket":{t},"lastPacket":{}"#, t + 5)];
        let mut source = Vec::new();
        if next(rng, 4) > 0 {
            source.push(format!(r#""port":{}"#, value(rng)));
        }
        if next(rng, 4) > 0 {
            source.push(format!(r#""packets":{}"#, value(rng)));
        }
        if !source.is_empty() {
            parts.push(format!(r#""source":{{{}}}"#, source.join(",")));
        }
        if next(rng, 3) > 0 {
            parts.push(format!(r#""tcpflags":{{"syn":{}}}"#, value(rng)));
        }
        let ttls: Vec<String> = (0..next(rng, 4)).map(|_| value(rng).to_string()).collect();
        parts.push(format!(r#""srcTTL":[{}]"#, ttls.join(",")));
        parts.push(format!(r#""node":"n{}""#, next(rng, 3)));
        format!("{{{}}}", parts.join(","))
    }

    fn fields(int: Kind) -> Vec<(String, Kind)> {
        let mut f = vec![
            ("firstPacket".to_string(), Kind::FastInt),
            ("lastPacket".to_string(), Kind::FastInt),
            ("node".to_string(), Kind::Term),
        ];
        f.extend(INTS.iter().map(|n| (n.to_string(), int)));
        f
    }

    /// Writes `docs` (id, body) in one capture into the store under `dir`.
    fn capture(dir: &std::path::Path, int: Kind, docs: &[(String, String)]) {
        let out = StoreOutput::start(dir, fields(int)).unwrap();
        for (id, body) in docs {
            out.emit(Doc {
                index: "sessions3-261201".into(),
                id: Some(id.clone()),
                body: body.clone(),
            });
        }
        out.finish();
    }

    fn random_query(rng: &mut u64, depth: u32) -> Query {
        let db = INTS[next(rng, INTS.len() as u64) as usize].to_string();
        match next(rng, if depth > 2 { 4 } else { 7 }) {
            0 => {
                let lo = value(rng);
                let hi = lo.saturating_add(next(rng, 20) as i64);
                Query::Field {
                    db,
                    m: Match::IntRange(lo, hi),
                }
            }
            1 => Query::Field {
                db,
                m: Match::Exact(value(rng).to_string()),
            },
            2 => Query::Exists(db),
            3 => Query::Field {
                db: "node".into(),
                m: Match::Exact(format!("n{}", next(rng, 3))),
            },
            4 => Query::Not(Box::new(random_query(rng, depth + 1))),
            5 => Query::And(vec![
                random_query(rng, depth + 1),
                random_query(rng, depth + 1),
            ]),
            _ => Query::Or(vec![
                random_query(rng, depth + 1),
                random_query(rng, depth + 1),
            ]),
        }
    }

    #[test]
    fn searches_and_sorts_agree_with_tantivy_columns() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let first: Vec<(String, String)> = (0..200)
            .map(|i| (format!("s{i}"), body(&mut rng, 1000 * i)))
            .collect();
        // A second capture into the same partitions: new sessions and new copies of
        // some old ones, which replace them.
        let second: Vec<(String, String)> = (150..260)
            .map(|i| (format!("s{i}"), body(&mut rng, 1000 * i + 1)))
            .collect();
        let (cols, own) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for (dir, kind) in [(cols.path(), Kind::FastInt), (own.path(), Kind::Int)] {
            capture(dir, kind, &first);
            capture(dir, kind, &second);
        }
        let (cols, own) = (
            Store::open(cols.path()).unwrap(),
            Store::open(own.path()).unwrap(),
        );
        assert_eq!(
            own.parts[0].fields.get("srcTTL").map(|f| f.1),
            Some(Kind::Int)
        );
        assert_eq!(
            cols.parts[0].fields.get("srcTTL").map(|f| f.1),
            Some(Kind::FastInt)
        );
        let opts = SearchOpts {
            limit: 1000,
            ..SearchOpts::default()
        };
        let mut nonempty = 0;
        for _ in 0..400 {
            let q = random_query(&mut rng, 0);
            let (n1, a) = cols.search(&q, &opts).unwrap();
            let (n2, b) = own.search(&q, &opts).unwrap();
            let ids = |h: &[crate::Hit]| h.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
            assert_eq!((n1, ids(&a)), (n2, ids(&b)), "{q:?}");
            nonempty += usize::from(n1 > 0 && n1 < 260);
        }
        // The searches were not all trivially empty or everything.
        assert!(nonempty > 100, "{nonempty}");
        for db in INTS {
            for desc in [false, true] {
                let o = SearchOpts {
                    limit: 30,
                    sort: (db.to_string(), desc),
                    ..SearchOpts::default()
                };
                let (n1, a) = cols.search(&Query::And(vec![]), &o).unwrap();
                let (n2, b) = own.search(&Query::And(vec![]), &o).unwrap();
                assert_eq!(n1, 260);
                let keys = |h: &[crate::Hit]| {
                    h.iter()
                        .map(|h| (h.sort_value, h.id.clone()))
                        .collect::<Vec<_>>()
                };
                assert_eq!((n1, keys(&a)), (n2, keys(&b)), "sort by {db} desc={desc}");
            }
        }
    }
}
