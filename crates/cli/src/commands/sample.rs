//! `trawl sample`: writes a small pcap built by trawl itself, so a new user (and the
//! README) can run the whole flow without finding a capture first. It holds an HTTP
//! exchange over TCP, a DNS lookup over UDP, an ICMP echo, and an ARP exchange.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

/// Options of `trawl sample`.
#[derive(Args, Debug)]
pub struct SampleArgs {
    /// Where to write the pcap.
    #[arg(default_value = "sample.pcap")]
    pub out: PathBuf,
}

/// Writes the sample pcap.
pub fn run(a: SampleArgs) -> Result<ExitCode> {
    let bytes = sample_pcap();
    let mut f =
        std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    f.write_all(&bytes)
        .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!("wrote {} ({} bytes)", a.out.display(), bytes.len());
    Ok(ExitCode::SUCCESS)
}

const CLIENT_MAC: [u8; 6] = [0x00, 0x1f, 0x5b, 0x10, 0x20, 0x30];
const SERVER_MAC: [u8; 6] = [0x00, 0x13, 0x72, 0x40, 0x50, 0x60];
const CLIENT: [u8; 4] = [10, 1, 0, 10];
const SERVER: [u8; 4] = [192, 0, 2, 80];
const RESOLVER: [u8; 4] = [192, 0, 2, 53];

fn checksum(b: &[u8]) -> u16 {
    let mut sum = 0u32;
    for c in b.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ether(src: [u8; 6], dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0];
    let total = (20 + payload.len()) as u16;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

fn l4_checksum(src: [u8; 4], dst: [u8; 4], proto: u8, seg: &[u8]) -> u16 {
    let mut pseudo = Vec::with_capacity(12 + seg.len());
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, proto]);
    pseudo.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(seg);
    checksum(&pseudo)
}

#[allow(clippy::too_many_arguments)]
fn tcp(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + data.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    t.extend_from_slice(data);
    let c = l4_checksum(src, dst, 6, &t);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + data.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let c = l4_checksum(src, dst, 17, &u);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

fn dns_message(id: u16, response: bool) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(if response {
        &[0x81, 0x80]
    } else {
        &[0x01, 0x00]
    });
    m.extend_from_slice(&[0, 1, 0, u8::from(response), 0, 0, 0, 0]);
    for label in ["www", "example", "com"] {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    if response {
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        m.extend_from_slice(&SERVER);
    }
    m
}

/// The sample capture's bytes: a classic little-endian microsecond pcap of Ethernet.
pub fn sample_pcap() -> Vec<u8> {
    let mut frames: Vec<(u32, u32, Vec<u8>)> = Vec::new();
    let base = 1_700_000_000u32;
    let mut at = |ms: u32, f: Vec<u8>| frames.push((base + ms / 1000, (ms % 1000) * 1000, f));

    // ARP who-has and reply for the gateway.
    let mut arp_req = vec![0, 1, 8, 0, 6, 4, 0, 1];
    arp_req.extend_from_slice(&CLIENT_MAC);
    arp_req.extend_from_slice(&CLIENT);
    arp_req.extend_from_slice(&[0; 6]);
    arp_req.extend_from_slice(&[10, 1, 0, 1]);
    at(0, ether(CLIENT_MAC, [0xff; 6], 0x0806, &arp_req));
    let mut arp_rep = vec![0, 1, 8, 0, 6, 4, 0, 2];
    arp_rep.extend_from_slice(&SERVER_MAC);
    arp_rep.extend_from_slice(&[10, 1, 0, 1]);
    arp_rep.extend_from_slice(&CLIENT_MAC);
    arp_rep.extend_from_slice(&CLIENT);
    at(1, ether(SERVER_MAC, CLIENT_MAC, 0x0806, &arp_rep));

    // DNS lookup.
    let q = udp(CLIENT, 53001, RESOLVER, 53, &dns_message(0x1234, false));
    at(
        10,
        ether(
            CLIENT_MAC,
            SERVER_MAC,
            0x0800,
            &ipv4(CLIENT, RESOLVER, 17, 1, &q),
        ),
    );
    let r = udp(RESOLVER, 53, CLIENT, 53001, &dns_message(0x1234, true));
    at(
        25,
        ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(RESOLVER, CLIENT, 17, 2, &r),
        ),
    );

    // HTTP over TCP: handshake, request, response, close.
    let (cs, ss) = (1_000_000u32, 5_000_000u32);
    let req = b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: trawl-sample/1.0\r\nAccept: */*\r\n\r\n";
    let body = b"<html><body>hello from trawl</body></html>\n";
    let resp = [
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        body.to_vec(),
    ]
    .concat();
    let c2s = |ms: u32, seq: u32, ack: u32, fl: u8, d: &[u8], id: u16| {
        (
            ms,
            ether(
                CLIENT_MAC,
                SERVER_MAC,
                0x0800,
                &ipv4(
                    CLIENT,
                    SERVER,
                    6,
                    id,
                    &tcp(CLIENT, 40123, SERVER, 80, seq, ack, fl, d),
                ),
            ),
        )
    };
    let s2c = |ms: u32, seq: u32, ack: u32, fl: u8, d: &[u8], id: u16| {
        (
            ms,
            ether(
                SERVER_MAC,
                CLIENT_MAC,
                0x0800,
                &ipv4(
                    SERVER,
                    CLIENT,
                    6,
                    id,
                    &tcp(SERVER, 80, CLIENT, 40123, seq, ack, fl, d),
                ),
            ),
        )
    };
    let rl = req.len() as u32;
    let pl = resp.len() as u32;
    for (ms, f) in [
        c2s(30, cs, 0, 0x02, &[], 10),
        s2c(42, ss, cs + 1, 0x12, &[], 20),
        c2s(43, cs + 1, ss + 1, 0x10, &[], 11),
        c2s(44, cs + 1, ss + 1, 0x18, req, 12),
        s2c(58, ss + 1, cs + 1 + rl, 0x10, &[], 21),
        s2c(60, ss + 1, cs + 1 + rl, 0x18, &resp, 22),
        c2s(61, cs + 1 + rl, ss + 1 + pl, 0x10, &[], 13),
        c2s(70, cs + 1 + rl, ss + 1 + pl, 0x11, &[], 14),
        s2c(80, ss + 1 + pl, cs + 2 + rl, 0x11, &[], 23),
        c2s(81, cs + 2 + rl, ss + 2 + pl, 0x10, &[], 15),
    ] {
        at(ms, f);
    }

    // ICMP echo request and reply.
    let mut echo = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1];
    echo.extend_from_slice(b"trawl-sample-ping");
    let c = checksum(&echo);
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    at(
        100,
        ether(
            CLIENT_MAC,
            SERVER_MAC,
            0x0800,
            &ipv4(CLIENT, SERVER, 1, 30, &echo),
        ),
    );
    echo[0] = 0;
    echo[2..4].copy_from_slice(&[0, 0]);
    let c = checksum(&echo);
    echo[2..4].copy_from_slice(&c.to_be_bytes());
    at(
        112,
        ether(
            SERVER_MAC,
            CLIENT_MAC,
            0x0800,
            &ipv4(SERVER, CLIENT, 1, 31, &echo),
        ),
    );

    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (sec, usec, f) in frames {
        out.extend_from_slice(&sec.to_le_bytes());
        out.extend_from_slice(&usec.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out
}
