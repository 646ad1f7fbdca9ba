//! DTLS over UDP (Arkime's dtls.c): a session whose first datagram is a handshake
//! record carrying a ClientHello is `dtls`; each handshake datagram's unfragmented
//! ClientHello gives JA4 (with DTLS's `d` prefix and version names) and ja4_r, and
//! its Certificate messages the `cert` objects, read as TLS reads them.

use trawl_fields::FieldId;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::hello::{is_grease, sha256_12, sni_name, two_digits};
use crate::{CertState, TlsFields};
use trawl_parser_common::cursor::Cursor;

/// The JA4 of a DTLS ClientHello body (after the handshake header) and its raw form.
#[derive(Debug, PartialEq, Eq)]
pub struct Ja4 {
    /// `tls.ja4`.
    pub ja4: String,
    /// `tls.ja4_r`.
    pub raw: String,
}

/// JA4's version code; DTLS versions count down (1.0 is 0xfeff).
fn version_code(v: u32) -> &'static str {
    match v {
        0x0002 => "s2",
        0x0300 => "s3",
        0x0301 => "10",
        0x0302 => "11",
        0x0303 => "12",
        0x0304 => "13",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// JA4's two ALPN characters: first and last byte of the first protocol, as hex
/// digits unless both are alphanumeric.
fn alpn_code(a: &[u8]) -> [u8; 2] {
    let (Some(&f), Some(&l)) = (a.first(), a.last()) else {
        return [b'0', b'0'];
    };
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        [f, l]
    } else {
        let hf = format!("{f:02x}");
        let hl = format!("{l:02x}");
        [hf.as_bytes()[0], hl.as_bytes()[1]]
    }
}

