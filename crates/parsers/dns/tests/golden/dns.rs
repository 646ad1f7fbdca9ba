//! DNS over UDP and TCP, LLMNR and mDNS: the `dns` object entries (one per query,
//! joined by its response), and the protocol each adds.

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// A name in wire form: length-prefixed labels and the root's zero.
fn name(n: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in n.split('.') {
        v.push(l.len() as u8);
        v.extend_from_slice(l.as_bytes());
    }
    v.push(0);
    v
}

/// A message header: id, flags and the four section counts.
fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec();
    v.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        v.extend_from_slice(&c.to_be_bytes());
    }
    v
}

/// The question: name, type, class.
fn question(v: &mut Vec<u8>, qname: &str, qtype: u16, qclass: u16) {
    v.extend_from_slice(&name(qname));
    v.extend_from_slice(&qtype.to_be_bytes());
    v.extend_from_slice(&qclass.to_be_bytes());
}

/// A resource record whose owner is already in wire form (a name or a pointer).
fn rr(v: &mut Vec<u8>, owner: &[u8], rtype: u16, class: u16, ttl: u32, rdata: &[u8]) {
    v.extend_from_slice(owner);
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&class.to_be_bytes());
    v.extend_from_slice(&ttl.to_be_bytes());
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    v.extend_from_slice(rdata);
}

/// Over TCP a message follows its 2-byte length.
fn framed(msg: &[u8]) -> Vec<u8> {
    let mut v = (msg.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(msg);
    v
}

// Offsets in a message: the question name starts at 12, right after the header.
const QNAME: [u8; 2] = [0xc0, 12];

#[test]
fn udp_query_and_answer_with_a_cname() {
    let mut query = header(0x1234, 0x0100, [1, 0, 0, 0]); // RD
    question(&mut query, "www.example.com", 1, 1);
    // QR, RD, RA, NOERROR; the CNAME points at "example.com" inside the question
    // (offset 12 + 4 for "\x03www"), and the A record's owner at the same place.
    let mut resp = header(0x1234, 0x8180, [1, 2, 0, 0]);
    question(&mut resp, "www.example.com", 1, 1);
    rr(&mut resp, &QNAME, 5, 1, 300, &[0xc0, 16]);
    rr(&mut resp, &[0xc0, 16], 1, 1, 60, &[93, 184, 216, 34]);

    let frames = UdpExchange::new("10.0.0.1:53000", "10.0.0.53:53")
        .client(&query)
        .server(&resp)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "dns"]));
    assert_eq!(doc["dnsCnt"], json!(1));
    // The query's host and the CNAME target are the hosts; the A record's owner is
    // one of them, so its address is the entry's; no geo databases: "---" and "".
    // Header flags are the response's (RD and RA).
    assert_eq!(
        doc["dns"],
        json!([{
            "opcode": "QUERY",
            "queryHost": "www.example.com",
            "qc": "IN",
            "qt": "A",
            "hostCnt": 2,
            "host": ["www.example.com", "example.com"],
            "ipCnt": 1,
            "ip": ["93.184.216.34"],
            "GEO": ["---"],
            "RIR": [""],
            "headerFlags": ["RD", "RA"],
            "status": "NOERROR",
            "answersCnt": 2,
            "answers": [
                {"cname": "example.com", "class": "IN", "type": "CNAME", "ttl": 300, "name": "www.example.com"},
                {"ip": "93.184.216.34", "class": "IN", "type": "A", "ttl": 60, "name": "example.com"},
            ],
        }])
    );
}

/// An MX lookup with the exchange's address in the additional section, and a TXT
/// answer: by default the exchange is one of the entry's hosts.
fn mx_exchange() -> (Vec<u8>, Vec<u8>) {
    let mut query = header(0xbeef, 0x0100, [1, 0, 0, 0]);
    question(&mut query, "example.org", 15, 1);
    // QR, AA, RD, RA.
    let mut resp = header(0xbeef, 0x8580, [1, 2, 0, 1]);
    question(&mut resp, "example.org", 15, 1);
    let mut mx = 10u16.to_be_bytes().to_vec();
    mx.extend_from_slice(b"\x04mail\xc0\x0c");
    rr(&mut resp, &QNAME, 15, 1, 3600, &mx);
    rr(&mut resp, &QNAME, 16, 1, 3600, b"\x0bv=spf1 -all\x05hello");
    // "\x04mail" sits after the question (12 + 13 + 4) and the MX record's owner,
    // type, class, TTL, length and preference (2 + 2 + 2 + 4 + 2 + 2).
    let mail = [0xc0, 12 + 13 + 4 + 14];
    rr(&mut resp, &mail, 1, 1, 600, &[192, 0, 2, 25]);
    (query, resp)
}

