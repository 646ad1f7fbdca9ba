//! M2UA and M3UA (Arkime's m3ua.c, RFC 3331 and RFC 4666): SCTP sessions whose first
//! message in a direction has payload protocol id 2 (M2UA) or 3 (M3UA) and a version
//! 1 common header. Each MAUP Data (M2UA) or Transfer Data (M3UA) message gives the
//! MTP3 service indicator (`m3ua.si`) and its user part, handed to SCCP (3) or named
//! as TUP (4) or ISUP (5).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::{sccp, Ids, Step};

/// M2UA's SCTP payload protocol id.
pub const PPID_M2UA: u32 = 2;
/// M3UA's SCTP payload protocol id.
pub const PPID_M3UA: u32 = 3;

/// The common header: version, reserved, class, type, length.
const HEADER: usize = 8;
/// M2UA's MTP2 user adaptation class and its Data type.
const M2UA_CLASS_MAUP: u8 = 6;
/// M3UA's transfer class and its Data type.
const M3UA_CLASS_TRANSFER: u8 = 1;
const TYPE_DATA: u8 = 1;

/// What one message gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// Not a version 1 header, or a data message whose user part cannot be found:
    /// Arkime stops parsing the session.
    Bad,
    /// A valid header of another class or type (ASP handshake, heartbeat,
    /// management): skipped.
    Other,
    /// A data message: the service indicator and the MTP3 user part.
    Data {
        /// The service indicator (M3UA's whole SI byte, or M2UA's low 4 bits of the SIO).
        si: u8,
        /// What follows the routing label.
        user: &'a [u8],
    },
}

/// The parameters of a message (its `len` bytes after the header): Arkime walks them
/// four-byte aligned and calls `f` with each (tag, declared data length, the reader
/// at the data); a parameter shorter than its own header ends the walk with None.
fn params<'a, T>(
    msg: &'a [u8],
    mut f: impl FnMut(u16, usize, &mut Cursor<'a>) -> Option<Option<T>>,
) -> Option<T> {
    let mut c = Cursor::new(msg);
    while c.remaining() >= 4 {
        let tag = c.be16();
        let plen = usize::from(c.be16());
        if plen < 4 || c.is_error() {
            return None;
        }
        let dlen = plen - 4;
        if let Some(found) = f(tag, dlen, &mut c) {
            return found;
        }
        c.skip((dlen + 3) & !3);
    }
    None
}

/// The message bytes after the common header, when the header's length is at least
/// the header and at most the bytes there are.
fn body(data: &[u8]) -> Option<&[u8]> {
    let len = usize::try_from(u32::from_be_bytes([data[4], data[5], data[6], data[7]])).ok()?;
    if len < HEADER || len > data.len() {
        return None;
    }
    data.get(HEADER..len)
}

/// An MTP3 message: the service information octet and the 4-byte ITU routing label
/// before the user part.
fn mtp3(d: &[u8]) -> Option<(u8, &[u8])> {
    if d.len() < 5 {
        return None;
    }
    Some((d[0] & 0x0f, &d[5..]))
}

/// M2UA Data: Protocol Data 1 (0x0300) is the MTP3 message; Protocol Data 2 (0x0301)
/// has a length indicator byte first.
fn m2ua(data: &[u8]) -> Option<(u8, &[u8])> {
    let pd = params(body(data)?, |tag, dlen, c| {
        if (tag == 0x0300 || tag == 0x0301) && c.remaining() >= dlen {
            let d = c.rest().get(..dlen)?;
            if tag == 0x0301 {
                return Some(if dlen < 2 { None } else { d.get(1..) });
            }
            return Some(Some(d));
        }
        None
    })?;
    mtp3(pd)
}

