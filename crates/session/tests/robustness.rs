//! Random mutations of the regression suite's packets through the enqueue phase and a
//! packet thread (with every built-in mprotocol and tunnel): nothing may panic.

use std::sync::Arc;

use trawl_fields::FieldRegistry;
use trawl_packet::{DecodeTables, Decoder, DecoderOptions, Packet};
use trawl_session::{
    define_core_fields, register_builtin, CoreSettings, InplaceWriter, MProtocols, PacketThread,
    Session, SessionSink, Shared,
};

struct Discard;

impl SessionSink for Discard {
    fn save(&mut self, _shared: &Shared, _s: &mut Session, _final: bool) {}
}

fn thread_and_decoder() -> (Decoder, PacketThread) {
    let mut settings = CoreSettings::new(1);
    settings.track_esp = true;
    settings.max_streams = [64; 6];
    settings.max_packets = 50;
    let opts = DecoderOptions {
        save: trawl_packet::SaveUnknownPackets::parse(&["all", "corrupt"]).unwrap(),
        ..Default::default()
    };
    let mut tables = DecodeTables::new(opts);
    trawl_packet::encap::register_all(&mut tables);
    let mut fields = FieldRegistry::new();
    let core = define_core_fields(&mut fields);
    let mut mps = MProtocols::new();
    register_builtin(&mut mps, &mut tables, &mut fields, &settings);
    let shared = Arc::new(Shared::new(settings, fields, core, mps, Default::default()));
    (
        Decoder::new(Arc::new(tables)),
        PacketThread::new(
            0,
            shared,
            Box::new(Discard),
            Box::new(InplaceWriter::default()),
        ),
    )
}

/// Packets (bytes, link type) from the regression pcaps, if present.
fn corpus() -> Vec<(Vec<u8>, u32)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/arkime-regression/pcap");
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            dir.display()
        );
        eprintln!("skipped: {} not present", dir.display());
        return out;
    };
    let mut names: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    names.sort();
    for p in names {
        let Ok(mut r) = trawl_readers::OfflineReader::open(&p) else {
            continue;
        };
        let mut n = 0;
        while let Ok(Some(rec)) = r.next_record() {
            out.push((rec.data().to_vec(), rec.linktype));
            n += 1;
            if n == 40 {
                break;
            }
        }
    }
    out
}

#[test]
fn mutated_real_packets_never_panic() {
    let corpus = corpus();
    let (mut d, mut pt) = thread_and_decoder();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..4 {
        for (i, (bytes, lt)) in corpus.iter().enumerate() {
            let mut b = bytes.clone();
            if round > 0 && !b.is_empty() {
                for _ in 0..(1 + next() % 4) {
                    let at = (next() as usize) % b.len();
                    b[at] = next() as u8;
                }
                if next() % 3 == 0 {
                    b.truncate((next() as usize) % (b.len() + 1));
                }
            }
            let p = Packet::from_bytes(&b, *lt, 1_700_000_000 + (i as u32 / 7), 0);
            if let Some(p) = d.enqueue(p) {
                pt.process_commands();
                pt.process_packet(p);
            }
        }
    }
    pt.flush_all();
    assert!(
        corpus.is_empty() || pt.stats.packets > 1000,
        "the corpus was exercised: {}",
        pt.stats.packets
    );
}