#[test]
fn mx_hosts_by_default_and_mail_servers_with_parse_dns_record_all() {
    let (query, resp) = mx_exchange();
    let frames = UdpExchange::new("10.0.0.1:53001", "10.0.0.53:53")
        .client(&query)
        .server(&resp)
        .frames();
    let answers = json!([
        {"priority": 10, "mx": "mail.example.org", "class": "IN", "type": "MX", "ttl": 3600, "name": "example.org"},
        {"txt": ["v=spf1 -all", "hello"], "class": "IN", "type": "TXT", "ttl": 3600, "name": "example.org"},
        {"ip": "192.0.2.25", "class": "IN", "type": "A", "ttl": 600, "name": "mail.example.org"},
    ]);
    let doc = run_session(crate::register, &frames);
    assert_eq!(
        doc["dns"],
        json!([{
            "opcode": "QUERY",
            "queryHost": "example.org",
            "qc": "IN",
            "qt": "MX",
            "hostCnt": 2,
            "host": ["example.org", "mail.example.org"],
            "ipCnt": 1,
            "ip": ["192.0.2.25"],
            "GEO": ["---"],
            "RIR": [""],
            "headerFlags": ["AA", "RD", "RA"],
            "status": "NOERROR",
            "answersCnt": 3,
            "answers": answers,
        }])
    );

    // parseDNSRecordAll: the exchange is a mail server with its own address list;
    // dnsOutputAnswers=false leaves the answers (and their count) out.
    let doc = run_session(
        |c, f| crate::register_with(c, f, "parseDNSRecordAll=true\ndnsOutputAnswers=false\n"),
        &frames,
    );
    assert_eq!(
        doc["dns"],
        json!([{
            "opcode": "QUERY",
            "queryHost": "example.org",
            "qc": "IN",
            "qt": "MX",
            "hostCnt": 1,
            "host": ["example.org"],
            "mailserverHostCnt": 1,
            "mailserverHost": ["mail.example.org"],
            "mailserverIpCnt": 1,
            "mailserverIp": ["192.0.2.25"],
            "mailserverGEO": ["---"],
            "mailserverRIR": [""],
            "headerFlags": ["AA", "RD", "RA"],
            "status": "NOERROR",
        }])
    );
}

#[test]
fn tcp_two_queries_with_a_length_prefix_split_across_segments() {
    // Two queries on one connection (RFC 7766 pipelining).
    let mut q1 = header(0x0a0c, 0x0100, [1, 0, 0, 0]);
    question(&mut q1, "www.example.net", 1, 1);
    let mut q2 = header(0x0a0b, 0x0100, [1, 0, 0, 0]);
    question(&mut q2, "nonexistent.example.net", 1, 1);
    let mut r1 = header(0x0a0c, 0x8180, [1, 1, 0, 0]);
    question(&mut r1, "www.example.net", 1, 1);
    rr(&mut r1, &QNAME, 1, 1, 300, &[203, 0, 113, 80]);
    // NXDOMAIN with the zone's SOA in the authority section; its owner points at
    // "example.net" in the question (12 + 12 for "\x0bnonexistent").
    let mut r2 = header(0x0a0b, 0x8183, [1, 0, 1, 0]);
    question(&mut r2, "nonexistent.example.net", 1, 1);
    let mut soa = b"\x03ns1\xc0\x18\x0ahostmaster\xc0\x18".to_vec();
    for n in [2024010101u32, 7200, 3600, 1209600, 900] {
        soa.extend_from_slice(&n.to_be_bytes());
    }
    rr(&mut r2, &[0xc0, 24], 6, 1, 900, &soa);
    let client = [framed(&q1), framed(&q2)].concat();
    let server = [framed(&r1), framed(&r2)].concat();
    let (c1, s1) = (framed(&q1).len(), framed(&r1).len());

    // A connection is classified by its first bytes (at least two), so the split
    // length is the second message's: its first byte ends a segment.
    let frames = TcpConversation::new("10.0.0.1:40000", "10.0.0.53:53")
        .handshake()
        .client(&client[..c1 + 1])
        .client(&client[c1 + 1..])
        .server(&server[..10])
        .server(&server[10..s1 + 1])
        .server(&server[s1 + 1..])
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "dns"]));
    assert_eq!(doc["dnsCnt"], json!(2));
    // Entries in the order of Arkime's object hash: 13 buckets, by key hash (FNV-1a
    // of the name, xor opcode << 24 | id << 8, xor qtype << 16 | qclass), which
    // Python gives as 0xf7fc55fc (bucket 5) for the NXDOMAIN query and 0x41de1974
    // (bucket 6) for the first: the second query's entry comes first. The SOA's data
    // is not written: only its class, type, TTL and owner.
    assert_eq!(
        doc["dns"],
        json!([
            {
                "opcode": "QUERY",
                "queryHost": "nonexistent.example.net",
                "qc": "IN",
                "qt": "A",
                "hostCnt": 1,
                "host": ["nonexistent.example.net"],
                "headerFlags": ["RD", "RA"],
                "status": "NXDOMAIN",
                "answersCnt": 1,
                "answers": [
                    {"class": "IN", "type": "SOA", "ttl": 900, "name": "example.net"},
                ],
            },
            {
                "opcode": "QUERY",
                "queryHost": "www.example.net",
                "qc": "IN",
                "qt": "A",
                "hostCnt": 1,
                "host": ["www.example.net"],
                "ipCnt": 1,
                "ip": ["203.0.113.80"],
                "GEO": ["---"],
                "RIR": [""],
                "headerFlags": ["RD", "RA"],
                "status": "NOERROR",
                "answersCnt": 1,
                "answers": [
                    {"ip": "203.0.113.80", "class": "IN", "type": "A", "ttl": 300, "name": "www.example.net"},
                ],
            },
        ])
    );
}

