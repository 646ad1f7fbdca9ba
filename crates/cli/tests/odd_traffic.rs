//! `trawl capture` on traffic where real captures showed Arkime doing one thing and
//! trawl another (issue 17's list): each test builds the bytes that show it and
//! checks the document Arkime would write.

use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};
use trawl_testkit::wire::{self, TcpHeader};
use trawl_testkit::{pcap, Frame, TcpConversation};

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

fn capture(dir: &Path, frames: &[Frame], opts: &[&str]) -> Output {
    let p = dir.join("in.pcap");
    std::fs::write(&p, pcap(frames)).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_trawl"));
    c.args(["capture", "--tests", "-n", "test"]);
    for o in opts {
        c.args(["-o", o]);
    }
    c.arg("-r").arg(&p).output().unwrap()
}

fn docs(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    v["sessions3"]
        .as_array()
        .expect("sessions3")
        .iter()
        .map(|s| s["body"].clone())
        .collect()
}

fn ether(ethertype: u16, payload: &[u8]) -> Frame {
    Frame::ethernet(
        1_700_000_000,
        0,
        wire::ethernet(MAC_A, MAC_B, ethertype, payload),
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn packet_len_is_kept_in_16_bits_as_arkime_keeps_it() {
    // A 65535-byte frame: Ethernet 14 + IPv4 20 + UDP 8 + 65493 bytes of data.
    let data = vec![0x61; 65535 - 14 - 20 - 8];
    let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
    let u = wire::udp(a, 5000, b, 6000, &data);
    let f = ether(0x0800, &wire::ip(a, b, 17, 1, &u));
    assert_eq!(f.bytes.len(), 65535);
    let t = tempfile::tempdir().unwrap();
    let d = docs(&capture(t.path(), &[f], &["enablePacketLen=true"]));
    assert_eq!(d.len(), 1);
    // 16 + 65535 = 65551, which wraps to 15 in 16 bits (--tests writes no file
    // marker before it, as in Arkime's regression documents).
    assert_eq!(d[0]["packetLen"], json!([15]));
}

#[test]
fn ipv4_mapped_ipv6_endpoints_stay_ipv6() {
    // An IPv6 packet between IPv4-mapped addresses is an IPv6 session: Arkime writes
    // its ends with inet_ntop.
    let (a, b) = (ip("::ffff:10.0.0.1"), ip("::ffff:10.0.0.2"));
    let u = wire::udp(a, 5000, b, 6000, b"hello");
    let f = ether(0x86dd, &wire::ip(a, b, 17, 1, &u));
    let t = tempfile::tempdir().unwrap();
    let d = docs(&capture(t.path(), &[f], &[]));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["source"]["ip"], "::ffff:10.0.0.1");
    assert_eq!(d[0]["destination"]["ip"], "::ffff:10.0.0.2");
}

/// An IPv6 packet whose payload is a fragment header then `data`.
fn ip6_fragment(ident: u32, offset_units: u16, more: bool, data: &[u8]) -> Frame {
    let mut p = vec![17, 0];
    p.extend_from_slice(&((offset_units << 3) | u16::from(more)).to_be_bytes());
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(data);
    let a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut b = a;
    b[15] = 2;
    ether(0x86dd, &wire::ipv6(a, b, 44, &p))
}

#[test]
fn ipv6_fragments_make_no_session_unless_reassembly_is_enabled() {
    let (a, b) = (ip("2001:db8::1"), ip("2001:db8::2"));
    let dgram = wire::udp(a, 3000, b, 4000, &[0x5a; 40]);
    let (x, y) = dgram.split_at(16);
    let frames = [ip6_fragment(9, 0, true, x), ip6_fragment(9, 2, false, y)];
    let t = tempfile::tempdir().unwrap();
    let out = capture(t.path(), &frames, &[]);
    assert_eq!(docs(&out), Vec::<Value>::new(), "Arkime drops them");
    let d = docs(&capture(t.path(), &frames, &["enableIp6Defrag=true"]));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["ipProtocol"], 17);
    assert_eq!(d[0]["destination"]["port"], 4000);
    assert_eq!(d[0]["network"]["packets"], 1, "one reassembled packet");
}

