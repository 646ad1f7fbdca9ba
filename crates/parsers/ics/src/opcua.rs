//! OPC UA Binary (Arkime's opcua.c): a TCP session that opens with a Hello. Each
//! direction's messages (8-byte header: type, chunk type, little-endian length) are
//! read whole, at most four per direction: a Hello's endpoint URL, and an
//! OpenSecureChannel's security policy URI and sender certificate (read as TLS reads
//! certificates).

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::at;
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_parser_tls::CertState;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const HEADER: usize = 8;
const MAX_MSG: u32 = 16 * 1024 * 1024;
/// Five u32s of a Hello before its endpoint URL.
const HEL_PRELUDE: usize = 20;
const MAX_URL: usize = 4096;
const MAX_CERT: usize = 16 * 1024;
/// Messages read per direction.
const MAX_MSGS: u8 = 4;
/// Buffer cap per direction (an OpenSecureChannel may carry a large certificate).
const BUF_MAX: usize = 32768;

#[derive(Clone, Copy, Debug)]
struct Ids {
    endpoint: FieldId,
    policy: FieldId,
}

/// Whether `d` starts with a known message type and chunk type.
pub fn valid_header(d: &[u8]) -> bool {
    d.len() >= 4
        && matches!(d[3], b'F' | b'C' | b'A')
        && matches!(
            &d[..3],
            b"HEL" | b"ACK" | b"ERR" | b"RHE" | b"OPN" | b"CLO" | b"MSG"
        )
}

/// The message length in a header.
pub fn msg_len(d: &[u8]) -> Option<u32> {
    at::le32(d, 4)
}

/// A Hello's endpoint URL.
pub fn hello_url(msg: &[u8]) -> Option<&[u8]> {
    if msg.len() < HEADER + HEL_PRELUDE + 4 {
        return None;
    }
    let n = at::le32(msg, HEADER + HEL_PRELUDE)? as usize;
    let rest = &msg[HEADER + HEL_PRELUDE + 4..];
    if n == 0 || n > MAX_URL || n > rest.len() {
        return None;
    }
    Some(&rest[..n])
}

/// The message length: little-endian, header included; a message that cannot fit
/// the buffer is never read.
const LENGTH: LengthPrefix = LengthPrefix::le(4, 4).range(HEADER, BUF_MAX);

/// Where the message at the front of `b` ends: an unknown message or chunk type, or a
/// length below the header or past the buffer cap, is not OPC UA.
pub fn framing(b: &[u8]) -> Frame {
    if b.len() < HEADER {
        return Frame::Partial { needed: HEADER };
    }
    if !valid_header(b) {
        return Frame::Bad;
    }
    LENGTH.frame(b)
}

/// An OpenSecureChannel's security policy URI and sender certificate.
pub fn open(msg: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    if msg.len() < HEADER + 8 {
        return (None, None);
    }
    let mut at = HEADER + 4;
    let Some(n) = at::le32(msg, at) else {
        return (None, None);
    };
    at += 4;
    let rest = msg.len() - at;
    let mut policy = None;
    let n = n as usize;
    if n > 0 && n <= MAX_URL && n <= rest {
        policy = Some(&msg[at..at + n]);
        at += n;
    } else if n & 0x8000_0000 == 0 && n != 0 {
        // A positive length past the cap or the message: not trusted.
        return (None, None);
    }
    // Empty or null (-1): the certificate follows.
    let Some(c) = at::le32(msg, at) else {
        return (policy, None);
    };
    at += 4;
    let c = c as usize;
    let cert = (c > 0 && c <= MAX_CERT && c <= msg.len() - at).then(|| &msg[at..at + c]);
    (policy, cert)
}

#[derive(Debug)]
struct OpcUa {
    ids: Ids,
    msgs: [u8; 2],
    certs: CertState,
}