fn hex_list(v: &[u32]) -> String {
    v.iter()
        .map(|x| format!("{x:04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Arkime's `dtls_process_client_hello`; None when the hello is too short to have
/// its random.
pub fn client_hello_ja4(data: &[u8]) -> Option<Ja4> {
    const MAX: usize = 256;
    let mut b = Cursor::new(data);
    let mut ver = 0u32;
    b.be16_into(&mut ver);
    if b.is_error() || b.remaining() <= 32 {
        return None;
    }
    b.skip(32);
    let mut skip = 0u32;
    b.u8_into(&mut skip); // session id
    b.skip(skip as usize);
    b.u8_into(&mut skip); // cookie
    b.skip(skip as usize);
    b.be16_into(&mut skip); // cipher suites
    let mut ciphers = Vec::new();
    while !b.is_error() && skip >= 2 {
        let mut c = 0u32;
        b.be16_into(&mut c);
        if !is_grease(c) && ciphers.len() < MAX {
            ciphers.push(c);
        }
        skip -= 2;
    }
    b.skip(skip as usize);
    b.u8_into(&mut skip); // compression methods
    b.skip(skip as usize);

    let mut sni = 'i';
    let mut n_ext = 0usize;
    let mut exts = Vec::new();
    let mut algos = Vec::new();
    let mut alpn = [b'0', b'0'];
    if b.remaining() >= 6 {
        let mut total = 0u32;
        b.be16_into(&mut total);
        let total = (total as usize).min(b.remaining());
        let mut e = b.sub(total);
        while e.remaining() >= 4 {
            let (mut ty, mut len) = (0u32, 0u32);
            e.be16_into(&mut ty);
            e.be16_into(&mut len);
            let len = len as usize;
            if is_grease(ty) {
                e.skip(len);
                continue;
            }
            n_ext += 1;
            if exts.len() < MAX {
                exts.push(ty);
            }
            if len > e.remaining() {
                break;
            }
            match ty {
                0 => {
                    // SNI and ALPN are counted, not listed.
                    exts.pop();
                    if sni_name(e.sub(len)).is_some() {
                        sni = 'd';
                    }
                }
                0x0d => {
                    let mut x = e.sub(len);
                    let mut n = 0u32;
                    x.be16_into(&mut n);
                    x.shrink(n as usize);
                    while x.remaining() >= 2 {
                        let mut a = 0u32;
                        x.be16_into(&mut a);
                        if algos.len() < MAX {
                            algos.push(a);
                        }
                    }
                }
                0x10 => {
                    exts.pop();
                    let mut x = e.sub(len);
                    x.skip(2);
                    let mut n = 0u32;
                    x.u8_into(&mut n);
                    if let Some(a) = x.take(n as usize) {
                        if !a.is_empty() {
                            alpn = alpn_code(a);
                        }
                    }
                }
                0x2b => {
                    let mut x = e.sub(len);
                    let mut n = 0u32;
                    x.u8_into(&mut n);
                    x.shrink(n as usize);
                    while x.remaining() >= 2 {
                        let mut v = 0u32;
                        x.be16_into(&mut v);
                        if !is_grease(v) {
                            // The newest DTLS version is the smallest number.
                            ver = if ver == 0 { v } else { v.min(ver) };
                        }
                    }
                }
                _ => e.skip(len),
            }
        }
    }

    let head = format!(
        "d{}{sni}{}{}{}{}_",
        version_code(ver),
        two_digits(ciphers.len()),
        two_digits(n_ext),
        char::from(alpn[0]),
        char::from(alpn[1]),
    );
    ciphers.sort_unstable();
    let cs = hex_list(&ciphers);
    exts.sort_unstable();
    let mut es = hex_list(&exts);
    if !algos.is_empty() {
        es.push('_');
        es.push_str(&hex_list(&algos));
    }
    Some(Ja4 {
        ja4: format!("{head}{}_{}", sha256_12(&cs), sha256_12(&es)),
        raw: format!("{head}{cs}_{es}"),
    })
}

/// The handshake messages of a datagram's records: (type, body) of each unfragmented
/// message, in order.
pub fn handshakes(data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut b = Cursor::new(data);
    while !b.is_error() && b.remaining() >= 13 {
        b.skip(11);
        let mut len = 0u32;
        b.be16_into(&mut len);
        if len as usize > b.remaining() {
            return out;
        }
        let mut m = b.sub(len as usize);
        while !b.is_error() && !m.is_error() && m.remaining() > 12 {
            let mut ty = 0u32;
            m.u8_into(&mut ty);
            m.skip(5); // length, message sequence
            let (mut off, mut frag) = (0u32, 0u32);
            if let Some(x) = m.take(3) {
                off = u32::from(x[0]) << 16 | u32::from(x[1]) << 8 | u32::from(x[2]);
            }
            if let Some(x) = m.take(3) {
                frag = u32::from(x[0]) << 16 | u32::from(x[1]) << 8 | u32::from(x[2]);
            }
            // Fragments after the first are not reassembled.
            if off != 0 {
                m.skip(frag as usize);
                continue;
            }
            if m.is_error() || frag as usize > m.remaining() {
                break;
            }
            if let Some(body) = m.take(frag as usize) {
                out.push((ty as u8, body));
            }
        }
    }
    out
}

#[derive(Debug)]
struct Dtls {
    ja4: FieldId,
    ja4_raw: Option<FieldId>,
    certs: CertState,
}

impl Parser for Dtls {
    fn name(&self) -> &'static str {
        "dtls"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if data.len() < 13 {
            return Parsed::Done(0);
        }
        if data[0] != 22 {
            return Parsed::Skip;
        }
        for (ty, body) in handshakes(data) {
            match ty {
                1 => {
                    if let Some(j) = client_hello_ja4(body) {
                        let reg = &cx.shared.fields;
                        s.fields.string_add(reg, self.ja4, &j.ja4);
                        if let Some(id) = self.ja4_raw {
                            s.fields.string_add(reg, id, &j.raw);
                        }
                    }
                }
                11 => self.certs.process_server_certificate(cx, s, body),
                _ => {}
            }
        }
        Parsed::Done(0)
    }

    fn save(&mut self, _cx: &mut Cx, _s: &mut Session, _final: bool) {
        self.certs.saved();
    }
}

fn classify(t: &TlsFields, cx: &mut Cx, s: &mut Session, d: &[u8]) {
    if d.len() < 100 || d[13] != 1 {
        return;
    }
    cx.add_protocol(s, "dtls");
    register_parser(
        s,
        Box::new(Dtls {
            ja4: t.ids.ja4,
            ja4_raw: t.ids.ja4_raw,
            certs: t.cert_state(),
        }),
    );
}

/// Registers the DTLS classifiers (the fields are TLS's, `t`).
pub fn register(c: &mut Classifiers, t: &TlsFields) {
    for p in [
        &b"\x16\x01\x00"[..],
        b"\x16\xfe\xff",
        b"\x16\xfe\xfe",
        b"\x16\xfe\xfd",
    ] {
        let t = *t;
        c.register_udp("dtls", 0, 0, p, move |cx, s, d, _, _| {
            classify(&t, cx, s, d)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DTLS 1.2 ClientHello body: no session id, an empty cookie, two ciphers and a
    /// GREASE one, SNI, ALPN "h2", signature algorithms.
    fn hello() -> Vec<u8> {
        let mut h = vec![0xfe, 0xfd];
        h.extend_from_slice(&[7; 32]);
        h.extend_from_slice(&[0, 0]); // session id, cookie
        h.extend_from_slice(&[0, 6, 0xc0, 0x2b, 0x0a, 0x0a, 0x00, 0x2f]);
        h.extend_from_slice(&[1, 0]);
        let sni = [
            0, 0, 0, 14, 0, 12, 0, 0, 9, b'a', b'.', b'e', b'x', b'a', b'm', b'p', b'l', b'e',
        ];
        let alpn = [0, 0x10, 0, 5, 0, 3, 2, b'h', b'2'];
        let sig = [0, 0x0d, 0, 6, 0, 4, 0x04, 0x03, 0x08, 0x04];
        let mut ext = Vec::new();
        ext.extend_from_slice(&sni);
        ext.extend_from_slice(&alpn);
        ext.extend_from_slice(&sig);
        h.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        h.extend_from_slice(&ext);
        h
    }

    #[test]
    fn ja4_of_a_hello() {
        let j = client_hello_ja4(&hello()).unwrap();
        assert_eq!(
            j.raw, "dd2d0203h2_002f,c02b_000d_0403,0804",
            "SNI and ALPN counted but not listed; GREASE left out"
        );
        assert_eq!(
            j.ja4,
            format!(
                "dd2d0203h2_{}_{}",
                sha256_12("002f,c02b"),
                sha256_12("000d_0403,0804")
            )
        );
        assert_eq!(&j.ja4[..11], "dd2d0203h2_");
        let h = hello();
        for n in 0..h.len() {
            let _ = client_hello_ja4(&h[..n]);
        }
        assert!(client_hello_ja4(&h[..34]).is_none());
    }

    #[test]
    fn records_and_fragments() {
        let body = hello();
        let mut msg = vec![1];
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        msg.extend_from_slice(&[0, 0, 0, 0, 0]);
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        msg.extend_from_slice(&body);
        let mut rec = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
        rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        rec.extend_from_slice(&msg);
        let hs = handshakes(&rec);
        assert_eq!(hs, vec![(1u8, &body[..])]);
        // A later fragment is skipped.
        let mut frag = rec.clone();
        frag[13 + 8] = 1;
        assert!(handshakes(&frag).is_empty());
        for n in 0..rec.len() {
            let _ = handshakes(&rec[..n]);
        }
    }
}
