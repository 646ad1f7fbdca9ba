//! The simple writer end to end: positions point at the records, files rotate, a
//! failing disk is counted and does not stop the caller.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use trawl_packet::{Packet, SessionId};
use trawl_readers::OfflineReader;
use trawl_session::{PacketWriter, Session, SessionType};
use trawl_writer::expire::FreeSpace;
use trawl_writer::{
    create_file, Expiry, FilesRegistry, PcapFile, SimpleConfig, SimpleWriter, WriterThread,
    ZstdBlocks,
};

fn cfg(dir: &Path, max: u64) -> Arc<SimpleConfig> {
    Arc::new(SimpleConfig {
        dirs: vec![dir.join("raw")],
        node: "n1".into(),
        max_file_size: max,
        max_file_time: None,
        write_size: 256,
        gap_packet_pos: true,
        zstd: None,
    })
}

fn session() -> Session {
    Session::new(SessionId::default(), 0, SessionType::Udp, 1, 0)
}

fn pkt(i: u8, len: usize, linktype: u32) -> Packet {
    Packet::from_bytes(&vec![i; len], linktype, 1_700_000_000 + u32::from(i), 10)
}

/// The record at `pos` of `file`: its bytes.
fn record_at(file: &str, pos: u64) -> Vec<u8> {
    let mut r = OfflineReader::open(Path::new(file)).unwrap();
    while let Some(rec) = r.next_record().unwrap() {
        if rec.file_pos == pos {
            return rec.data().to_vec();
        }
    }
    panic!("no record at {pos} in {file}");
}

#[test]
fn positions_point_at_records_and_files_rotate_by_size() {
    let t = tempfile::tempdir().unwrap();
    let reg = Arc::new(FilesRegistry::open(&t.path().join("files"), "n1").unwrap());
    let wt = WriterThread::start(Arc::clone(&reg), Box::new(create_file), 16, None).unwrap();
    let mut w = SimpleWriter::new(cfg(t.path(), 1000), Arc::clone(&reg), &wt, 0);
    let s = session();
    let mut placed = Vec::new();
    for i in 0..20u8 {
        let p = pkt(i, 100 + usize::from(i), 1);
        placed.push((w.write(&s, &p).expect("written"), p.bytes().to_vec()));
    }
    w.finish();
    drop(w);
    let stats = wt.finish();
    assert_eq!(stats.write_errors, 0);
    assert!(
        stats.files >= 2,
        "1000-byte files hold about 8 of these packets"
    );
    assert_eq!(
        placed[0].0,
        (1, 24),
        "first file, first record after the pcap header"
    );
    let files = reg.list();
    assert_eq!(files.len() as u64, stats.files);
    for ((num, pos), bytes) in &placed {
        let f = files.iter().find(|f| f.num == *num).expect("file document");
        assert_eq!(&record_at(&f.name, *pos), bytes, "file {num} at {pos}");
    }
    let f1 = &files[0];
    assert!(f1.name.ends_with("n1-231114-00000001.pcap"), "{}", f1.name);
    assert_eq!(
        f1.filesize,
        Some(std::fs::metadata(&f1.name).unwrap().len())
    );
    assert_eq!(f1.packet_pos_encoding.as_deref(), Some("gap0"));
    assert!(files.iter().map(|f| f.packets.unwrap()).sum::<u64>() == 20);
}

#[test]
fn a_new_link_type_starts_a_new_file() {
    let t = tempfile::tempdir().unwrap();
    let reg = Arc::new(FilesRegistry::open(t.path(), "n1").unwrap());
    let wt = WriterThread::start(Arc::clone(&reg), Box::new(create_file), 16, None).unwrap();
    let mut w = SimpleWriter::new(cfg(t.path(), 1 << 30), Arc::clone(&reg), &wt, 0);
    let s = session();
    let a = w.write(&s, &pkt(1, 60, 1)).unwrap();
    let b = w.write(&s, &pkt(2, 60, 228)).unwrap();
    w.finish();
    drop(w);
    wt.finish();
    assert_ne!(a.0, b.0);
    let f2 = reg.get(b.0).unwrap();
    assert_eq!(
        OfflineReader::open(Path::new(&f2.name)).unwrap().linktype(),
        228
    );
}

/// A disk that fills up after `room` bytes.
struct FullDisk {
    room: usize,
}

impl Write for FullDisk {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if b.len() > self.room {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device",
            ));
        }
        self.room -= b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_disk_is_counted_and_the_caller_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let reg = Arc::new(FilesRegistry::open(t.path(), "n1").unwrap());
    let wt = WriterThread::start(
        Arc::clone(&reg),
        Box::new(|_p: &Path| Ok(Box::new(FullDisk { room: 600 }) as Box<dyn Write + Send>)),
        4,
        None,
    )
    .unwrap();
    let mut w = SimpleWriter::new(cfg(t.path(), 1 << 30), Arc::clone(&reg), &wt, 0);
    let s = session();
    for i in 0..50u8 {
        assert!(
            w.write(&s, &pkt(i, 100, 1)).is_some(),
            "packet threads never block on a failing disk"
        );
    }
    w.finish();
    drop(w);
    let stats = wt.finish();
    assert_eq!(
        stats.write_errors, 1,
        "one log line and one count for the file"
    );
    assert!(stats.dropped_bytes > 0);
    assert!(stats.bytes <= 600);
}

