//! Readers on hand-built files: byte orders, timestamp precisions, pcapng interfaces,
//! gzip, chunk boundaries, and truncated or corrupt input.

use std::io::{Cursor, Write};

use trawl_readers::{Format, OfflineReader, ReadError};

fn pcap(be: bool, nanos: bool, linktype: u32, recs: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() })
    };
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() })
    };
    let mut v = Vec::new();
    w32(&mut v, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    w16(&mut v, 2);
    w16(&mut v, 4);
    w32(&mut v, 0);
    w32(&mut v, 0);
    w32(&mut v, 65535);
    w32(&mut v, linktype);
    for (s, f, d) in recs {
        w32(&mut v, *s);
        w32(&mut v, *f);
        w32(&mut v, d.len() as u32);
        w32(&mut v, d.len() as u32);
        v.extend_from_slice(d);
    }
    v
}

fn reader(bytes: Vec<u8>) -> Result<OfflineReader, ReadError> {
    OfflineReader::from_read(Box::new(Cursor::new(bytes)), "test.pcap")
}

/// (seconds, microseconds, bytes, file position, link type) of each record.
type Got = (u64, u32, Vec<u8>, u64, u32);

fn all(r: &mut OfflineReader) -> (Vec<Got>, Option<ReadError>) {
    let mut out = Vec::new();
    loop {
        match r.next_record() {
            Ok(Some(rec)) => out.push((
                rec.ts_sec,
                rec.ts_usec,
                rec.data().to_vec(),
                rec.file_pos,
                rec.linktype,
            )),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[test]
fn both_byte_orders_and_nanoseconds() {
    for be in [false, true] {
        for nanos in [false, true] {
            let f = if nanos { 123_456_789 } else { 123_456 };
            let mut r = reader(pcap(be, nanos, 1, &[(10, f, b"abcdef"), (11, 0, b"xy")])).unwrap();
            assert_eq!(
                r.format(),
                Format::Pcap {
                    nanos,
                    big_endian: be
                }
            );
            assert_eq!(r.linktype(), 1);
            let (recs, err) = all(&mut r);
            assert!(err.is_none());
            assert_eq!(recs[0], (10, 123_456, b"abcdef".to_vec(), 24, 1));
            assert_eq!(recs[1].3, 24 + 16 + 6);
            assert_eq!(r.stats().records, 2);
        }
    }
}

#[test]
fn records_across_chunk_boundaries_are_whole() {
    let payloads: Vec<Vec<u8>> = (0..200u32)
        .map(|i| vec![i as u8; (i % 97 + 1) as usize])
        .collect();
    let recs: Vec<(u32, u32, &[u8])> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, 0, p.as_slice()))
        .collect();
    let bytes = pcap(false, false, 1, &recs);
    let mut r = OfflineReader::with_chunk_size(Box::new(Cursor::new(bytes)), "t", 100).unwrap();
    let (got, err) = all(&mut r);
    assert!(err.is_none());
    assert_eq!(got.len(), 200);
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g.2, payloads[i]);
    }
}

#[test]
fn truncations_are_reported_with_offsets() {
    let bytes = pcap(
        false,
        false,
        1,
        &[(1, 0, b"0123456789"), (2, 0, b"abcdefghij")],
    );
    assert!(matches!(
        reader(bytes[..10].to_vec()),
        Err(ReadError::Truncated { offset: 0, .. })
    ));
    // Cut inside the second record's header.
    let mut r = reader(bytes[..24 + 26 + 5].to_vec()).unwrap();
    let (recs, err) = all(&mut r);
    assert_eq!(recs.len(), 1);
    assert!(
        matches!(err, Some(ReadError::Truncated { offset: 50, .. })),
        "{err:?}"
    );
    // Cut inside the second record's data.
    let mut r = reader(bytes[..bytes.len() - 3].to_vec()).unwrap();
    let (recs, err) = all(&mut r);
    assert_eq!(recs.len(), 1);
    let e = err.expect("truncation");
    assert!(e.to_string().contains("byte 50"), "{e}");
    assert!(
        r.next_record().unwrap().is_none(),
        "finished after an error"
    );
}

