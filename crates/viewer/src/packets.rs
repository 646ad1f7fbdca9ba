//! A session's packets for the page: read back from the pcap files as an export
//! of that one session, each decoded down to its transport payload and marked by
//! direction (sent by the session's source or not).

use base64::Engine as _;
use serde_json::{json, Value};
use trawl_packet::wire::{Ipv4Header, Ipv6Header, TcpHeader};
use trawl_packet::{DecodeTables, DecoderOptions, PacketMeta};

use crate::aggs::first_at;

/// One packet of a pcap image.
struct Rec<'a> {
    ts_ms: i64,
    orig_len: u32,
    data: &'a [u8],
}

/// The link type and records of a classic pcap image; a truncated record ends it.
fn records(pcap: &[u8]) -> (u32, Vec<Rec<'_>>) {
    let Some(head) = pcap.get(..24) else {
        return (1, Vec::new());
    };
    let magic = [head[0], head[1], head[2], head[3]];
    let (le, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => return (1, Vec::new()),
    };
    let u32_at = |b: &[u8], o: usize| -> u32 {
        let x = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if le {
            u32::from_le_bytes(x)
        } else {
            u32::from_be_bytes(x)
        }
    };
    let link = u32_at(head, 20) & 0x0fff_ffff;
    let mut out = Vec::new();
    let mut off = 24usize;
    while let Some(h) = pcap.get(off..off + 16) {
        let (sec, frac, incl, orig) = (u32_at(h, 0), u32_at(h, 4), u32_at(h, 8), u32_at(h, 12));
        let Some(data) = pcap.get(off + 16..off + 16 + incl as usize) else {
            break;
        };
        let ms = i64::from(sec) * 1000 + i64::from(frac) / if nanos { 1_000_000 } else { 1000 };
        out.push(Rec {
            ts_ms: ms,
            orig_len: orig,
            data,
        });
        off += 16 + incl as usize;
    }
    (link, out)
}

/// The source address and port of a decoded packet, and its transport payload.
fn decode<'a>(t: &DecodeTables, link: u32, data: &'a [u8]) -> Option<(String, u16, &'a [u8])> {
    let mut m = PacketMeta {
        linktype: link,
        len: u32::try_from(data.len()).unwrap_or(u32::MAX),
        ..PacketMeta::default()
    };
    t.link(data, &mut m);
    if m.payload_offset == 0 {
        return None;
    }
    let ip_at = data.get(usize::from(m.ip_offset)..)?;
    let src = if m.v6 {
        Ipv6Header::new_checked(ip_at)?.src().to_string()
    } else {
        Ipv4Header::new_checked(ip_at)?.src().to_string()
    };
    let start = usize::from(m.payload_offset);
    let end = start.saturating_add(m.payload_len as usize).min(data.len());
    let ip_payload = data.get(start..end)?;
    Some(match m.ip_protocol {
        6 => {
            let tcp = TcpHeader::new_checked(ip_payload)?;
            let port = tcp.src_port();
            (src, port, ip_payload.get(tcp.header_len()..).unwrap_or(&[]))
        }
        17 => {
            let port = ip_payload
                .get(..2)
                .map_or(0, |p| u16::from_be_bytes([p[0], p[1]]));
            (src, port, ip_payload.get(8..).unwrap_or(&[]))
        }
        _ => (src, 0, ip_payload),
    })
}

/// `/api/session/…/packets`: the first `max` packets of the session whose pcap is
/// `pcap`, each `{src, ts, len, data}` with `data` the base64 of its payload.
pub fn payloads(doc: &Value, pcap: &[u8], max: usize) -> Value {
    let (link, recs) = records(pcap);
    let tables = DecodeTables::new(DecoderOptions::default());
    let sip = first_at(doc, "source.ip")
        .and_then(Value::as_str)
        .unwrap_or("");
    let sport = first_at(doc, "source.port").and_then(Value::as_u64);
    let b64 = base64::engine::general_purpose::STANDARD;
    let truncated = recs.len() > max;
    let packets: Vec<Value> = recs
        .iter()
        .take(max)
        .map(|r| {
            let (from_src, payload) = match decode(&tables, link, r.data) {
                Some((ip, port, payload)) => {
                    // IPv6 addresses compare in one canonical text form.
                    let same_ip = ip == sip
                        || ip.parse::<std::net::IpAddr>().ok()
                            == sip.parse::<std::net::IpAddr>().ok();
                    let same_port = sport.is_none_or(|p| port == 0 || u64::from(port) == p);
                    (same_ip && same_port, payload)
                }
                None => (true, r.data),
            };
            json!({"src": from_src, "ts": r.ts_ms, "len": r.orig_len, "data": b64.encode(payload)})
        })
        .collect();
    json!({"packets": packets, "truncated": truncated})
}

#[cfg(test)]
mod tests {
    use super::*;

    use trawl_testkit::{wire, Frame};

    /// A pcap image (Ethernet, µs) of the given frames, at 100.0005 s, 101.0005 s, ...
    fn pcap(frames: &[&[u8]]) -> Vec<u8> {
        let frames: Vec<Frame> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| Frame::ethernet(100 + i as u32, 500, f.to_vec()))
            .collect();
        trawl_testkit::pcap(&frames)
    }

    /// Ethernet + IPv4 + UDP from `src`:`sport` to port 53, carrying `data`.
    fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, data: &[u8]) -> Vec<u8> {
        let udp = wire::udp(src.into(), sport, dst.into(), 53, data);
        let ip = wire::ipv4(src, dst, 17, 0, &udp);
        wire::ethernet([0; 6], [0; 6], 0x0800, &ip)
    }

    #[test]
    fn payloads_by_direction() {
        let q = udp([10, 0, 0, 1], [10, 0, 0, 2], 4000, b"query");
        let a = udp([10, 0, 0, 2], [10, 0, 0, 1], 53, b"answer");
        let doc = json!({"source": {"ip": "10.0.0.1", "port": 4000}});
        let v = payloads(&doc, &pcap(&[&q, &a]), 10);
        let p = v["packets"].as_array().unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0]["src"], json!(true));
        assert_eq!(p[0]["data"], json!("cXVlcnk="), "base64 of 'query'");
        assert_eq!(p[0]["ts"], json!(100_000));
        assert_eq!(p[1]["src"], json!(false));
        assert_eq!(p[1]["len"], json!(a.len()));
        assert_eq!(v["truncated"], json!(false));
        let v = payloads(&doc, &pcap(&[&q, &a]), 1);
        assert_eq!(v["truncated"], json!(true));
        // A cut image ends at the last whole record; garbage gives nothing.
        let img = pcap(&[&q, &a]);
        assert_eq!(
            payloads(&doc, &img[..img.len() - 3], 9)["packets"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert!(payloads(&doc, b"garbage", 9)["packets"]
            .as_array()
            .unwrap()
            .is_empty());
    }
}
