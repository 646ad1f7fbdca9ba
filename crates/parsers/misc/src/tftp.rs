//! TFTP (Arkime's tftp.c): sessions on UDP port 69 whose first datagram is a valid
//! request; each datagram's opcode, and the file names of read and write requests.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const OPCODES: [&str; 6] = ["", "rrq", "wrq", "data", "ack", "error"];

#[derive(Clone, Copy, Debug)]
struct Ids {
    opcode: FieldId,
    filename: FieldId,
}

/// Whether `d` starts a TFTP exchange: an opcode 1-5, and for requests a non-empty
/// file name and mode, each NUL-terminated.
pub fn valid_start(d: &[u8]) -> bool {
    if d.len() < 4 {
        return false;
    }
    let op = u16::from_be_bytes([d[0], d[1]]);
    if !(1..=5).contains(&op) {
        return false;
    }
    if op <= 2 {
        let Some(f) = d[2..].iter().position(|&c| c == 0).map(|p| p + 2) else {
            return false;
        };
        if f < 3 {
            return false;
        }
        let Some(m) = d[f + 1..].iter().position(|&c| c == 0) else {
            return false;
        };
        if m == 0 {
            return false;
        }
    }
    true
}

/// The opcode name and, for requests, the file name of a datagram.
pub fn datagram(d: &[u8]) -> Option<(&'static str, Option<&[u8]>)> {
    if d.len() < 4 {
        return None;
    }
    let op = usize::from(u16::from_be_bytes([d[0], d[1]]));
    let name = OPCODES.get(op).copied().filter(|n| !n.is_empty())?;
    let file = if op == 1 || op == 2 {
        let rest = &d[2..];
        let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    } else {
        None
    };
    Some((name, file))
}

#[derive(Debug)]
struct Tftp {
    ids: Ids,
}

impl Parser for Tftp {
    fn name(&self) -> &'static str {
        "tftp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if let Some((name, file)) = datagram(data) {
            let reg = &cx.shared.fields;
            s.fields.string_add(reg, self.ids.opcode, name);
            if let Some(f) = file {
                s.fields
                    .string_add(reg, self.ids.filename, &String::from_utf8_lossy(f));
            }
        }
        Parsed::Done(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "tftp") || (s.port1 != 69 && s.port2 != 69) || !valid_start(data) {
        return;
    }
    cx.add_protocol(s, "tftp");
    register_parser(s, Box::new(Tftp { ids }));
}

const TFTP: FieldSpec = FieldSpec::new("tftp", FieldType::StrGHash).flags(Flags::CNT);

/// The TFTP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 2] = [
    TFTP.named("tftp.opcode", "tftp.opcode", Kind::TermField)
        .text("Opcode", "TFTP opcode (rrq, wrq, data, ack, error)"),
    TFTP.named("tftp.filename", "tftp.filename", Kind::TermField)
        .text("Filename", "TFTP filename"),
];

/// Registers the TFTP fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [opcode, filename] = f.define_all(&FIELDS);
    let ids = Ids { opcode, filename };
    c.register_port("tftp", 0, 69, port::UDP, move |cx, s, data, _, _| {
        classify(cx, s, data, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_datagrams() {
        let rrq = b"\x00\x01rfc1350.txt\x00octet\x00";
        assert!(valid_start(rrq));
        assert_eq!(datagram(rrq), Some(("rrq", Some(&b"rfc1350.txt"[..]))));
        assert!(!valid_start(b"\x00\x01\x00octet\x00"), "empty name");
        assert!(!valid_start(b"\x00\x01a\x00\x00"), "empty mode");
        assert!(!valid_start(b"\x00\x01abc"), "no terminator");
        assert!(!valid_start(b"\x00\x09abcd"), "opcode");
        assert_eq!(datagram(b"\x00\x03\x00\x01data"), Some(("data", None)));
        assert_eq!(datagram(b"\x00\x04\x00"), None, "short");
        for n in 0..rrq.len() {
            let _ = (valid_start(&rrq[..n]), datagram(&rrq[..n]));
        }
    }
}