/// M3UA Data: Protocol Data (0x0210) is OPC, DPC, SI, NI, MP, SLS and the user part;
/// draft version 6's Protocol Data 1 (0x0002) and 2 (0x0003, with a length indicator
/// byte first) are MTP3 messages.
fn m3ua(data: &[u8]) -> Option<(u8, &[u8])> {
    params(body(data)?, |tag, dlen, c| {
        if tag == 0x0210 && dlen >= 12 && c.remaining() >= dlen {
            let d = c.rest().get(..dlen)?;
            return Some(Some((d[8], &d[12..])));
        }
        if tag == 0x0002 || tag == 0x0003 {
            let li = usize::from(tag == 0x0003);
            if dlen > li && c.remaining() >= dlen {
                // A message too short for MTP3 ends the search (Arkime returns at
                // the first such parameter).
                return Some(mtp3(c.rest().get(li..dlen)?));
            }
        }
        None
    })
}

/// Reads one M2UA (`m2ua` true) or M3UA message.
pub fn message(data: &[u8], is_m2ua: bool) -> Message<'_> {
    if data.len() < HEADER || data[0] != 1 {
        return Message::Bad;
    }
    let (class, ty) = if is_m2ua {
        (M2UA_CLASS_MAUP, TYPE_DATA)
    } else {
        (M3UA_CLASS_TRANSFER, TYPE_DATA)
    };
    if data[2] != class || data[3] != ty {
        return Message::Other;
    }
    let found = if is_m2ua { m2ua(data) } else { m3ua(data) };
    match found {
        Some((si, user)) => Message::Data { si, user },
        None => Message::Bad,
    }
}

/// The M3UA field, Arkime's `m3ua.si`.
pub const FIELDS: [FieldSpec; 1] = [FieldSpec::new("m3ua", FieldType::IntGHash)
    .flags(Flags::CNT)
    .named("m3ua.si", "m3ua.si", Kind::Integer)
    .text("Service Indicator", "MTP3 Service Indicator")];

/// Defines the M3UA field.
pub fn define(f: &mut FieldRegistry) -> FieldId {
    let [si] = f.define_all(&FIELDS);
    si
}

#[derive(Debug)]
struct M3ua {
    ids: Ids,
    m2ua: bool,
}

impl Parser for M3ua {
    fn name(&self) -> &'static str {
        if self.m2ua {
            "m2ua"
        } else {
            "m3ua"
        }
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        // Over SCTP each call is one whole message.
        let step = match message(data, self.m2ua) {
            Message::Bad => Step::Unregister,
            Message::Other => Step::Keep,
            Message::Data { si, user } => {
                s.fields
                    .int_add(&cx.shared.fields, self.ids.si, u32::from(si));
                match si {
                    3 => sccp::parse(cx, s, &self.ids, user),
                    4 => {
                        cx.add_protocol(s, "tup");
                        Step::Keep
                    }
                    5 => {
                        cx.add_protocol(s, "isup");
                        Step::Keep
                    }
                    _ => Step::Unregister,
                }
            }
        };
        match step {
            Step::Keep => Parsed::Done(0),
            Step::Unregister => Parsed::Skip,
        }
    }
}

/// Tags the session and attaches the parser on any version 1 message: the payload
/// protocol id already says what it is, and an association may start with the ASP
/// handshake.
fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids, m2ua: bool) {
    let name = if m2ua { "m2ua" } else { "m3ua" };
    if d.len() < HEADER || cx.has_protocol(s, name) || d[0] != 1 {
        return;
    }
    cx.add_protocol(s, name);
    register_parser(s, Box::new(M3ua { ids, m2ua }));
}

