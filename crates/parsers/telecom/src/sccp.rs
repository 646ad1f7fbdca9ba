//! SCCP (the SCCP half of Arkime's tcap.c, ITU-T Q.713): the MTP3 user part of
//! service indicator 3. Only Unitdata (UDT) is read: the point codes of the called
//! (`sccp.dst`) and calling (`sccp.src`) party addresses, and the data, TCAP, which
//! goes on to [`crate::tcap`] and, for a CAMEL application context, [`crate::camel`].

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::{Cx, Session};

use crate::{camel, tcap, Step};

/// Unitdata's message type.
const UDT: u8 = 0x09;

/// The SCCP field ids.
#[derive(Clone, Copy, Debug)]
pub struct Ids {
    src: FieldId,
    dst: FieldId,
}

/// What a Unitdata message gives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Udt<'a> {
    /// The called party's point code, when its address has one.
    pub dst: Option<u16>,
    /// The calling party's point code, likewise.
    pub src: Option<u16>,
    /// The data parameter (TCAP), when it lies inside the message.
    pub data: Option<&'a [u8]>,
}

/// The point code of the party address the pointer byte at `ptr_at` points to: an
/// address of at least 3 bytes, inside the message, with its "point code present"
/// bit. Arkime reads the 14-bit ITU point code as the two bytes' little-endian value.
fn point_code(d: &[u8], ptr_at: usize) -> Option<u16> {
    let at = ptr_at.checked_add(usize::from(*d.get(ptr_at)?))?;
    let len = usize::from(*d.get(at)?);
    if at + 1 + len > d.len() || len < 3 {
        return None;
    }
    if d[at + 1] & 0x01 == 0 {
        return None;
    }
    Some(u16::from_le_bytes([d[at + 2], d[at + 3]]))
}

/// Reads a Unitdata message: type, protocol class, then the pointers to the called
/// address, the calling address and the data. None for a message that is not UDT
/// or shorter than 6 bytes.
pub fn udt(d: &[u8]) -> Option<Udt<'_>> {
    if d.len() < 6 || d[0] != UDT {
        return None;
    }
    let dst = point_code(d, 2);
    let src = point_code(d, 3);
    let at = 4 + usize::from(d[4]);
    let data = d
        .get(at)
        .and_then(|&n| d.get(at + 1..at + 1 + usize::from(n)));
    Some(Udt { dst, src, data })
}

/// The SCCP fields, Arkime's `sccp.src` then `sccp.dst`.
pub const FIELDS: [FieldSpec; 2] = [
    SCCP.named("sccp.src", "sccp.src", Kind::Integer)
        .text("Src Point Code", "SCCP Source Point Code"),
    SCCP.named("sccp.dst", "sccp.dst", Kind::Integer)
        .text("Dst Point Code", "SCCP Destination Point Code"),
];

const SCCP: FieldSpec = FieldSpec::new("sccp", FieldType::IntGHash).flags(Flags::CNT);

/// Defines the SCCP fields.
pub fn define(f: &mut FieldRegistry) -> Ids {
    let [src, dst] = f.define_all(&FIELDS);
    Ids { src, dst }
}

/// Parses the MTP3 user part of service indicator 3 into the session.
pub(crate) fn parse(cx: &mut Cx, s: &mut Session, ids: &crate::Ids, d: &[u8]) -> Step {
    let Some(u) = udt(d) else {
        return Step::Unregister;
    };
    let reg = &cx.shared.fields;
    if let Some(pc) = u.dst {
        s.fields.int_add(reg, ids.sccp.dst, u32::from(pc));
    }
    if let Some(pc) = u.src {
        s.fields.int_add(reg, ids.sccp.src, u32::from(pc));
    }
    let Some(data) = u.data.filter(|t| t.len() >= 2) else {
        return Step::Unregister;
    };
    cx.add_protocol(s, "sccp");
    match tcap::app_context(data) {
        Some(oid) if camel::is_context(oid) => camel::parse(cx, s, ids, data),
        _ => Step::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UDT: class 0, called address (routing on SSN, PC 500, SSN 146), calling
    /// address (PC 600, SSN 146), data.
    fn message(data: &[u8]) -> Vec<u8> {
        let mut m = vec![UDT, 0x00, 3, 7, 11];
        m.extend_from_slice(&[4, 0x43, 0xf4, 0x01, 146]);
        m.extend_from_slice(&[4, 0x43, 0x58, 0x02, 146]);
        m.push(data.len() as u8);
        m.extend_from_slice(data);
        m
    }

    #[test]
    fn unitdata() {
        let m = message(b"\x62\x00");
        assert_eq!(
            udt(&m),
            Some(Udt {
                dst: Some(500),
                src: Some(600),
                data: Some(&b"\x62\x00"[..]),
            })
        );
        // No point code in the called address (its indicator's bit 0 clear).
        let mut x = m.clone();
        x[6] = 0x42;
        assert_eq!(udt(&x).unwrap().dst, None);
        // A data length past the end: no data, the point codes still.
        let mut x = m.clone();
        x[15] = 3;
        assert_eq!(
            udt(&x),
            Some(Udt {
                dst: Some(500),
                src: Some(600),
                data: None
            })
        );
        // Another message type.
        let mut x = m.clone();
        x[0] = 0x11;
        assert_eq!(udt(&x), None);
        assert_eq!(udt(&m[..5]), None);
        for k in 0..m.len() {
            let _ = udt(&m[..k]);
            for v in [0, 0x7f, 0xff] {
                let mut x = m.clone();
                x[k] = v;
                let _ = udt(&x);
            }
        }
    }
}
