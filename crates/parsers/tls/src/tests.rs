//! Tests on handshakes cut from the regression pcaps (badcurveball: TLS 1.2 with an
//! ECDSA chain; ssl-selfsign: SSLv3 with a self-signed RSA certificate), with the
//! values Arkime wrote for them.

use super::certs::{parse_certificate, parse_certificate_list};
use super::hello::{client_hello, is_grease, server_hello, version_name};
use std::ops::ControlFlow;

use trawl_parser_common::frame::{for_each_frame, Frame};
use trawl_session::parsers::Parsed;

use super::{hash_order, record_frame, MAX_BUFFER};

const CURVE_CLIENT: &[u8] = include_bytes!("testdata/badcurveball-client.bin");
const CURVE_SERVER: &[u8] = include_bytes!("testdata/badcurveball-server.bin");
const SELF_CLIENT: &[u8] = include_bytes!("testdata/ssl-selfsign-client.bin");
const SELF_SERVER: &[u8] = include_bytes!("testdata/ssl-selfsign-server.bin");

/// The framework's part: holds what [`record_frame`] leaves incomplete and hands
/// it back in front of the next piece; `f` sees each whole record.
struct Held(Vec<u8>);

impl Held {
    fn feed(&mut self, piece: &[u8], mut f: impl FnMut(&[u8])) -> Parsed {
        self.0.extend_from_slice(piece);
        let r = for_each_frame(&self.0, record_frame, |rec| {
            f(rec);
            ControlFlow::Continue(())
        });
        if let Parsed::Incomplete { consumed, .. } = r {
            self.0.drain(..consumed);
        }
        r
    }
}

/// The handshake records of a stream, cut from `chunk`-sized pieces.
fn records(stream: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let mut h = Held(Vec::new());
    let mut out = Vec::new();
    for piece in stream.chunks(chunk) {
        let r = h.feed(piece, |rec| out.push(rec.to_vec()));
        assert!(matches!(r, Parsed::Incomplete { .. }), "{r:?}");
    }
    assert!(h.0.is_empty());
    out
}

/// The handshake messages (type, body) of a record.
fn messages(rec: &[u8]) -> Vec<(u8, &[u8])> {
    let mut b = &rec[5..];
    let mut out = Vec::new();
    while b.len() >= 4 {
        let l = usize::from(b[1]) << 16 | usize::from(b[2]) << 8 | usize::from(b[3]);
        let n = b.len().min(l + 4);
        out.push((b[0], &b[4..n]));
        b = &b[n..];
    }
    out
}

#[test]
fn client_hello_fingerprints() {
    let h = client_hello(&CURVE_CLIENT[5..], true).expect("hello");
    assert_eq!(h.ja3.as_deref(), Some("66918128f1b9b03303d77c6f2eefd128"));
    assert_eq!(
        h.ja3_string.as_deref().unwrap_or(""),
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53-10,\
         0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0"
    );
    assert_eq!(h.ja4, "t13d1615H2_46e7e9700bed_45f260be83e2");
    assert_eq!(
        h.ja4_r.as_deref().unwrap_or(""),
        "t13d1615H2_000a,002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,\
         cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,ff01_0403,\
         0804,0401,0503,0805,0501,0806,0601,0201"
    );
    assert_eq!(
        h.session_id.as_deref(),
        Some("078a389ef1767da304d9e10cc7a9441a734513694d3a353ed9522ac47f9c8aa4")
    );
    assert_eq!(h.sni.as_deref(), Some("bad.curveballtest.com"));
    // Over UDP the JA4 transport letter changes, nothing else.
    let q = client_hello(&CURVE_CLIENT[5..], false).expect("hello");
    assert_eq!(&q.ja4[..1], "q");
    assert_eq!(q.ja4[1..], h.ja4[1..]);
}

#[test]
fn sslv3_client_hello_without_extensions() {
    let h = client_hello(&SELF_CLIENT[5..], true).expect("hello");
    assert_eq!(h.ja3.as_deref(), Some("03e697d7655911e630ee3ee8e2a02ba4"));
    assert_eq!(
        h.ja3_string.as_deref().unwrap_or(""),
        "768,57-56-53-22-19-10-51-50-47-154-153-150-5-4-21-18-9-20-17-8-6-3-255,,,"
    );
    assert_eq!(h.ja4, "ts3i230000_6a57a6f57151_000000000000");
    assert!(h.ja4_r.as_deref().unwrap_or("").ends_with(",00ff_"));
    assert_eq!(h.sni, None);
    assert_eq!(h.session_id, None);
}

