//! `trawl sample`: writes a small pcap built by trawl itself, so a new user (and the
//! README) can run the whole flow without finding a capture first. It holds an HTTP
//! exchange over TCP, a DNS lookup over UDP, an ICMP echo, and an ARP exchange.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use trawl_testkit::wire::{self, tcp_flag::*};
use trawl_testkit::{frame_at_ms, Side, TcpConversation, UdpExchange, CLIENT_MAC, SERVER_MAC};

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

const CLIENT: [u8; 4] = [10, 1, 0, 10];
const SERVER: [u8; 4] = [192, 0, 2, 80];

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

/// An ARP request or reply (`op` 1 or 2) over Ethernet.
fn arp(op: u8, from: ([u8; 6], [u8; 4]), to: ([u8; 6], [u8; 4]), dst_mac: [u8; 6]) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, op];
    a.extend_from_slice(&from.0);
    a.extend_from_slice(&from.1);
    a.extend_from_slice(&to.0);
    a.extend_from_slice(&to.1);
    wire::ethernet(from.0, dst_mac, wire::ethertype::ARP, &a)
}

/// An ICMP echo request (`kind` 8) or reply (0) over IPv4 and Ethernet.
fn echo(kind: u8, src: ([u8; 6], [u8; 4]), dst: ([u8; 6], [u8; 4]), id: u16) -> Vec<u8> {
    let mut e = vec![kind, 0, 0, 0, 0x12, 0x34, 0, 1];
    e.extend_from_slice(b"trawl-sample-ping");
    let c = wire::checksum(&[&e]);
    e[2..4].copy_from_slice(&c.to_be_bytes());
    let ip = wire::ipv4(src.1, dst.1, wire::proto::ICMP, id, &e);
    wire::ethernet(src.0, dst.0, wire::ethertype::IPV4, &ip)
}

/// The sample capture's bytes: a classic little-endian microsecond pcap of Ethernet.
pub fn sample_pcap() -> Vec<u8> {
    let client = (CLIENT_MAC, CLIENT);
    let server = (SERVER_MAC, SERVER);
    let mut frames = vec![
        // ARP who-has and reply for the gateway.
        frame_at_ms(0, arp(1, client, ([0; 6], [10, 1, 0, 1]), [0xff; 6])),
        frame_at_ms(1, arp(2, (SERVER_MAC, [10, 1, 0, 1]), client, CLIENT_MAC)),
    ];

    // DNS lookup.
    frames.extend(
        UdpExchange::new("10.1.0.10:53001", "192.0.2.53:53")
            .at_ms(10)
            .client(&dns_message(0x1234, false))
            .at_ms(25)
            .server(&dns_message(0x1234, true))
            .frames(),
    );

    // HTTP over TCP: handshake, request, response, close.
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
    let (c, s) = (Side::Client, Side::Server);
    frames.extend(
        TcpConversation::new("10.1.0.10:40123", "192.0.2.80:80")
            .initial_seqs(1_000_000, 5_000_000)
            .at_ms(30)
            .send(c, SYN, &[])
            .at_ms(42)
            .send(s, SYN | ACK, &[])
            .at_ms(43)
            .send(c, ACK, &[])
            .send(c, PSH | ACK, req)
            .at_ms(58)
            .send(s, ACK, &[])
            .at_ms(60)
            .send(s, PSH | ACK, &resp)
            .send(c, ACK, &[])
            .at_ms(70)
            .send(c, FIN | ACK, &[])
            .at_ms(80)
            .send(s, FIN | ACK, &[])
            .send(c, ACK, &[])
            .frames(),
    );

    // ICMP echo request and reply.
    frames.push(frame_at_ms(100, echo(8, client, server, 30)));
    frames.push(frame_at_ms(112, echo(0, server, client, 31)));
    trawl_testkit::pcap(&frames)
}