#[test]
fn corrupt_ip_tcp_sessions_have_tcpflags() {
    // A TCP header claiming 4 words (under the minimum of 5): corrupt-ip, which
    // makes a session when saveUnknownPackets has `corrupt`.
    let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
    let h = TcpHeader {
        sport: 1234,
        dport: 80,
        seq: 1,
        ack: 0,
        flags: 0x02,
        window: 1024,
    };
    let mut seg = wire::tcp(a, b, h, b"");
    seg[12] = 0x40;
    let f = ether(0x0800, &wire::ip(a, b, 6, 1, &seg));
    let t = tempfile::tempdir().unwrap();
    let d = docs(&capture(t.path(), &[f], &["saveUnknownPackets=corrupt"]));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["protocol"], json!(["corrupt-ip"]));
    assert_eq!(d[0]["ipProtocol"], 6);
    let zero = [
        "syn", "syn-ack", "ack", "psh", "fin", "rst", "urg", "ece", "cwr", "ae",
    ]
    .iter()
    .chain(&["srcZero", "dstZero"])
    .map(|k| (k.to_string(), json!(0)))
    .collect::<serde_json::Map<_, _>>();
    assert_eq!(d[0]["tcpflags"], Value::Object(zero));
}

#[test]
fn a_nul_ends_a_string_value() {
    // An SSH version line padded with NULs before its CR LF (ssh.version is
    // lower-cased).
    let frames = TcpConversation::new("10.0.0.1:50000", "10.0.0.2:22")
        .handshake()
        .server(b"SSH-2.0-OpenSSH_8.9\0\0\0\r\n")
        .client(b"SSH-2.0-PuTTY_0.78\r\n")
        .close()
        .frames();
    let t = tempfile::tempdir().unwrap();
    let d = docs(&capture(t.path(), &frames, &[]));
    assert_eq!(d.len(), 1);
    let mut v: Vec<String> = serde_json::from_value(d[0]["ssh"]["version"].clone()).unwrap();
    v.sort();
    assert_eq!(v, ["ssh-2.0-openssh_8.9", "ssh-2.0-putty_0.78"]);
}

#[test]
fn a_file_cut_inside_a_record_keeps_its_packets_and_exits_0() {
    let frames = TcpConversation::new("10.0.0.1:50001", "10.0.0.2:22")
        .handshake()
        .client(b"SSH-2.0-PuTTY_0.78\r\n")
        .frames();
    let t = tempfile::tempdir().unwrap();
    let bytes = pcap(&frames);
    let p = t.path().join("cut.pcap");
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["capture", "--tests", "-n", "test", "-r"])
        .arg(&p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated at byte"), "{err}");
    let d = docs(&out);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0]["network"]["packets"],
        frames.len() - 1,
        "all but the cut record"
    );
}

/// A pcapng block: type, length, body padded to 4 bytes, length.
fn ng_block(btype: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    let mut v = btype.to_le_bytes().to_vec();
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(body);
    v.extend(std::iter::repeat_n(0, pad));
    v.extend_from_slice(&len.to_le_bytes());
    v
}

#[test]
fn pcapng_times_after_2106_are_kept() {
    // Section header, an Ethernet interface in microseconds, one packet at
    // 5,000,000,000 s (in 2128) and 250 ms.
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    let mut file = ng_block(0x0a0d_0d0a, &shb);
    let mut idb = vec![1, 0, 0, 0];
    idb.extend_from_slice(&65535u32.to_le_bytes());
    file.extend(ng_block(1, &idb));
    let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
    let frame = ether(
        0x0800,
        &wire::ip(a, b, 17, 1, &wire::udp(a, 5000, b, 6000, b"x")),
    )
    .bytes;
    let ts: u64 = 5_000_000_000 * 1_000_000 + 250_000;
    let mut epb = 0u32.to_le_bytes().to_vec();
    epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    epb.extend_from_slice(&(ts as u32).to_le_bytes());
    epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    epb.extend_from_slice(&frame);
    file.extend(ng_block(6, &epb));
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("late.pcapng");
    std::fs::write(&p, file).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["capture", "--tests", "-n", "test", "-r"])
        .arg(&p)
        .output()
        .unwrap();
    let d = docs(&out);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["firstPacket"], 5_000_000_000_250u64);
    assert_eq!(d[0]["lastPacket"], 5_000_000_000_250u64);
}
