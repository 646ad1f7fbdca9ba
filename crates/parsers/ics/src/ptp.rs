//! PTP, IEEE 1588 version 2 (Arkime's ptp.c): UDP sessions on ports 319 (event
//! messages) and 320 (general messages). Each message's type and the source clock
//! identity go to `ptp.msgType` and `ptp.clockId`.
//!
//! The 34-byte common header: message type in the low nibble of byte 0, version in
//! the low nibble of byte 1, message length at 2, the source port identity's 8-byte
//! clock identity at 20.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::at;
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Bytes of the common header.
const HEADER: usize = 34;
/// Where the clock identity starts.
const CLOCK_ID: usize = 20;

/// The name of a message type (the low nibble of byte 0); None for the reserved ones.
pub fn message_type(t: u8) -> Option<&'static str> {
    Some(match t {
        0x0 => "sync",
        0x1 => "delay-req",
        0x2 => "pdelay-req",
        0x3 => "pdelay-resp",
        0x8 => "follow-up",
        0x9 => "delay-resp",
        0xa => "pdelay-resp-follow-up",
        0xb => "announce",
        0xc => "signaling",
        0xd => "management",
        _ => return None,
    })
}

/// What one message gives.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    /// The message type's name, if it has one.
    pub kind: Option<&'static str>,
    /// The clock identity as eight colon-separated hex bytes.
    pub clock_id: String,
}

/// Reads a datagram: None unless it holds a whole header and its message length
/// (at least a header) fits in it.
pub fn message(d: &[u8]) -> Option<Message> {
    let len = usize::from(at::be16(d, 2)?);
    if d.len() < HEADER || !(HEADER..=d.len()).contains(&len) {
        return None;
    }
    let id = &d[CLOCK_ID..CLOCK_ID + 8];
    Some(Message {
        kind: message_type(d[0] & 0x0f),
        clock_id: id
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    })
}

/// Whether a session's first datagram looks like PTPv2: a whole header, version 2, a
/// defined message type (Arkime's check lets 0xa to 0xd through, and not 4 to 7 nor
/// 0xe and 0xf) and a message length that fits.
pub fn is_ptp(d: &[u8]) -> bool {
    d.len() >= HEADER
        && d[1] & 0x0f == 2
        && message_type(d[0] & 0x0f).is_some()
        && message(d).is_some()
}

#[derive(Clone, Copy, Debug)]
struct Ids {
    kind: FieldId,
    clock_id: FieldId,
}

#[derive(Debug)]
struct Ptp {
    ids: Ids,
}

impl Parser for Ptp {
    fn name(&self) -> &'static str {
        "ptp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, d: &[u8], _dir: Dir) -> Parsed {
        if let Some(m) = message(d) {
            let reg = &cx.shared.fields;
            if let Some(k) = m.kind {
                s.fields.string_add(reg, self.ids.kind, k);
            }
            s.fields.string_add(reg, self.ids.clock_id, &m.clock_id);
        }
        Parsed::Done(0)
    }
}

const PTP: FieldSpec = FieldSpec::new("ptp", FieldType::StrGHash).flags(Flags::CNT);

/// The PTP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 2] = [
    PTP.named("ptp.msgType", "ptp.msgType", Kind::TermField)
        .text("Message Type", "PTP message type"),
    PTP.named("ptp.clockId", "ptp.clockId", Kind::TermField)
        .text("Clock ID", "PTP source clock identity"),
];

/// Registers the PTP fields and the classifiers of ports 319 and 320.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [kind, clock_id] = f.define_all(&FIELDS);
    let ids = Ids { kind, clock_id };
    for p in [319, 320] {
        c.register_port("ptp", 0, p, port::UDP, move |cx, s, d, _, _| {
            if cx.has_protocol(s, "ptp") || !is_ptp(d) {
                return;
            }
            cx.add_protocol(s, "ptp");
            register_parser(s, Box::new(Ptp { ids }));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Sync message (type 0, version 2, length 44) from clock 00:1b:19:ff:fe:00:00:01.
    pub fn sync() -> Vec<u8> {
        let mut m = vec![0x00, 0x02, 0x00, 44, 0, 0, 0x02, 0x00];
        m.extend_from_slice(&[0; 8]); // correction
        m.extend_from_slice(&[0; 4]);
        m.extend_from_slice(&[0x00, 0x1b, 0x19, 0xff, 0xfe, 0x00, 0x00, 0x01]);
        m.extend_from_slice(&[0x00, 0x01, 0x00, 0x07, 0x00, 0x00]);
        m.extend_from_slice(&[0; 10]); // origin timestamp
        m
    }

    #[test]
    fn reads_type_and_clock() {
        let m = sync();
        assert!(is_ptp(&m));
        assert_eq!(
            message(&m),
            Some(Message {
                kind: Some("sync"),
                clock_id: "00:1b:19:ff:fe:00:00:01".into()
            })
        );
        let mut announce = m.clone();
        announce[0] = 0x1b; // transport-specific nibble set
        assert_eq!(message(&announce).unwrap().kind, Some("announce"));
        for n in 0..m.len() {
            assert!(!is_ptp(&m[..n]) || n >= 44, "{n}");
        }
    }

    #[test]
    fn classifier_rules() {
        let m = sync();
        let mut v1 = m.clone();
        v1[1] = 0x01;
        assert!(!is_ptp(&v1), "version 1");
        for t in [4, 5, 6, 7, 0xe, 0xf] {
            let mut r = m.clone();
            r[0] = t;
            assert!(!is_ptp(&r), "type {t}");
            // A later message of a reserved type still gives its clock.
            assert_eq!(message(&r).unwrap().kind, None);
        }
        let mut long = m.clone();
        long[3] = 45;
        assert!(!is_ptp(&long), "length past the datagram");
        let mut short = m.clone();
        short[3] = 33;
        assert!(
            !is_ptp(&short) && message(&short).is_none(),
            "length under a header"
        );
    }
}
