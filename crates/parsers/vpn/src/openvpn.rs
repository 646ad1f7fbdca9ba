//! OpenVPN (Arkime's openvpn.c): a session that opens with a HARD_RESET_CLIENT_V2
//! control record (its length tells the tls-auth HMAC size) is `openvpn`; the TLS
//! stream inside its P_CONTROL_V1 records is gathered per direction and its
//! handshake messages go to TLS (ClientHello, ServerHello, Certificate), until data
//! records show the tunnel is up. Over TCP each record has a 2-byte length.

use std::ops::ControlFlow;

use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_parser_tls::{CertState, TlsFields};
use trawl_session::parsers::{has_parser, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Arkime's cap on each of its buffers (the TCP framing and the inner TLS stream).
const BUF_MAX: usize = 65535;
const MAX_FRAMES: u16 = 256;
const P_CONTROL_V1: u8 = 4;
const P_DATA_V1: u8 = 6;
const P_DATA_V2: u8 = 9;

/// Over TCP each record has a 2-byte length before it; a length of 0 is not OpenVPN.
const TCP_RECORD: LengthPrefix = LengthPrefix::be(0, 2).plus(2).range(3, usize::MAX);
/// A TLS record: type, version, 2-byte length of what follows the 5-byte header.
const TLS_RECORD: LengthPrefix = LengthPrefix::be(3, 2).plus(5);

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

/// The TLS bytes of a P_CONTROL_V1 record; Err when the record ends the parse: Skip
/// at a data record (the tunnel is up), Error at a control record too short for its
/// header.
fn control_payload(p: &[u8], hmac: usize) -> Result<Option<&[u8]>, Parsed> {
    let Some(&op) = p.first() else {
        return Ok(None);
    };
    match op >> 3 {
        P_DATA_V1 | P_DATA_V2 => return Err(Parsed::Skip),
        P_CONTROL_V1 => {}
        _ => return Ok(None),
    }
    let mut at = 1 + 8;
    if hmac > 0 {
        at += hmac + 8;
    }
    let arr = usize::from(*p.get(at).ok_or(Parsed::Error)?);
    at += 1 + arr * 4;
    if arr > 0 {
        at += 8;
    }
    at += 4;
    if at > p.len() {
        return Err(Parsed::Error);
    }
    Ok((at < p.len()).then(|| &p[at..]))
}

/// What the front of the inner TLS stream holds: only handshake records are read
/// (anything else means the handshake is over).
fn tls_frame(b: &[u8]) -> Frame {
    if b.len() < TLS_RECORD.header() {
        Frame::Partial {
            needed: TLS_RECORD.header(),
        }
    } else if b[0] != 0x16 {
        Frame::Bad
    } else {
        TLS_RECORD.frame(b)
    }
}

#[derive(Debug)]
struct OpenVpn {
    tcp: bool,
    hmac: usize,
    frames: u16,
    /// Per direction, the TLS stream carried in P_CONTROL_V1 records not yet read (a
    /// record may span several control records). The framework keeps the session's
    /// bytes, not this stream derived from them, so the parser keeps it, with
    /// Arkime's cap.
    tls: [Vec<u8>; 2],
    /// TLS's fields, which the handshake inside fills.
    fields: Option<TlsFields>,
    certs: CertState,
}

impl OpenVpn {
    /// Hands the complete handshake records gathered for `dir` to TLS.
    fn consume_tls(&mut self, cx: &mut Cx, s: &mut Session, dir: Dir) -> Parsed {
        let stream = std::mem::take(&mut self.tls[dir]);
        // A handshake message longer than its record (Arkime's reader errs).
        let mut malformed = false;
        let r = for_each_frame(&stream, tls_frame, |rec| {
            let mut h = &rec[5..];
            while h.len() >= 4 {
                let hlen = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
                if h.len() - 4 < hlen {
                    malformed = true;
                    return ControlFlow::Break(Parsed::Error);
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
            ControlFlow::Continue(())
        });
        match r {
            Parsed::Incomplete { consumed, .. } => {
                self.tls[dir] = stream;
                self.tls[dir].drain(..consumed);
                Parsed::Done(0)
            }
            // A record other than a handshake: the handshake is over (Arkime
            // unregisters, it is no error).
            Parsed::Error if !malformed => Parsed::Skip,
            r => r,
        }
    }

    fn record(&mut self, cx: &mut Cx, s: &mut Session, p: &[u8], dir: Dir) -> Parsed {
        self.frames += 1;
        if self.frames > MAX_FRAMES {
            return Parsed::Skip;
        }
        match control_payload(p, self.hmac) {
            Err(end) => end,
            Ok(None) => Parsed::Done(0),
            Ok(Some(ssl)) => {
                // Arkime's buffer refuses a TLS record longer than its cap.
                if self.tls[dir].len() + ssl.len() > BUF_MAX {
                    return Parsed::Skip;
                }
                self.tls[dir].extend_from_slice(ssl);
                self.consume_tls(cx, s, dir)
            }
        }
    }
}

impl Parser for OpenVpn {
    fn name(&self) -> &'static str {
        "openvpn"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if !self.tcp {
            return self.record(cx, s, data, dir);
        }
        // Arkime appends each segment to a buffer of at most BUF_MAX bytes before it
        // reads any record, and unregisters when the bytes kept and the new ones do
        // not fit: the same rule here, before the records are read.
        if data.len() > BUF_MAX {
            return Parsed::Skip;
        }
        for_each_frame(
            data,
            |b| TCP_RECORD.frame(b),
            |rec| match self.record(cx, s, &rec[2..], dir) {
                Parsed::Done(_) => ControlFlow::Continue(()),
                end => ControlFlow::Break(end),
            },
        )
    }

    fn max_held(&self) -> usize {
        BUF_MAX
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
            tls: [Vec::new(), Vec::new()],
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
        assert_eq!(control_payload(&p, 20), Err(Parsed::Error));
        assert_eq!(
            control_payload(&[P_DATA_V2 << 3, 0, 0], 0),
            Err(Parsed::Skip)
        );
        assert_eq!(control_payload(&[7 << 3], 0), Ok(None));
        for n in 0..p.len() {
            let _ = control_payload(&p[..n], 0);
        }
    }
}