#[test]
fn split_client_hello_is_reassembled() {
    // One byte at a time, a few odd sizes, and whole: the same single record.
    for chunk in [1, 2, 3, 5, 7, 100, CURVE_CLIENT.len()] {
        let recs = records(CURVE_CLIENT, chunk);
        assert_eq!(recs, vec![CURVE_CLIENT.to_vec()], "chunk {chunk}");
    }
    // Cut inside the record: nothing consumed, the whole record needed.
    assert_eq!(
        record_frame(&CURVE_CLIENT[..300]),
        Frame::Partial {
            needed: CURVE_CLIENT.len()
        }
    );
    assert_eq!(
        record_frame(&CURVE_CLIENT[..3]),
        Frame::Partial { needed: 5 }
    );
    assert_eq!(record_frame(CURVE_CLIENT), Frame::Whole(CURVE_CLIENT.len()));
}

#[test]
fn server_hello_and_certificates() {
    let recs = records(CURVE_SERVER, 1374);
    let msgs: Vec<(u8, &[u8])> = recs.iter().flat_map(|r| messages(r)).collect();
    let (_, sh) = msgs.iter().find(|(t, _)| *t == 2).expect("server hello");
    let h = server_hello(sh).expect("parsed");
    assert_eq!(h.cipher, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(h.versions, vec!["TLSv1.2".to_string()]);
    assert_eq!(h.ja3s_string.as_deref(), Some("771,49195,0-65281-11-35-16"));
    assert_eq!(h.ja3s.as_deref(), Some("2d1eb5817ece335c24904f516ad5da12"));
    assert!(!h.http2);

    let (_, cm) = msgs.iter().find(|(t, _)| *t == 11).expect("certificate");
    let certs = parse_certificate_list(cm);
    assert_eq!(certs.len(), 2);
    // Arkime's document for this session, its first packet at 1579293816.
    assert_eq!(
        certs[0].to_json(1_579_293_816),
        "{\"hash\":\"af:cc:00:61:95:f8:2b:59:cf:4a:d2:3b:34:d7:b8:a2:1a:b7:4d:af\",\
         \"publicAlgorithm\":\"id-ecPublicKey\",\"curve\":\"secp384r1\",\
         \"issuerCN\":[\"infigo\"],\"issuerON\":[\"INFIGO IS\"],\
         \"subjectCN\":[\"sans isc dshield test\"],\"subjectON\":[\"SANS Internet Storm Center\"],\
         \"serial\":\"5ecb7cee8ca206bf9ec00728889ad99f4362cfd9\",\
         \"altCnt\":1,\"alt\":[\"bad.curveballtest.com\"],\
         \"notBefore\":1521875742000,\"notAfter\":1584947742000,\
         \"remainingDays\":65,\"remainingSeconds\":5653926,\
         \"validDays\":730,\"validSeconds\":63072000}"
    );
    // The second one's curve is given as explicit parameters: Arkime says corrupt.
    assert_eq!(certs[1].curve, Some("corrupt"));
    assert_eq!(certs[1].public_algorithm, Some("id-ecPublicKey"));
    assert!(!certs[0].same_as(&certs[1]));
    assert!(certs[0].same_as(&certs[0].clone()));
    let order = hash_order(&[certs[0].order_hash(), certs[1].order_hash()]);
    assert_eq!(order, vec![0, 1]);
}

#[test]
fn self_signed_sslv3() {
    let recs = records(SELF_SERVER, 40);
    let msgs: Vec<(u8, &[u8])> = recs.iter().flat_map(|r| messages(r)).collect();
    let (_, sh) = msgs.iter().find(|(t, _)| *t == 2).expect("server hello");
    let h = server_hello(sh).expect("parsed");
    assert_eq!(h.versions, vec!["SSLv3".to_string()]);
    assert_eq!(h.cipher, "TLS_RSA_WITH_AES_256_CBC_SHA");
    assert_eq!(h.ja3s_string.as_deref(), Some("768,53,65281"));
    assert_eq!(
        h.session_id.as_deref(),
        Some("d8085c19d95282c3729bf84782c55e9464780f2721648365a55ad6be14ede710")
    );
    let (_, cm) = msgs.iter().find(|(t, _)| *t == 11).expect("certificate");
    let certs = parse_certificate_list(cm);
    assert_eq!(certs.len(), 1);
    let c = &certs[0];
    assert!(c.looks_self_signed());
    assert!(!c.is_ca);
    assert_eq!(
        c.hash,
        "d5:14:6c:45:45:60:f6:78:1e:67:bb:5a:67:b6:89:d4:98:a2:ec:2e"
    );
    assert_eq!(c.not_before, 1_519_399_598);
    assert_eq!(c.not_after, 1_521_991_598);
    assert!(c
        .to_json(1_519_400_125)
        .contains("\"remainingSeconds\":2591473,"));
    // The CA-signed curveball certificate is not self-signed.
    let recs2 = records(CURVE_SERVER, 9999);
    let cm2 = messages(&recs2[1]);
    let curve = parse_certificate_list(cm2[0].1);
    assert!(!curve[0].looks_self_signed());
}

#[test]
fn record_limits() {
    // Not handshake: its header alone is handed on (whatever its length), and the
    // parser stops there; fewer than 5 bytes are not judged yet.
    assert_eq!(
        record_frame(&[0x17, 0x03, 0x03, 0xff, 0xff, 0]),
        Frame::Whole(5)
    );
    assert_eq!(record_frame(&[0x17, 0x03]), Frame::Partial { needed: 5 });
    // Longer than the buffer: not read.
    assert_eq!(record_frame(&[0x16, 0x03, 0x01, 0xff, 0xff, 1]), Frame::Bad);
    let at_cap = (MAX_BUFFER as u16 - 5).to_be_bytes();
    assert_eq!(
        record_frame(&[0x16, 3, 1, at_cap[0], at_cap[1]]),
        Frame::Partial { needed: MAX_BUFFER }
    );
    let over = (MAX_BUFFER as u16 - 4).to_be_bytes();
    assert_eq!(record_frame(&[0x16, 3, 1, over[0], over[1]]), Frame::Bad);
    // A zero-length handshake record is a record (not a ClientHello).
    assert_eq!(
        record_frame(&[0x16, 0x03, 0x01, 0x00, 0x00]),
        Frame::Whole(5)
    );
    // Two records in one piece, then the start of a third: both whole ones are
    // handed on, the third's header is kept.
    let mut h = Held(Vec::new());
    let mut seen = Vec::new();
    let two = [CURVE_CLIENT, CURVE_CLIENT, &CURVE_CLIENT[..4]].concat();
    let r = h.feed(&two, |rec| seen.push(rec.len()));
    assert_eq!(seen, vec![CURVE_CLIENT.len(); 2]);
    assert_eq!(
        r,
        Parsed::Incomplete {
            consumed: 2 * CURVE_CLIENT.len(),
            needed: 5
        }
    );
    assert_eq!(h.0, CURVE_CLIENT[..4].to_vec());
}

#[test]
fn truncated_hellos() {
    assert_eq!(client_hello(&[1, 0, 0], true), None);
    assert_eq!(server_hello(&[3, 3]), None);
    // A ClientHello cut anywhere still yields fingerprints (of what is there) and
    // never panics; cut inside the random it has no ciphers.
    let body = &CURVE_CLIENT[5..];
    for n in 7..body.len() {
        let h = client_hello(&body[..n], true).expect("hello");
        assert_eq!(h.ja3.map(|j| j.len()), Some(32));
        assert_eq!(h.ja4.len(), 36);
    }
    let h = client_hello(&body[..20], true).expect("hello");
    assert_eq!(h.ja3_string.as_deref(), Some("771,,,"));
    assert!(h.ja4.starts_with("t12i0000"));
    // Every prefix of the certificate message parses without panicking, and a cut
    // chain keeps the complete certificates before the cut.
    let cm = &messages(&records(CURVE_SERVER, 9999)[1])[0].1.to_vec();
    for n in 0..cm.len() {
        let _ = parse_certificate_list(&cm[..n]);
    }
    assert!(parse_certificate(&[0x30]).is_none());
}

#[test]
fn grease_and_versions() {
    assert!(is_grease(0x0a0a));
    assert!(is_grease(0xfafa));
    assert!(!is_grease(0x0a1a));
    assert!(!is_grease(0x1301));
    assert_eq!(version_name(0x0301), "TLSv1");
    assert_eq!(version_name(0x7f12), "TLSv1.3-draft-18");
    assert_eq!(version_name(0x0305), "0x0305");
}

#[test]
fn supported_versions_and_alpn_in_server_hello() {
    // ServerHello: 0x0303, random, empty session id, TLS_AES_128_GCM_SHA256, no
    // compression, extensions supported_versions=0x0304 and ALPN h2.
    let mut b = vec![0x03, 0x03];
    b.extend([7u8; 32]);
    b.push(0);
    b.extend([0x13, 0x01, 0x00]);
    let exts = [
        &[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04][..],
        &[0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2'][..],
    ]
    .concat();
    b.extend((exts.len() as u16).to_be_bytes());
    b.extend(exts);
    let h = server_hello(&b).expect("parsed");
    assert_eq!(h.versions, vec!["TLSv1.3".to_string()]);
    assert_eq!(h.cipher, "TLS_AES_128_GCM_SHA256");
    assert!(h.http2);
    assert_eq!(h.ja3s_string.as_deref(), Some("771,4865,43-16"));
    assert_eq!(h.session_id, None);
}

#[test]
fn cert_hash_order() {
    // Buckets of 13, by descending hash inside a bucket, ties in arrival order.
    assert_eq!(hash_order(&[1, 14, 2, 14]), vec![1, 3, 0, 2]);
    assert_eq!(hash_order(&[]), Vec::<usize>::new());
}

/// A small deterministic generator for the fuzz test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_mutations_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let seeds = [CURVE_CLIENT, CURVE_SERVER, SELF_CLIENT, SELF_SERVER];
    for round in 0..3000 {
        let mut d = seeds[round % seeds.len()].to_vec();
        let flips = 1 + (rng.next() % 8) as usize;
        for _ in 0..flips {
            let i = (rng.next() as usize) % d.len();
            d[i] = rng.next() as u8;
        }
        if rng.next() & 3 == 0 {
            let cut = (rng.next() as usize) % d.len();
            d.truncate(cut);
        }
        let mut h = Held(Vec::new());
        let chunk = 1 + (rng.next() % 600) as usize;
        for piece in d.chunks(chunk) {
            let r = h.feed(piece, |rec| {
                if rec[0] == 0x16 && rec.len() > 5 {
                    let _ = client_hello(&rec[5..], round % 2 == 0);
                    for (t, body) in messages(rec) {
                        match t {
                            2 => {
                                let _ = server_hello(body);
                            }
                            11 => {
                                for c in parse_certificate_list(body) {
                                    let _ = c.to_json(rng.next() >> 40);
                                    let _ = c.looks_self_signed();
                                }
                            }
                            _ => {}
                        }
                    }
                }
            });
            if r == Parsed::Error {
                break;
            }
        }
        // And the raw bytes straight into every parser.
        let _ = client_hello(&d, true);
        let _ = server_hello(&d);
        let _ = parse_certificate_list(&d);
        let _ = parse_certificate(&d);
    }
}

/// A ClientHello handshake message (with its header) with these ciphers and
/// (type, data) extensions.
fn build_client_hello(ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![0x03, 0x03];
    b.extend([9u8; 32]);
    b.push(0); // no session id
    b.extend(((ciphers.len() * 2) as u16).to_be_bytes());
    for c in ciphers {
        b.extend(c.to_be_bytes());
    }
    b.extend([1, 0]); // null compression
    let mut e = Vec::new();
    for (t, d) in exts {
        e.extend(t.to_be_bytes());
        e.extend((d.len() as u16).to_be_bytes());
        e.extend(d);
    }
    b.extend((e.len() as u16).to_be_bytes());
    b.extend(e);
    let mut m = vec![1];
    m.extend(&(b.len() as u32).to_be_bytes()[1..]);
    m.extend(b);
    m
}

#[test]
fn repeated_curve_extensions_follow_arkime_buffer() {
    // Arkime appends every supported_groups extension to one buffer and drops the
    // last byte after each: an empty second list eats a digit of the first.
    let m = build_client_hello(
        &[0x1301],
        &[
            (0x000a, vec![0, 4, 0, 29, 0, 23]),
            (0x000a, vec![0, 0]),
            (0x000b, vec![1, 0]),
        ],
    );
    let h = client_hello(&m, true).expect("hello");
    assert_eq!(h.ja3_string.as_deref(), Some("771,4865,10-10-11,29-2,0"));
    // GREASE ciphers and extensions are left out of JA3 and JA4.
    let g = build_client_hello(&[0x0a0a, 0x1301], &[(0x1a1a, vec![]), (0x0017, vec![])]);
    let h = client_hello(&g, true).expect("hello");
    assert_eq!(h.ja3_string.as_deref(), Some("771,4865,23,,"));
    assert!(h.ja4.starts_with("t12i010100_"));
}

#[test]
fn oversized_fingerprints_are_dropped_like_arkime() {
    // 3000 empty extensions: the JA3 extension list overflows Arkime's 13000-byte
    // buffer, so there is no JA3, but JA4 (capped counts) is still written.
    let exts: Vec<(u16, Vec<u8>)> = (0..3000).map(|_| (0x1234, Vec::new())).collect();
    let h = client_hello(&build_client_hello(&[0x1301], &exts), true).expect("hello");
    assert_eq!(h.ja3, None);
    assert_eq!(h.ja3_string, None);
    assert!(h.ja4.starts_with("t12i0199"));
    // 500 ciphers, 300 signature algorithms (256 kept) and 200 more extensions:
    // ja4_r is longer than its 4096-byte buffer; without the extensions it fits.
    let ciphers: Vec<u16> = (1..=500).collect();
    let mut algos = vec![0x02, 0x58];
    for a in 0..300u16 {
        algos.extend(a.to_be_bytes());
    }
    let mut exts = vec![(0x000d, algos)];
    let h = client_hello(&build_client_hello(&ciphers, &exts), true).expect("hello");
    assert_eq!(
        h.ja4_r.map(|r| r.len()),
        Some(11 + 500 * 5 - 1 + 1 + 4 + 1 + 256 * 5 - 1)
    );
    exts.extend((0..200).map(|i| (0x2000 + i, Vec::new())));
    let h = client_hello(&build_client_hello(&ciphers, &exts), true).expect("hello");
    assert_eq!(h.ja4_r, None);
    assert!(h.ja3.is_some());
    assert!(h.ja4.starts_with("t12i9999"));
}

#[test]
fn sni_alpn_and_ech() {
    let mut sni = vec![0, 14, 0, 0, 11];
    sni.extend(b"example.com");
    let alpn = vec![0, 9, 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1'];
    let m = build_client_hello(
        &[0xc02f],
        &[(0x0000, sni), (0x0010, alpn), (0xfe0d, vec![1, 2, 3])],
    );
    let h = client_hello(&m, true).expect("hello");
    assert_eq!(h.sni.as_deref(), Some("example.com"));
    assert_eq!(h.tags, vec!["tls:has_ech"]);
    // SNI and ALPN count as extensions but are not hashed; ALPN gives "h1".
    assert!(h.ja4.starts_with("t12d0103h1_"));
    assert!(h.ja4_r.as_deref().unwrap_or("").ends_with("_fe0d"));
    // A non-alphanumeric ALPN is shown as hex of its first and last bytes.
    let m = build_client_hello(&[0xc02f], &[(0x0010, vec![0, 3, 2, 0xab, 0x01])]);
    let h = client_hello(&m, true).expect("hello");
    assert_eq!(&h.ja4[8..10], "a1");
}

#[test]
fn options_from_the_config() {
    let cfg = |t: &str| trawl_config::Config::from_str(t, "test.ini", "test", &[]).unwrap();
    let d = super::TlsConfig::from_config(&cfg("[default]\n")).unwrap();
    assert!(!d.ja3_strings && !d.ja4_raw);
    let o = super::TlsConfig::from_config(&cfg("[default]\nja3Strings=true\nja4Raw=1\n")).unwrap();
    assert!(o.ja3_strings && o.ja4_raw);
}