#[test]
fn llmnr_query_and_answer() {
    // LLMNR (RFC 4795) is DNS's format on port 5355; the responder answers unicast.
    let mut query = header(0x4242, 0x0000, [1, 0, 0, 0]);
    question(&mut query, "printer", 28, 1);
    let mut resp = header(0x4242, 0x8000, [1, 1, 0, 0]);
    question(&mut resp, "printer", 28, 1);
    let mut v6 = vec![0xfe, 0x80, 0, 0, 0, 0, 0, 0];
    v6.extend_from_slice(&[0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55]);
    rr(&mut resp, &QNAME, 28, 1, 30, &v6);
    let frames = UdpExchange::new("10.0.0.5:61000", "10.0.0.9:5355")
        .client(&query)
        .server(&resp)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "llmnr"]));
    // No header flag is set in the response: no headerFlags.
    assert_eq!(
        doc["dns"],
        json!([{
            "opcode": "QUERY",
            "queryHost": "printer",
            "qc": "IN",
            "qt": "AAAA",
            "hostCnt": 1,
            "host": ["printer"],
            "ipCnt": 1,
            "ip": ["fe80::211:22ff:fe33:4455"],
            "GEO": ["---"],
            "RIR": [""],
            "status": "NOERROR",
            "answersCnt": 1,
            "answers": [
                {"ip": "fe80::211:22ff:fe33:4455", "class": "IN", "type": "AAAA", "ttl": 30, "name": "printer"},
            ],
        }])
    );
}

#[test]
fn mdns_announcement_without_a_question() {
    // An unsolicited mDNS response (RFC 6762 §8.3): no question, the answer's class
    // with the cache-flush bit (0x8001), which is masked off.
    let mut resp = header(0, 0x8400, [0, 1, 0, 0]);
    rr(
        &mut resp,
        &name("printer.local"),
        1,
        0x8001,
        120,
        &[10, 0, 0, 9],
    );
    let frames = UdpExchange::new("10.0.0.9:5353", "224.0.0.251:5353")
        .client(&resp)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "mdns"]));
    // No question: the entry's host is "<root>", no class or type, no hosts, and the
    // answer's owner is not a host of the entry, so its address is not the entry's.
    assert_eq!(
        doc["dns"],
        json!([{
            "opcode": "QUERY",
            "queryHost": "<root>",
            "headerFlags": ["AA"],
            "status": "NOERROR",
            "answersCnt": 1,
            "answers": [
                {"ip": "10.0.0.9", "class": "IN", "type": "A", "ttl": 120, "name": "printer.local"},
            ],
        }])
    );
}

#[test]
fn tcp_message_too_long_to_keep_is_skipped() {
    // A message of 9000 bytes (more than the 8192 kept) between two queries: it is
    // tagged and its bytes dropped as they go by, across the segments that carry it;
    // the query after it is read.
    let mut q1 = header(0x0101, 0x0100, [1, 0, 0, 0]);
    question(&mut q1, "one.example.org", 1, 1);
    let mut q2 = header(0x0202, 0x0100, [1, 0, 0, 0]);
    question(&mut q2, "two.example.org", 28, 1);
    let mut big = header(0x0303, 0x0100, [1, 0, 0, 0]);
    question(&mut big, "big.example.org", 16, 1);
    big.resize(9000, 0xee);
    let client = [framed(&q1), framed(&big), framed(&q2)].concat();
    let frames = TcpConversation::new("10.0.0.1:40001", "10.0.0.53:53")
        .handshake()
        .segment(1460)
        .client(&client)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "dns"]));
    assert_eq!(doc["tags"], json!(["dns:tcp-message-too-long"]));
    assert_eq!(doc["dnsCnt"], json!(2));
    let mut hosts: Vec<&str> = doc["dns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["queryHost"].as_str().unwrap())
        .collect();
    hosts.sort_unstable();
    assert_eq!(hosts, ["one.example.org", "two.example.org"]);
}
