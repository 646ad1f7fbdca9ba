//! PANA (RFC 5191; Arkime's pana.c): message types, session ids and the EAP identity
//! carried in EAP-Payload AVPs.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const TYPES: [&str; 5] = [
    "unknown",
    "client-initiation",
    "auth",
    "termination",
    "notification",
];

#[derive(Clone, Copy, Debug)]
struct Ids {
    user: FieldId,
    msg_type: FieldId,
    session_id: FieldId,
}

/// What one PANA message holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Message type name (types 1-4).
    pub msg_type: Option<&'static str>,
    /// Session id, as 8 hex digits, unless zero.
    pub session_id: Option<String>,
    /// EAP Request/Response Identity values.
    pub identities: Vec<&'a [u8]>,
    /// The AVPs were malformed: stop parsing the session.
    pub bad: bool,
}

fn eap_identity(d: &[u8]) -> Option<&[u8]> {
    if d.len() < 5 {
        return None;
    }
    let (code, len, ty) = (d[0], usize::from(u16::from_be_bytes([d[2], d[3]])), d[4]);
    if !(code == 1 || code == 2) || ty != 1 {
        return None;
    }
    let n = len.checked_sub(5).filter(|n| *n > 0)?;
    d.get(5..5 + n)
}

/// Reads one message; None (stop parsing) if it is too short or its length is wrong.
pub fn message(d: &[u8]) -> Option<Message<'_>> {
    if d.len() < 16 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if len < 16 || len > d.len() {
        return None;
    }
    let ty = usize::from(u16::from_be_bytes([d[6], d[7]]));
    let sid = u32::from_be_bytes([d[8], d[9], d[10], d[11]]);
    let mut m = Message {
        msg_type: (ty > 0).then(|| TYPES.get(ty).copied()).flatten(),
        session_id: (sid != 0).then(|| format!("{sid:08x}")),
        identities: Vec::new(),
        bad: false,
    };
    let mut b = &d[16..len];
    while b.len() >= 8 {
        let code = u16::from_be_bytes([b[0], b[1]]);
        let alen = usize::from(u16::from_be_bytes([b[4], b[5]]));
        b = &b[8..];
        if alen > b.len() {
            m.bad = true;
            break;
        }
        if code == 2 {
            m.identities.extend(eap_identity(&b[..alen]));
        }
        // AVP values are padded to four bytes.
        let padded = (alen + 3) & !3;
        b = b.get(padded..).unwrap_or(&[]);
    }
    Some(m)
}

#[derive(Debug)]
struct Pana {
    ids: Ids,
}

impl Parser for Pana {
    fn name(&self) -> &'static str {
        "pana"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let Some(m) = message(data) else {
            return Parsed::Skip;
        };
        let reg = &cx.shared.fields;
        if let Some(t) = m.msg_type {
            s.fields.string_add(reg, self.ids.msg_type, t);
        }
        if let Some(id) = &m.session_id {
            s.fields.string_add(reg, self.ids.session_id, id);
        }
        for u in &m.identities {
            s.fields
                .string_add(reg, self.ids.user, &String::from_utf8_lossy(u));
        }
        if m.bad {
            Parsed::Skip
        } else {
            Parsed::Done(0)
        }
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "pana") || data.len() < 16 {
        return;
    }
    let len = usize::from(u16::from_be_bytes([data[2], data[3]]));
    let ty = usize::from(u16::from_be_bytes([data[6], data[7]]));
    if len != data.len() || !(1..TYPES.len()).contains(&ty) {
        return;
    }
    cx.add_protocol(s, "pana");
    register_parser(s, Box::new(Pana { ids }));
}

const TERM: FieldSpec = FieldSpec::new("pana", FieldType::StrGHash).flags(Flags::CNT);

/// The PANA fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 3] = [
    TERM.named("pana.user", "pana.user", Kind::TermField)
        .text("User", "PANA/EAP User Identity")
        .category("user"),
    TERM.named("pana.msg-type", "pana.msgType", Kind::TermField)
        .text("Msg Type", "PANA Message Type"),
    TERM.named("pana.session-id", "pana.sessionId", Kind::TermField)
        .text("Session ID", "PANA Session ID"),
];

/// Registers the PANA fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [user, msg_type, session_id] = f.define_all(&FIELDS);
    let ids = Ids {
        user,
        msg_type,
        session_id,
    };
    c.register_udp("pana", 0, 0, b"\x00\x00", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_with_identity() {
        let eap = [2u8, 1, 0, 9, 1, b'a', b'l', b'i', b'x'];
        let mut m = vec![0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0x12, 0x34, 0, 0, 0, 1];
        m.extend_from_slice(&[0, 2, 0, 0, 0, eap.len() as u8, 0, 0]);
        m.extend_from_slice(&eap);
        m.extend_from_slice(&[0, 0, 0]);
        let n = m.len() as u16;
        m[2..4].copy_from_slice(&n.to_be_bytes());
        let r = message(&m).unwrap();
        assert_eq!(r.msg_type, Some("auth"));
        assert_eq!(r.session_id.as_deref(), Some("00001234"));
        assert_eq!(r.identities, vec![&b"alix"[..]]);
        assert!(!r.bad);
        assert!(message(&m[..15]).is_none());
        // An AVP longer than the message is malformed.
        let mut bad = m.clone();
        bad[21] = 200;
        assert!(message(&bad).unwrap().bad);
        for cut in 16..m.len() {
            let mut c = m[..cut].to_vec();
            c[2..4].copy_from_slice(&(cut as u16).to_be_bytes());
            let _ = message(&c);
        }
    }
}
