//! OpenVPN (Arkime's openvpn.c): a session that opens with a HARD_RESET_CLIENT_V2
//! control record (its length tells the tls-auth HMAC size) is `openvpn`; the TLS
//! stream inside its P_CONTROL_V1 records is gathered per direction and its
//! handshake messages go to TLS (ClientHello, ServerHello, Certificate), until data
//! records show the tunnel is up. Over TCP each record has a 2-byte length.

use trawl_parser_tls::{CertState, TlsFields};
use trawl_session::parsers::{has_parser, register_parser, Classifiers, Parsed, Parser, ParserBuf};
use trawl_session::{Cx, Session};

const BUF_MAX: usize = 65535;
const MAX_FRAMES: u16 = 256;
const P_CONTROL_V1: u8 = 4;
const P_DATA_V1: u8 = 6;
const P_DATA_V2: u8 = 9;

/// The HMAC size a HARD_RESET_CLIENT_V2 record (from its opcode byte) implies, or
/// None if it is not one: opcode 7 key 0, a known length, the last five bytes zero.
pub fn client_hard_reset(d: &[u8]) -> Option<usize> {
    if d.len() < 14 || d[0] != 0x38 {
        return None;
    }
    let hmac = match d.len() {
        14 => 0,
        38 => 16,
        42 => 20,
        54 => 32,
        86 => 64,
        _ => return None,
    };
    d[d.len() - 5..].iter().all(|&b| b == 0).then_some(hmac)
}

/// The TLS bytes of a P_CONTROL_V1 record; Err(()) when the record ends the parse.
fn control_payload(p: &[u8], hmac: usize) -> Result<Option<&[u8]>, ()> {
    let Some(&op) = p.first() else {
        return Ok(None);
    };
    match op >> 3 {
        P_DATA_V1 | P_DATA_V2 => return Err(()),
        P_CONTROL_V1 => {}
        _ => return Ok(None),
    }
    let mut at = 1 + 8;
    if hmac > 0 {
        at += hmac + 8;
    }
    let arr = usize::from(*p.get(at).ok_or(())?);
    at += 1 + arr * 4;
    if arr > 0 {
        at += 8;
    }
    at += 4;
    if at > p.len() {
        return Err(());
    }
    Ok((at < p.len()).then(|| &p[at..]))
}

#[derive(Debug)]
struct OpenVpn {
    tcp: bool,
    hmac: usize,
    frames: u16,
    framing: ParserBuf,
    tls: ParserBuf,
    /// TLS's fields, which the handshake inside fills.
    fields: Option<TlsFields>,
    certs: CertState,
}

impl OpenVpn {
    /// Hands the complete handshake records gathered for `dir` to TLS.
    fn consume_tls(&mut self, cx: &mut Cx, s: &mut Session, dir: usize) -> Parsed {
        while self.tls.get(dir).len() >= 5 {
            let b = self.tls.get(dir);
            if b[0] != 0x16 {
                return Parsed::Skip;
            }
            let len = usize::from(u16::from_be_bytes([b[3], b[4]]));
            if b.len() - 5 < len {
                return Parsed::Done(0);
            }
            let rec = b[5..5 + len].to_vec();
            let mut h = &rec[..];
            while h.len() >= 4 {
                let hlen = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
                if h.len() - 4 < hlen {
                    return Parsed::Skip;
                }
                let (msg, rest) = h.split_at(4 + hlen);
                match (msg[0], &self.fields) {
                    (1, Some(t)) => t.process_client_hello(cx, s, msg),
                    (2, Some(t)) => t.process_server_hello(cx, s, &msg[4..]),
                    (11, _) => self.certs.process_server_certificate(cx, s, &msg[4..]),
                    _ => {}
                }
                h = rest;
            }
            self.tls.del(dir, 5 + len);
        }
        Parsed::Done(0)
    }

    fn record(&mut self, cx: &mut Cx, s: &mut Session, p: &[u8], dir: usize) -> Parsed {
        self.frames += 1;
        if self.frames > MAX_FRAMES {
            return Parsed::Skip;
        }
        match control_payload(p, self.hmac) {
            Err(()) => Parsed::Skip,
            Ok(None) => Parsed::Done(0),
            Ok(Some(ssl)) => {
                if !self.tls.add(dir, ssl) {
                    return Parsed::Skip;
                }
                self.consume_tls(cx, s, dir)
            }
        }
    }
}

