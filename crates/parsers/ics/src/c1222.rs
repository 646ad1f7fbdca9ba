//! ANSI C12.22 (IEEE 1703) over TCP (Arkime's c1222.c): ACSE messages' called and
//! calling AP titles (OIDs) and invocation ids, and the EPSEM security mode and
//! response control.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::ber::{as_int, oid, sequence, tlv};
use trawl_parser_common::frame::{for_each_frame, Frame};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const MAX_BUF: usize = 8192;
const SECURITY: [&str; 4] = [
    "cleartext",
    "cleartext-with-auth",
    "ciphertext-with-auth",
    "unknown",
];
const RESPONSE: [&str; 4] = ["always", "on-exception", "never", "unknown"];

#[derive(Clone, Copy, Debug)]
struct Ids {
    called_title: FieldId,
    calling_title: FieldId,
    called_id: FieldId,
    calling_id: FieldId,
    security: FieldId,
    response: FieldId,
}

/// What one ACSE message holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Called AP titles.
    pub called_titles: Vec<String>,
    /// Calling AP titles.
    pub calling_titles: Vec<String>,
    /// Called AP invocation ids.
    pub called_ids: Vec<u32>,
    /// Calling AP invocation ids.
    pub calling_ids: Vec<u32>,
    /// Security mode and response control names.
    pub epsem: Option<(&'static str, &'static str)>,
}

/// An invocation id as Arkime reads it: 1-4 bytes that fit a signed 32-bit integer.
fn invocation(t: &(bool, u32, &[u8])) -> Option<u32> {
    as_int(t).filter(|v| *v <= i32::MAX as u32)
}

