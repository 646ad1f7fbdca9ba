//! BGP (Arkime's bgp.c): sessions to TCP port 179 whose data starts with the 16-byte
//! all-ones marker; each chunk's first message type. Every message renews a 10-second
//! timer; when it runs out, the session's next packet saves a segment, so long-lived
//! quiet peerings are written as they go.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Kind};
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const MARKER: [u8; 16] = [0xff; 16];
const TYPES: [&str; 5] = ["", "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE"];
/// Seconds of packet time without BGP messages before a segment is saved.
const QUIET: u32 = 10;

/// What the front of a chunk holds: None when it is not a BGP message; Some(Err) when
/// its length is impossible; otherwise the type name, if known.
pub fn message(d: &[u8]) -> Option<Result<Option<&'static str>, ()>> {
    if d.len() < 19 || d[..16] != MARKER {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([d[16], d[17]]));
    if !(19..=4096).contains(&len) || len > d.len() {
        return Some(Err(()));
    }
    Some(Ok(TYPES
        .get(usize::from(d[18]))
        .copied()
        .filter(|t| !t.is_empty())))
}

fn quiet(s: &mut Session) {
    s.mid_save = true;
}

#[derive(Debug)]
struct Bgp {
    ty: FieldId,
}

impl Parser for Bgp {
    fn name(&self) -> &'static str {
        "bgp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        match message(data) {
            None => Parsed::Done(0),
            Some(Err(())) => Parsed::Skip,
            Some(Ok(t)) => {
                if let Some(t) = t {
                    s.fields.string_add(&cx.shared.fields, self.ty, t);
                }
                cx.pq_upsert("bgp", QUIET, quiet);
                Parsed::Done(0)
            }
        }
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ty: FieldId) {
    if data.len() < 19 || data[..16] != MARKER {
        return;
    }
    cx.add_protocol(s, "bgp");
    register_parser(s, Box::new(Bgp { ty }));
}

/// The BGP field.
pub const FIELDS: [FieldSpec; 1] = [FieldSpec::new("bgp", FieldType::StrGHash)
    .named("bgp.type", "bgp.type", Kind::UpTermField)
    .text("Type", "BGP Type field")];

/// Registers the BGP field and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [ty] = f.define_all(&FIELDS);
    c.register_port("bgp", 0, 179, port::TCP_DST, move |cx, s, data, _, _| {
        classify(cx, s, data, ty)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let mut keepalive = MARKER.to_vec();
        keepalive.extend_from_slice(&[0, 19, 4]);
        assert_eq!(message(&keepalive), Some(Ok(Some("KEEPALIVE"))));
        let mut odd = keepalive.clone();
        odd[18] = 9;
        assert_eq!(message(&odd), Some(Ok(None)));
        let mut long = keepalive.clone();
        long[16] = 0x20;
        assert_eq!(message(&long), Some(Err(())), "longer than 4096");
        assert_eq!(message(&keepalive[..18]), None);
        let mut not = keepalive;
        not[3] = 0;
        assert_eq!(message(&not), None);
    }
}