impl Parser for OpenVpn {
    fn name(&self) -> &'static str {
        "openvpn"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize) -> Parsed {
        let dir = dir & 1;
        if !self.tcp {
            return self.record(cx, s, data, dir);
        }
        if !self.framing.add(dir, data) {
            return Parsed::Skip;
        }
        while self.framing.get(dir).len() >= 2 {
            let b = self.framing.get(dir);
            let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
            if len == 0 {
                return Parsed::Skip;
            }
            if b.len() - 2 < len {
                break;
            }
            let rec = b[2..2 + len].to_vec();
            if let Parsed::Skip = self.record(cx, s, &rec, dir) {
                return Parsed::Skip;
            }
            self.framing.del(dir, 2 + len);
        }
        Parsed::Done(0)
    }

    fn save(&mut self, _cx: &mut Cx, _s: &mut Session, _final: bool) {
        self.certs.saved();
    }
}

fn start(cx: &mut Cx, s: &mut Session, tls: Option<TlsFields>, tcp: bool, hmac: usize) {
    cx.add_protocol(s, "openvpn");
    if has_parser(s, "openvpn") {
        return;
    }
    register_parser(
        s,
        Box::new(OpenVpn {
            tcp,
            hmac,
            frames: 0,
            framing: ParserBuf::new(BUF_MAX),
            tls: ParserBuf::new(BUF_MAX),
            fields: tls,
            certs: tls.map(|t| t.cert_state()).unwrap_or_default(),
        }),
    );
}

fn classify_udp(cx: &mut Cx, s: &mut Session, d: &[u8], tls: Option<TlsFields>) {
    if cx.has_protocol(s, "openvpn") {
        return;
    }
    if let Some(hmac) = client_hard_reset(d) {
        start(cx, s, tls, false, hmac);
    }
}

fn classify_tcp(cx: &mut Cx, s: &mut Session, d: &[u8], tls: Option<TlsFields>) {
    if cx.has_protocol(s, "openvpn") || d.len() < 3 {
        return;
    }
    let len = usize::from(u16::from_be_bytes([d[0], d[1]]));
    if len + 2 > d.len() {
        return;
    }
    if let Some(hmac) = client_hard_reset(&d[2..2 + len]) {
        start(cx, s, tls, true, hmac);
    }
}

/// Registers the OpenVPN classifiers; its fields are TLS's (`tls`: None when TLS
/// defined none, and the handshake is then only followed).
pub fn register(c: &mut Classifiers, tls: Option<TlsFields>) {
    c.register_udp("openvpn", 0, 0, b"\x38", move |cx, s, d, _, _| {
        classify_udp(cx, s, d, tls)
    });
    for len in [0x0e, 0x26, 0x2a, 0x36, 0x56] {
        let p: &'static [u8] = match len {
            0x0e => b"\x00\x0e\x38",
            0x26 => b"\x00\x26\x38",
            0x2a => b"\x00\x2a\x38",
            0x36 => b"\x00\x36\x38",
            _ => b"\x00\x56\x38",
        };
        c.register_tcp("openvpn", 0, 0, p, move |cx, s, d, _, _| {
            classify_tcp(cx, s, d, tls)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_resets() {
        let mut r = vec![0x38];
        r.extend_from_slice(&[9; 8]);
        r.extend_from_slice(&[0; 5]);
        assert_eq!(client_hard_reset(&r), Some(0));
        let mut h = vec![0x38];
        h.extend_from_slice(&[9; 8 + 20 + 8]);
        h.extend_from_slice(&[0; 5]);
        assert_eq!(client_hard_reset(&h), Some(20));
        let mut bad = r.clone();
        bad[12] = 1;
        assert_eq!(client_hard_reset(&bad), None);
        assert_eq!(client_hard_reset(&r[..13]), None);
    }

    #[test]
    fn control_records() {
        // P_CONTROL_V1, no HMAC: session id, one ack (id + remote session id),
        // packet id, then TLS bytes.
        let mut p = vec![P_CONTROL_V1 << 3];
        p.extend_from_slice(&[1; 8]);
        p.push(1);
        p.extend_from_slice(&[0, 0, 0, 1]);
        p.extend_from_slice(&[2; 8]);
        p.extend_from_slice(&[0, 0, 0, 2]);
        p.extend_from_slice(&[0x16, 3, 1, 0, 0]);
        assert_eq!(control_payload(&p, 0), Ok(Some(&[0x16, 3, 1, 0, 0][..])));
        // The same with a 20-byte HMAC is too short: the parse ends.
        assert_eq!(control_payload(&p, 20), Err(()));
        assert_eq!(control_payload(&[P_DATA_V2 << 3, 0, 0], 0), Err(()));
        assert_eq!(control_payload(&[7 << 3], 0), Ok(None));
        for n in 0..p.len() {
            let _ = control_payload(&p[..n], 0);
        }
    }
}