/// Reads one ACSE message (an `[APPLICATION 0]` element).
pub fn message(d: &[u8]) -> Option<Message> {
    let mut b = d;
    let (pc, tag, body) = tlv(&mut b)?;
    if !pc || tag != 0 {
        return None;
    }
    let mut m = Message::default();
    for t in sequence(body, 10, false) {
        match t.1 {
            4 => m.called_ids.extend(invocation(&t)),
            8 => m.calling_ids.extend(invocation(&t)),
            2 | 6 => {
                let mut v = t.2;
                if let Some((_, 6, o)) = tlv(&mut v) {
                    let s = oid(o);
                    if t.1 == 2 {
                        m.called_titles.push(s);
                    } else {
                        m.calling_titles.push(s);
                    }
                }
            }
            30 => {
                let mut v = t.2;
                if let Some((_, _, outer)) = tlv(&mut v) {
                    let mut i = outer;
                    if let Some((_, _, inner)) = tlv(&mut i) {
                        if let Some(&f) = inner.first() {
                            let sec = usize::from((f >> 2) & 3);
                            let rsp = usize::from(f & 3);
                            m.epsem = Some((SECURITY[sec], RESPONSE[rsp]));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Some(m)
}

/// Where the BER element at the front of `d` ends (Arkime's
/// `c1222_peek_total_len`): a long-form tag, an indefinite length, a length of more
/// than 4 bytes or an element larger than the buffer cannot be framed.
pub fn framing(d: &[u8]) -> Frame {
    if d.len() < 2 {
        return Frame::Partial { needed: 2 };
    }
    if d[0] & 0x1f == 0x1f {
        return Frame::Bad;
    }
    let l = d[1];
    let total = if l & 0x80 == 0 {
        2 + usize::from(l)
    } else {
        let n = usize::from(l & 0x7f);
        if n == 0 || n > 4 {
            return Frame::Bad;
        }
        let Some(bytes) = d.get(2..2 + n) else {
            return Frame::Partial { needed: 2 + n };
        };
        2 + n + bytes.iter().fold(0usize, |a, &c| a << 8 | usize::from(c))
    };
    if total > MAX_BUF {
        Frame::Bad
    } else if total > d.len() {
        Frame::Partial { needed: total }
    } else {
        Frame::Whole(total)
    }
}

#[derive(Debug)]
struct C1222 {
    ids: Ids,
}

impl C1222 {
    fn add(&self, cx: &mut Cx, s: &mut Session, m: &Message) {
        let reg = &cx.shared.fields;
        let ids = &self.ids;
        for t in &m.called_titles {
            s.fields.string_add(reg, ids.called_title, t);
        }
        for t in &m.calling_titles {
            s.fields.string_add(reg, ids.calling_title, t);
        }
        for v in &m.called_ids {
            s.fields.int_add(reg, ids.called_id, *v);
        }
        for v in &m.calling_ids {
            s.fields.int_add(reg, ids.calling_id, *v);
        }
        if let Some((sec, rsp)) = m.epsem {
            s.fields.string_add(reg, ids.security, sec);
            s.fields.string_add(reg, ids.response, rsp);
        }
    }
}

impl Parser for C1222 {
    fn name(&self) -> &'static str {
        "c1222"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        // Arkime adds each packet to an 8192-byte parser buffer without checking that
        // it fit, so bytes past a full buffer are lost mid-stream; here they are kept
        // and read (elements larger than the buffer still end the parse).
        for_each_frame(data, framing, |el| {
            if let Some(m) = message(el) {
                self.add(cx, s, &m);
            }
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "c1222") || d.len() < 6 || d[0] != 0x60 {
        return;
    }
    let mut b = d;
    let Some((true, 0, body)) = tlv(&mut b) else {
        return;
    };
    let mut i = body;
    if !matches!(tlv(&mut i), Some((_, 2 | 4 | 6, _))) {
        return;
    }
    cx.add_protocol(s, "c1222");
    register_parser(s, Box::new(C1222 { ids }));
}

const STR: FieldSpec = FieldSpec::new("c1222", FieldType::StrGHash).flags(Flags::CNT);
const INT: FieldSpec = FieldSpec::new("c1222", FieldType::IntGHash).flags(Flags::CNT);

/// The C12.22 fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 6] = [
    STR.named(
        "c1222.calledApTitle",
        "c1222.calledApTitle",
        Kind::TermField,
    )
    .text("Called AP Title", "C12.22 called AP title OID"),
    STR.named(
        "c1222.callingApTitle",
        "c1222.callingApTitle",
        Kind::TermField,
    )
    .text("Calling AP Title", "C12.22 calling AP title OID"),
    INT.named(
        "c1222.calledApInvocationId",
        "c1222.calledApInvocationId",
        Kind::Integer,
    )
    .text(
        "Called AP Invocation ID",
        "C12.22 called AP invocation identifier",
    ),
    INT.named(
        "c1222.callingApInvocationId",
        "c1222.callingApInvocationId",
        Kind::Integer,
    )
    .text(
        "Calling AP Invocation ID",
        "C12.22 calling AP invocation identifier",
    ),
    STR.named("c1222.securityMode", "c1222.securityMode", Kind::TermField)
        .text("Security Mode", "C12.22 EPSEM security mode"),
    STR.named(
        "c1222.responseControl",
        "c1222.responseControl",
        Kind::TermField,
    )
    .text("Response Control", "C12.22 EPSEM response control"),
];

/// Registers the C12.22 fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [called_title, calling_title, called_id, calling_id, security, response] =
        f.define_all(&FIELDS);
    let ids = Ids {
        called_title,
        calling_title,
        called_id,
        calling_id,
        security,
        response,
    };
    c.register_tcp("c1222", 0, 0, b"\x60", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    use trawl_parser_common::ber::encode as el;

    #[test]
    fn aarq() {
        let called = el(0xa2, &el(0x06, &[0x2b, 6, 1, 4, 1, 0x82, 0x85, 0x63]));
        let called_id = el(0xa4, &el(0x02, &333_976_609u32.to_be_bytes()));
        let epsem = el(0xbe, &el(0x28, &el(0x81, &[0x08, 0x01])));
        let msg = el(0x60, &[called, called_id, epsem].concat());
        let m = message(&msg).unwrap();
        assert_eq!(m.called_titles, vec!["1.3.6.1.4.1.33507".to_string()]);
        assert_eq!(m.called_ids, vec![333_976_609]);
        assert_eq!(m.epsem, Some(("ciphertext-with-auth", "always")));
        assert_eq!(framing(&msg), Frame::Whole(msg.len()));
        assert_eq!(framing(&[0x60]), Frame::Partial { needed: 2 });
        assert_eq!(framing(&[0x60, 0x82, 0x01]), Frame::Partial { needed: 4 });
        assert_eq!(
            framing(&[0x60, 0x82, 0x01, 0x00]),
            Frame::Partial { needed: 260 }
        );
        assert_eq!(framing(&[0x7f, 0x01]), Frame::Bad);
        assert_eq!(framing(&[0x60, 0x80]), Frame::Bad);
        assert_eq!(framing(&[0x60, 0x85, 0, 0, 0, 0, 9]), Frame::Bad);
        assert_eq!(
            framing(&[0x60, 0x82, 0x20, 0x00]),
            Frame::Bad,
            "past the buffer"
        );
        for n in 0..msg.len() {
            let _ = message(&msg[..n]);
        }
    }
}