#[test]
fn garbage_empty_and_corrupt_lengths() {
    assert!(matches!(
        reader(b"this is not a capture file".to_vec()),
        Err(ReadError::BadMagic { .. })
    ));
    assert!(matches!(
        reader(Vec::new()),
        Err(ReadError::Truncated { .. })
    ));
    let mut bytes = pcap(false, false, 1, &[(1, 0, b"abc")]);
    bytes[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let mut r = reader(bytes).unwrap();
    assert!(matches!(
        r.next_record(),
        Err(ReadError::Corrupt { offset: 24, .. })
    ));
}

#[test]
fn oversize_records_are_skipped_and_counted() {
    let big = vec![0u8; 70_000];
    let mut r = reader(pcap(false, false, 1, &[(1, 0, &big), (2, 0, b"ok")])).unwrap();
    let (recs, err) = all(&mut r);
    assert!(err.is_none());
    assert_eq!(recs.len(), 1);
    assert_eq!(r.stats().skipped_oversize, 1);
}

#[test]
fn gzip_compressed_pcap() {
    let bytes = pcap(false, false, 113, &[(5, 6, b"hello")]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).unwrap();
    let mut r = reader(gz.finish().unwrap()).unwrap();
    assert_eq!(r.linktype(), 113);
    let (recs, _) = all(&mut r);
    assert_eq!(recs, vec![(5, 6, b"hello".to_vec(), 24, 113)]);
}

fn block(btype: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(&btype.to_le_bytes());
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(body);
    v.extend(std::iter::repeat_n(0, pad));
    v.extend_from_slice(&len.to_le_bytes());
    v
}

fn pcapng() -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    let mut v = block(0x0a0d_0d0a, &shb);
    // Interface 0: Ethernet, microseconds.
    let mut idb0 = vec![1, 0, 0, 0];
    idb0.extend_from_slice(&65535u32.to_le_bytes());
    v.extend(block(1, &idb0));
    // Interface 1: raw IPv4, nanoseconds (if_tsresol = 9).
    let mut idb1 = vec![228, 0, 0, 0];
    idb1.extend_from_slice(&65535u32.to_le_bytes());
    idb1.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
    v.extend(block(1, &idb1));
    let epb = |ifc: u32, ts: u64, data: &[u8]| {
        let mut b = Vec::new();
        b.extend_from_slice(&ifc.to_le_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        block(6, &b)
    };
    v.extend(epb(0, 1_500_000_000_123_456, b"ether"));
    v.extend(block(5, &[0; 8])); // an interface statistics block: skipped
    v.extend(epb(1, 1_500_000_000_123_456_789, b"rawip!"));
    v
}

#[test]
fn pcapng_interfaces_and_resolutions() {
    let mut r = reader(pcapng()).unwrap();
    assert_eq!(r.format(), Format::PcapNg);
    let (recs, err) = all(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(recs.len(), 2);
    assert_eq!(
        (recs[0].0, recs[0].1, recs[0].2.as_slice(), recs[0].4),
        (1_500_000_000, 123_456, &b"ether"[..], 1)
    );
    assert_eq!(
        (recs[1].0, recs[1].1, recs[1].2.as_slice(), recs[1].4),
        (1_500_000_000, 123_456, &b"rawip!"[..], 228)
    );
}

#[test]
fn pcapng_times_after_2106_keep_their_seconds() {
    // 5,000,000,000 s (in 2128) and 1 µs on interface 0 (microseconds): past what
    // 32 bits of seconds hold.
    let ts: u64 = 5_000_000_000_000_001;
    let mut b = Vec::new();
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    b.extend_from_slice(&(ts as u32).to_le_bytes());
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(b"late");
    let mut v = pcapng();
    v.extend(block(6, &b));
    let (recs, err) = all(&mut reader(v).unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        (recs[2].0, recs[2].1, recs[2].2.as_slice()),
        (5_000_000_000, 1, &b"late"[..])
    );
}

#[test]
fn pcapng_unknown_interface_and_bad_lengths() {
    let mut v = pcapng();
    // Point the last packet at interface 7.
    let n = v.len();
    let last_len = u32::from_le_bytes(v[n - 4..].try_into().unwrap()) as usize;
    let start = n - last_len;
    v[start + 8..start + 12].copy_from_slice(&7u32.to_le_bytes());
    let mut r = reader(v).unwrap();
    let (recs, err) = all(&mut r);
    assert_eq!(recs.len(), 1);
    assert!(matches!(err, Some(ReadError::Corrupt { .. })));
    let mut v = pcapng();
    let n = v.len();
    v[n - 40..n - 36].copy_from_slice(&3u32.to_le_bytes());
    let _ = all(&mut reader(v).unwrap());
}

#[test]
fn mutations_never_panic() {
    let bases = [
        pcap(false, false, 1, &[(1, 2, b"abcdefgh"), (3, 4, b"ijklmnop")]),
        pcapng(),
    ];
    let mut seed = 0x1234_5678u32;
    for base in &bases {
        for _ in 0..3000 {
            let mut v = base.clone();
            for _ in 0..3 {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let i = seed as usize % v.len();
                v[i] = (seed >> 24) as u8;
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            v.truncate(seed as usize % (v.len() + 1));
            if let Ok(mut r) = OfflineReader::with_chunk_size(Box::new(Cursor::new(v)), "fuzz", 64)
            {
                let _ = all(&mut r);
            }
        }
    }
}

#[test]
fn every_regression_pcap_reads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/arkime-regression/pcap");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            dir.display()
        );
        eprintln!("skipped: {} not present", dir.display());
        return;
    };
    let mut files = 0;
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("pcap") {
            continue;
        }
        files += 1;
        match OfflineReader::open(&p) {
            Ok(mut r) => {
                let (_, err) = all(&mut r);
                assert!(err.is_none(), "{}: {err:?}", p.display());
            }
            // Arkime's suite has an empty file.
            Err(ReadError::Truncated { .. }) if std::fs::metadata(&p).unwrap().len() < 24 => {}
            Err(e) => panic!("{}: {e}", p.display()),
        }
    }
    assert!(files > 100);
}