/// Registers the M2UA and M3UA classifiers.
pub(crate) fn register(c: &mut Classifiers, ids: Ids) {
    c.register_sctp_protocol("m2ua", 0, PPID_M2UA, move |cx, s, d, _, _| {
        classify(cx, s, d, ids, true)
    });
    c.register_sctp_protocol("m3ua", 0, PPID_M3UA, move |cx, s, d, _, _| {
        classify(cx, s, d, ids, false)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message: version 1, class, type, length, then the parameters.
    fn msg(class: u8, ty: u8, params: &[u8]) -> Vec<u8> {
        let mut m = vec![1, 0, class, ty];
        m.extend_from_slice(&((8 + params.len()) as u32).to_be_bytes());
        m.extend_from_slice(params);
        m
    }

    fn param(tag: u16, data: &[u8]) -> Vec<u8> {
        let mut p = tag.to_be_bytes().to_vec();
        p.extend_from_slice(&((4 + data.len()) as u16).to_be_bytes());
        p.extend_from_slice(data);
        while !p.len().is_multiple_of(4) {
            p.push(0);
        }
        p
    }

    #[test]
    fn m3ua_protocol_data() {
        // Network appearance first (skipped), then Protocol Data: OPC 600, DPC 500,
        // SI 3, NI 2, MP 0, SLS 5, user part "abc".
        let mut pd = vec![0, 0, 2, 0x58, 0, 0, 1, 0xf4, 3, 2, 0, 5];
        pd.extend_from_slice(b"abc");
        let mut ps = param(0x0200, &[0, 0, 0, 7]);
        ps.extend(param(0x0210, &pd));
        let m = msg(1, 1, &ps);
        assert_eq!(
            message(&m, false),
            Message::Data {
                si: 3,
                user: b"abc"
            }
        );
        // The same as M2UA is of the wrong class: skipped, not an error.
        assert_eq!(message(&m, true), Message::Other);
        // ASPUP (class 3).
        assert_eq!(message(&msg(3, 1, &[]), false), Message::Other);
        // Version 2.
        let mut v2 = m.clone();
        v2[0] = 2;
        assert_eq!(message(&v2, false), Message::Bad);
        // A length past the bytes.
        let mut long = m.clone();
        long[7] += 1;
        assert_eq!(message(&long, false), Message::Bad);
        // Protocol Data too short for its fixed part: nothing found.
        let short = msg(1, 1, &param(0x0210, &[0; 11]));
        assert_eq!(message(&short, false), Message::Bad);
        // A parameter shorter than its header.
        let mut bad = msg(1, 1, &[0x02, 0x10, 0, 3, 0]);
        bad.extend_from_slice(&[0; 3]);
        assert_eq!(message(&bad, false), Message::Bad);
        for k in 0..m.len() {
            let _ = message(&m[..k], false);
            let mut x = m.clone();
            x[k] ^= 0xff;
            let _ = message(&x, false);
            let _ = message(&x, true);
        }
    }

    #[test]
    fn draft_protocol_data_and_m2ua() {
        // Raw MTP3: SIO 0x85 (SI 5, ISUP), routing label, user part.
        let mtp = [0x85, 1, 2, 3, 4, 0xaa, 0xbb];
        let m = msg(1, 1, &param(0x0002, &mtp));
        assert_eq!(
            message(&m, false),
            Message::Data {
                si: 5,
                user: &[0xaa, 0xbb]
            }
        );
        let mut li = vec![7];
        li.extend_from_slice(&mtp);
        let m = msg(1, 1, &param(0x0003, &li));
        assert_eq!(
            message(&m, false),
            Message::Data {
                si: 5,
                user: &[0xaa, 0xbb]
            }
        );
        // Too short for MTP3: the search ends there, even with a good one after.
        let mut ps = param(0x0002, &[0x83, 0, 0]);
        ps.extend(param(0x0002, &mtp));
        assert_eq!(message(&msg(1, 1, &ps), false), Message::Bad);
        // M2UA Protocol Data 1 and 2.
        let m = msg(6, 1, &param(0x0300, &mtp));
        assert_eq!(
            message(&m, true),
            Message::Data {
                si: 5,
                user: &[0xaa, 0xbb]
            }
        );
        let m = msg(6, 1, &param(0x0301, &li));
        assert_eq!(
            message(&m, true),
            Message::Data {
                si: 5,
                user: &[0xaa, 0xbb]
            }
        );
        assert_eq!(
            message(&msg(6, 1, &param(0x0301, &[7])), true),
            Message::Bad
        );
        for k in 0..m.len() {
            let _ = message(&m[..k], true);
        }
    }
}