#[test]
fn zstd_blocks_read_back_by_position() {
    let t = tempfile::tempdir().unwrap();
    let reg = Arc::new(FilesRegistry::open(&t.path().join("files"), "n1").unwrap());
    let wt = WriterThread::start(Arc::clone(&reg), Box::new(create_file), 16, None).unwrap();
    let z = ZstdBlocks::new(8192, 0);
    assert_eq!(
        (z.block_size, z.bits()),
        (8191, 13),
        "a power of two is kept below it"
    );
    let mut c = (*cfg(t.path(), 1 << 30)).clone();
    c.zstd = Some(z);
    c.write_size = 4096;
    let mut w = SimpleWriter::new(Arc::new(c), Arc::clone(&reg), &wt, 0);
    let s = session();
    let mut placed = Vec::new();
    for i in 0..600u32 {
        // Packets of varied size and content, some larger than a block.
        let len = if i % 97 == 0 {
            9000
        } else {
            60 + (i as usize * 37) % 1400
        };
        let bytes: Vec<u8> = (0..len).map(|j| (j as u32 * 7 + i) as u8).collect();
        let p = Packet::from_bytes(&bytes, 1, 1_700_000_000 + i, i);
        placed.push((w.write(&s, &p).expect("written"), bytes));
    }
    w.finish();
    drop(w);
    assert_eq!(wt.finish().write_errors, 0);
    let info = reg.get(1).expect("file 1");
    assert!(info.name.ends_with(".pcap.zst"));
    assert_eq!(info.compression.as_deref(), Some("zstd"));
    let raw: u64 = placed.iter().map(|(_, b)| 16 + b.len() as u64).sum();
    assert!(info.filesize.unwrap() < raw / 2, "compressed");
    let blocks: std::collections::BTreeSet<u64> =
        placed.iter().map(|((_, pos), _)| pos >> 13).collect();
    assert!(blocks.len() > 20, "many blocks: {}", blocks.len());
    let mut f = PcapFile::open(&info).unwrap();
    assert_eq!(
        &f.header[20..24],
        &1u32.to_le_bytes(),
        "link type in the header"
    );
    for (i, ((num, pos), bytes)) in placed.iter().enumerate() {
        assert_eq!(*num, 1);
        let r = f.record(*pos).unwrap();
        assert_eq!(&r.data, bytes, "packet {i} at {pos}");
        assert_eq!(
            r.ns,
            (1_700_000_000 + i as u128) * 1_000_000_000 + i as u128 * 1000
        );
    }
    // A position past the end is an error, not a panic.
    assert!(f.record(u64::MAX >> 1).is_err());
}

#[test]
fn free_space_deletes_the_oldest_unlocked_closed_files() {
    assert_eq!(FreeSpace::parse("5%"), Some(FreeSpace::Percent(5.0)));
    assert_eq!(FreeSpace::parse(" 200 "), Some(FreeSpace::Gigabytes(200.0)));
    assert_eq!(FreeSpace::parse("lots"), None);
    assert_eq!(FreeSpace::parse("120%"), None);
    assert_eq!(FreeSpace::Percent(5.0).bytes(1000), 50);

    let t = tempfile::tempdir().unwrap();
    let reg = Arc::new(FilesRegistry::open(&t.path().join("files"), "n1").unwrap());
    let raw = t.path().join("raw");
    // A locked file (read in place) that must survive, numbered first.
    std::fs::create_dir_all(&raw).unwrap();
    let locked = raw.join("input.pcap");
    std::fs::write(&locked, [0u8; 24]).unwrap();
    let n = reg.next_num().unwrap();
    reg.put(&trawl_writer::FileInfo {
        num: n,
        name: locked.display().to_string(),
        node: "n1".into(),
        locked: 1,
        filesize: Some(24),
        ..Default::default()
    })
    .unwrap();
    // The fake disk: 10000 bytes, of which 9000 hold other data, so the free space is
    // 1000 bytes less what is in the pcap directory; 5% (500 bytes) must stay free.
    let dir = raw.clone();
    let space = move |_p: &Path| -> std::io::Result<(u64, u64)> {
        let present: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.metadata().unwrap().len())
            .sum();
        Ok((10_000u64.saturating_sub(present + 9_000), 10_000))
    };
    let wt = WriterThread::start(
        Arc::clone(&reg),
        Box::new(create_file),
        16,
        Some(Expiry {
            dirs: vec![raw.clone()],
            need: FreeSpace::Percent(5.0),
            space: Box::new(space),
        }),
    )
    .unwrap();
    // Files of about 300 bytes each (rotation by size).
    let mut w = SimpleWriter::new(cfg(t.path(), 300), Arc::clone(&reg), &wt, 0);
    let s = session();
    for i in 0..12u8 {
        w.write(&s, &pkt(i, 250, 1)).expect("written");
    }
    w.finish();
    drop(w);
    let stats = wt.finish();
    assert!(stats.expired > 0, "{stats:?}");
    assert!(locked.exists(), "locked files stay");
    let left: Vec<u32> = reg.list().iter().map(|f| f.num).collect();
    assert!(left.contains(&n));
    // What was deleted is the oldest: the files left are the newest ones.
    let written: Vec<u32> = left.iter().copied().filter(|x| *x != n).collect();
    assert!(!written.is_empty());
    let max = *written.iter().max().unwrap();
    assert_eq!(
        written,
        ((max + 1 - written.len() as u32)..=max).collect::<Vec<_>>()
    );
    for f in reg.list() {
        assert!(
            Path::new(&f.name).exists(),
            "documents only for files on disk"
        );
    }
}