impl Parser for OpcUa {
    fn name(&self) -> &'static str {
        "opcua"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        // Arkime's parser buffer holds BUF_MAX bytes: once the bytes held and a new
        // packet's do not fit (the bytes given here), it gives up.
        if data.len() > BUF_MAX {
            return Parsed::Skip;
        }
        for_each_frame(data, framing, |msg| {
            let reg = &cx.shared.fields;
            match (msg[0], msg[3]) {
                (b'H', b'F') => {
                    if let Some(u) = hello_url(msg) {
                        s.fields
                            .string_add(reg, self.ids.endpoint, &String::from_utf8_lossy(u));
                    }
                }
                (b'O', b'F') => {
                    let (policy, cert) = open(msg);
                    if let Some(p) = policy {
                        s.fields
                            .string_add(reg, self.ids.policy, &String::from_utf8_lossy(p));
                    }
                    if let Some(c) = cert {
                        self.certs.process_single_certificate(cx, s, c);
                    }
                }
                _ => {}
            }
            self.msgs[dir] += 1;
            if self.msgs[dir] >= MAX_MSGS {
                return ControlFlow::Break(Parsed::Skip);
            }
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        BUF_MAX
    }

    fn save(&mut self, _cx: &mut Cx, _s: &mut Session, _final: bool) {
        self.certs.saved();
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if d.len() < HEADER || !valid_header(d) {
        return;
    }
    if !msg_len(d).is_some_and(|l| (HEADER as u32..=MAX_MSG).contains(&l)) {
        return;
    }
    if cx.has_protocol(s, "opcua") {
        return;
    }
    cx.add_protocol(s, "opcua");
    register_parser(
        s,
        Box::new(OpcUa {
            ids,
            msgs: [0; 2],
            certs: CertState::default(),
        }),
    );
}

const TERM: FieldSpec = FieldSpec::new("opcua", FieldType::StrGHash).flags(Flags::CNT);

/// The OPC UA fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 2] = [
    TERM.named("opcua.endpointUrl", "opcua.endpointUrl", Kind::TermField)
        .text(
            "OPC UA Endpoint URL",
            "OPC UA endpoint URL from the Hello message",
        ),
    TERM.named(
        "opcua.securityPolicyUri",
        "opcua.securityPolicyUri",
        Kind::TermField,
    )
    .text(
        "OPC UA Security Policy",
        "OPC UA SecurityPolicyUri from the OpenSecureChannel message",
    ),
];

/// Registers the OPC UA fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [endpoint, policy] = f.define_all(&FIELDS);
    let ids = Ids { endpoint, policy };
    c.register_tcp("opcua", 0, 0, b"HELF", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut m = kind.to_vec();
        m.extend_from_slice(&((body.len() + 8) as u32).to_le_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn hello_and_open() {
        let url = b"opc.tcp://plc:4840/x";
        let mut body = vec![0u8; 20];
        body.extend_from_slice(&(url.len() as u32).to_le_bytes());
        body.extend_from_slice(url);
        let hel = msg(b"HELF", &body);
        assert!(valid_header(&hel));
        assert_eq!(hello_url(&hel), Some(&url[..]));
        for n in 0..hel.len() {
            let _ = hello_url(&hel[..n]);
        }
        let policy = b"http://opcfoundation.org/UA/SecurityPolicy#None";
        let mut body = vec![0u8; 4];
        body.extend_from_slice(&(policy.len() as u32).to_le_bytes());
        body.extend_from_slice(policy);
        body.extend_from_slice(&[0xff; 4]); // no certificate
        let opn = msg(b"OPNF", &body);
        assert_eq!(open(&opn), (Some(&policy[..]), None));
        // A null policy, then a certificate.
        let mut body = vec![0u8; 4];
        body.extend_from_slice(&[0xff; 4]);
        body.extend_from_slice(&3u32.to_le_bytes());
        body.extend_from_slice(b"DER");
        assert_eq!(open(&msg(b"OPNF", &body)), (None, Some(&b"DER"[..])));
        // A policy longer than the message: nothing.
        let mut body = vec![0u8; 4];
        body.extend_from_slice(&100u32.to_le_bytes());
        assert_eq!(open(&msg(b"OPNF", &body)), (None, None));
        for n in 0..opn.len() {
            let _ = open(&opn[..n]);
        }
        assert_eq!(framing(&hel), Frame::Whole(hel.len()));
        assert_eq!(framing(&hel[..5]), Frame::Partial { needed: 8 });
        assert_eq!(framing(&hel[..9]), Frame::Partial { needed: hel.len() });
        assert_eq!(framing(b"HELX\x10\0\0\0"), Frame::Bad);
        assert_eq!(framing(b"HELF\x07\0\0\0"), Frame::Bad, "below the header");
        assert_eq!(framing(b"HELF\x01\x80\0\0"), Frame::Bad, "past the cap");
        assert!(!valid_header(b"HELX"));
        assert!(!valid_header(b"GET "));
    }
}
