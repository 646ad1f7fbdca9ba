//! The harness behind the fuzz targets: every parser registered as the capture
//! registers them (with the regression suite's parse-everything settings), and a
//! fuzz input turned into the payloads of one TCP, UDP or SCTP session that a packet
//! thread classifies, parses and saves (so parsers' save code runs too).
//!
//! An input is a list of segments: a length byte (low 7 bits, 0 meaning 128; the high
//! bit sends the segment from the server), then that many bytes. The target adds a
//! fixed first segment (a request line, a greeting) so each reaches its parser.

use std::cell::RefCell;
use std::sync::Arc;

use trawl_config::Config;
use trawl_fields::FieldRegistry;
use trawl_packet::{DecodeTables, Decoder, DecoderOptions, Packet};
use trawl_session::parsers::Classifiers;
use trawl_session::{
    define_core_fields, register_builtin, CoreSettings, InplaceWriter, MProtocols, PacketThread,
    Session, SessionSink, Shared,
};

/// The transport of the session a target builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP, after a handshake.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP: each segment one whole message (a DATA chunk) with this payload
    /// protocol id.
    Sctp(u32),
}

struct Discard;

impl SessionSink for Discard {
    fn save(&mut self, _shared: &Shared, _s: &mut Session, _final: bool) {}
}

struct Harness {
    dec: Decoder,
    pt: PacketThread,
    sport: u16,
}

const CONFIG: &str = "[default]\nparseQSValue=true\nparseCookieValue=true\nsupportSha256=true\n\
parseSMTPHeaderAll=true\nparseHTTPHeaderRequestAll=true\nparseHTTPHeaderResponseAll=true\n\
parseDNSRecordAll=true\nja3Strings=true\nja4Raw=true\nmagicMode=basic\n\
smtpIpHeaders=X-Originating-IP:\n\n[headers-http-request]\nreferer=type:string;count:true\n\n\
[headers-email]\nx-priority=type:integer\n";

/// Everything the capture registers, as the targets' packet threads see it.
struct Registered {
    core_settings: CoreSettings,
    tables: DecodeTables,
    fields: FieldRegistry,
    core: trawl_session::CoreFields,
    mps: MProtocols,
    classifiers: Classifiers,
}

fn registered() -> Registered {
    let cfg = Config::from_str(CONFIG, "fuzz", "fuzz", &[]).expect("fuzz config");
    let core_settings = CoreSettings::new(1);
    let mut tables = DecodeTables::new(DecoderOptions::default());
    let mut fields = FieldRegistry::new();
    let core = define_core_fields(&mut fields);
    let mut mps = MProtocols::new();
    register_builtin(&mut mps, &mut tables, &mut fields, &core_settings);
    let mut classifiers = Classifiers::new(&[]);
    trawl_parsers::register_all(&mut classifiers, &mut fields, &cfg).expect("fuzz parsers");
    Registered {
        core_settings,
        tables,
        fields,
        core,
        mps,
        classifiers,
    }
}

/// Every field the capture defines (what expressions are resolved against).
pub fn field_registry() -> FieldRegistry {
    registered().fields
}

fn harness() -> Harness {
    let Registered {
        core_settings,
        tables,
        fields,
        core,
        mps,
        classifiers,
    } = registered();
    let shared = Arc::new(Shared::new(core_settings, fields, core, mps, classifiers));
    let pt = PacketThread::new(
        0,
        shared,
        Box::new(Discard),
        Box::new(InplaceWriter::default()),
    );
    Harness {
        dec: Decoder::new(Arc::new(tables)),
        pt,
        sport: 40000,
    }
}

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fn ipv4(proto: u8, to_server: bool, l4: &[u8]) -> Vec<u8> {
    let (a, b) = if to_server { (1, 2) } else { (2, 1) };
    let mut v = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, a, 10, 0, 0, b,
    ];
    let len = (20 + l4.len()).min(usize::from(u16::MAX)) as u16;
    v[2..4].copy_from_slice(&len.to_be_bytes());
    v.extend_from_slice(l4);
    v
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + data.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(data);
    t
}

/// An SCTP packet of one unfragmented DATA chunk (stream 0), checksum left 0.
fn sctp(sport: u16, dport: u16, tsn: u32, ppid: u32, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(28 + data.len() + 3);
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0; 8]);
    let clen = (16 + data.len()).min(usize::from(u16::MAX)) as u16;
    p.extend_from_slice(&[0, 0x03]);
    p.extend_from_slice(&clen.to_be_bytes());
    p.extend_from_slice(&tsn.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    p.extend_from_slice(&ppid.to_be_bytes());
    p.extend_from_slice(data);
    while !p.len().is_multiple_of(4) {
        p.push(0);
    }
    p
}

fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + data.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    let len = (8 + data.len()).min(usize::from(u16::MAX)) as u16;
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    u
}

/// Splits an input into (from server, bytes) segments.
pub fn segments(data: &[u8]) -> Vec<(bool, &[u8])> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&head, tail)) = rest.split_first() {
        let n = match usize::from(head & 0x7f) {
            0 => 128,
            n => n,
        }
        .min(tail.len());
        out.push((head & 0x80 != 0, &tail[..n]));
        rest = &tail[n..];
    }
    out
}

/// Runs one session to `port`: `first` from the client, then the input's segments.
pub fn run(transport: Transport, port: u16, first: &[u8], data: &[u8]) {
    HARNESS.with(|h| {
        let mut h = h.borrow_mut();
        let h = h.get_or_insert_with(harness);
        // A new client port per input: a new session each time.
        h.sport = if h.sport >= 60000 { 40000 } else { h.sport + 1 };
        let sport = h.sport;
        let mut packets = Vec::new();
        let mut seq = [1000u32, 5000u32];
        if transport == Transport::Tcp {
            packets.push(ipv4(6, true, &tcp(sport, port, 999, 0, 0x02, b"")));
            packets.push(ipv4(6, false, &tcp(port, sport, 4999, 1000, 0x12, b"")));
        }
        let mut segs = vec![(false, first)];
        segs.extend(segments(data));
        for (from_server, bytes) in segs {
            if bytes.is_empty() {
                continue;
            }
            let d = usize::from(from_server);
            let (sp, dp) = if from_server { (port, sport) } else { (sport, port) };
            let l4 = match transport {
                Transport::Tcp => {
                    let p = tcp(sp, dp, seq[d], seq[1 - d], 0x18, bytes);
                    seq[d] = seq[d].wrapping_add(bytes.len() as u32);
                    (6, p)
                }
                Transport::Udp => (17, udp(sp, dp, bytes)),
                Transport::Sctp(ppid) => {
                    let p = sctp(sp, dp, seq[d], ppid, bytes);
                    seq[d] = seq[d].wrapping_add(1);
                    (132, p)
                }
            };
            packets.push(ipv4(l4.0, !from_server, &l4.1));
        }
        for p in packets {
            if let Some(pkt) = h.dec.enqueue(Packet::from_bytes(&p, 228, 1, 0)) {
                h.pt.process_commands();
                h.pt.process_packet(pkt);
            }
        }
        h.pt.flush_all();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_by_length_bytes() {
        assert_eq!(
            segments(b"\x02ab\x81c\x05de"),
            vec![(false, &b"ab"[..]), (true, b"c"), (false, b"de")]
        );
        // Runs a real exchange through every layer.
        run(Transport::Tcp, 80, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", b"\x8fHTTP/1.1 200 OK");
        run(Transport::Udp, 53, b"\x00", b"");
        run(Transport::Sctp(3), 2905, b"\x01\x00\x03\x01\x00\x00\x00\x08", b"\x02ab");
    }
}
