//! BACnet/IP (Arkime's bacnet.c): the BVLC function, APDU type, service and object
//! names (from I-Am, I-Have, Who-Has and read-property acknowledgements).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const FUNCTIONS: [&str; 13] = [
    "result",
    "write-bdt",
    "read-bdt",
    "read-bdt-ack",
    "forwarded-npdu",
    "register-foreign-device",
    "read-fdt",
    "read-fdt-ack",
    "delete-fdt-entry",
    "distribute-broadcast",
    "original-unicast",
    "original-broadcast",
    "secured-bvll",
];

const CONFIRMED: [&str; 30] = [
    "acknowledge-alarm",
    "confirmed-cov-notification",
    "confirmed-event-notification",
    "get-alarm-summary",
    "get-enrollment-summary",
    "subscribe-cov",
    "atomic-read-file",
    "atomic-write-file",
    "add-list-element",
    "remove-list-element",
    "create-object",
    "delete-object",
    "read-property",
    "read-property-conditional",
    "read-property-multiple",
    "write-property",
    "write-property-multiple",
    "device-communication-control",
    "confirmed-private-transfer",
    "confirmed-text-message",
    "reinitialize-device",
    "vt-open",
    "vt-close",
    "vt-data",
    "authenticate",
    "request-key",
    "read-range",
    "life-safety-operation",
    "subscribe-cov-property",
    "get-event-information",
];

const UNCONFIRMED: [&str; 10] = [
    "i-am",
    "i-have",
    "unconfirmed-cov-notification",
    "unconfirmed-event-notification",
    "unconfirmed-private-transfer",
    "unconfirmed-text-message",
    "time-synchronization",
    "who-has",
    "who-is",
    "utc-time-synchronization",
];

const APDU_TYPES: [&str; 8] = [
    "confirmed-request",
    "unconfirmed-request",
    "simple-ack",
    "complex-ack",
    "segment-ack",
    "error",
    "reject",
    "abort",
];

#[derive(Clone, Copy, Debug)]
struct Ids {
    function: FieldId,
    service: FieldId,
    apdu_type: FieldId,
    object_name: FieldId,
}

/// What one datagram holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message<'a> {
    /// BVLC function.
    pub function: Option<&'static str>,
    /// APDU type.
    pub apdu_type: Option<&'static str>,
    /// Service.
    pub service: Option<&'static str>,
    /// Object name.
    pub object_name: Option<&'a [u8]>,
}

/// The first character string (application tag 7 or context tag 7) after `c`, without
/// its character set byte.
fn object_name<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    while c.remaining() >= 3 {
        let tag = c.u8();
        if !matches!(tag & 0xf8, 0x70 | 0x38) {
            continue;
        }
        let len = match tag & 7 {
            5 => {
                let ext = c.take(1)?[0];
                match ext {
                    0..=253 => usize::from(ext),
                    254 => {
                        if c.remaining() < 2 {
                            return None;
                        }
                        usize::from(c.be16())
                    }
                    255 => u32::from_be_bytes(c.array()?) as usize,
                }
            }
            n @ 0..=4 => usize::from(n),
            _ => continue,
        };
        if len < 1 || c.remaining() < len {
            return None;
        }
        c.skip(1);
        let n = len - 1;
        let rest = c.rest();
        return (n > 0 && n <= rest.len()).then(|| &rest[..n]);
    }
    None
}

/// Reads one BACnet/IP datagram.
pub fn message(d: &[u8]) -> Message<'_> {
    let mut m = Message::default();
    if d.len() < 4 {
        return m;
    }
    let (ty, func) = (d[0], d[1]);
    let blen = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if blen < 4 || blen > d.len() || !(ty == 0x81 || ty == 0x82) {
        return m;
    }
    m.function = FUNCTIONS.get(usize::from(func)).copied();
    let mut c = Cursor::new(&d[4..]);
    if func == 0x04 {
        c.skip(if ty == 0x81 { 6 } else { 18 });
    }
    if !matches!(func, 0x0a | 0x0b | 0x04 | 0x09) || c.remaining() < 2 {
        return m;
    }
    let (version, control) = (c.u8(), c.u8());
    if c.is_error() || version != 1 {
        return m;
    }
    if control & 0x20 != 0 {
        c.skip(2);
        let l = usize::from(c.u8());
        c.skip(l);
        if c.is_error() {
            return m;
        }
    }
    if control & 0x08 != 0 {
        c.skip(2);
        let l = usize::from(c.u8());
        c.skip(l);
        if c.is_error() {
            return m;
        }
    }
    if control & 0x20 != 0 {
        c.skip(1);
    }
    if control & 0x80 != 0 || c.remaining() == 0 {
        return m;
    }
    let first = c.u8();
    let apdu = first >> 4;
    m.apdu_type = APDU_TYPES.get(usize::from(apdu)).copied();
    match apdu {
        0 => {
            c.skip(2);
            if first & 0x08 != 0 {
                c.skip(2);
            }
            if c.remaining() > 0 {
                m.service = CONFIRMED.get(usize::from(c.u8())).copied();
            }
        }
        1 if c.remaining() > 0 => {
            let s = c.u8();
            m.service = UNCONFIRMED.get(usize::from(s)).copied();
            if s <= 1 || s == 7 {
                m.object_name = object_name(&mut c);
            }
        }
        3 => {
            c.skip(1);
            if first & 0x08 != 0 {
                c.skip(2);
            }
            if c.remaining() > 0 {
                let s = c.u8();
                if s == 12 || s == 14 {
                    m.object_name = object_name(&mut c);
                }
            }
        }
        _ => {}
    }
    m
}

#[derive(Debug)]
struct Bacnet {
    ids: Ids,
}

impl Parser for Bacnet {
    fn name(&self) -> &'static str {
        "bacnet"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let m = message(data);
        let reg = &cx.shared.fields;
        let ids = self.ids;
        for (id, v) in [
            (ids.function, m.function),
            (ids.apdu_type, m.apdu_type),
            (ids.service, m.service),
        ] {
            if let Some(v) = v {
                s.fields.string_add(reg, id, v);
            }
        }
        if let Some(n) = m.object_name {
            s.fields
                .string_add(reg, ids.object_name, &String::from_utf8_lossy(n));
        }
        Parsed::Done(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "bacnet") || d.len() < 4 || !(d[0] == 0x81 || d[0] == 0x82) {
        return;
    }
    let blen = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if blen < 4 || blen > d.len() || d[1] > 0x0c {
        return;
    }
    cx.add_protocol(s, "bacnet");
    register_parser(s, Box::new(Bacnet { ids }));
}

const TERM: FieldSpec = FieldSpec::new("bacnet", FieldType::StrGHash).flags(Flags::CNT);

/// The BACnet fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 4] = [
    TERM.named("bacnet.function", "bacnet.function", Kind::TermField)
        .text("Function", "BACnet BVLC function"),
    TERM.named("bacnet.service", "bacnet.service", Kind::TermField)
        .text("Service", "BACnet APDU service"),
    TERM.named("bacnet.apdu-type", "bacnet.apduType", Kind::TermField)
        .text("APDU Type", "BACnet APDU type"),
    TERM.named("bacnet.object-name", "bacnet.objectName", Kind::TermField)
        .text("Object Name", "BACnet object name"),
];

/// Registers the BACnet fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [function, service, apdu_type, object_name] = f.define_all(&FIELDS);
    let ids = Ids {
        function,
        service,
        apdu_type,
        object_name,
    };
    for pattern in [b"\x81", b"\x82"] {
        c.register_udp("bacnet", 0, 0, pattern, move |cx, s, d, _, _| {
            classify(cx, s, d, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i_have() {
        // Original-broadcast, NPDU v1, unconfirmed I-Have with object name "Pump" (charset 0).
        let mut d = vec![0x81, 0x0b, 0, 0, 1, 0, 0x10, 1];
        d.extend_from_slice(&[
            0xc4, 2, 0, 0, 1, 0xc4, 0, 0, 0, 1, 0x75, 5, 0, b'P', b'u', b'm', b'p',
        ]);
        let n = d.len() as u16;
        d[2..4].copy_from_slice(&n.to_be_bytes());
        let m = message(&d);
        assert_eq!(m.function, Some("original-broadcast"));
        assert_eq!(m.apdu_type, Some("unconfirmed-request"));
        assert_eq!(m.service, Some("i-have"));
        assert_eq!(m.object_name, Some(&b"Pump"[..]));
        for cut in 0..d.len() {
            let _ = message(&d[..cut]);
        }
        assert_eq!(message(&d[..3]), Message::default());
    }

    #[test]
    fn extended_lengths_of_object_names() {
        // Application tag 7 with length 5: the next byte is the length, 254 a 16-bit
        // one, 255 a 32-bit one; then the character set byte and the name.
        let name = |ext: &[u8]| {
            let mut d = vec![0x75];
            d.extend_from_slice(ext);
            d.extend_from_slice(&[0, b'T', b'a', b'n', b'k']);
            d
        };
        for ext in [&[5][..], &[254, 0, 5], &[255, 0, 0, 0, 5]] {
            let d = name(ext);
            assert_eq!(object_name(&mut Cursor::new(&d)), Some(&b"Tank"[..]));
            // A length past the end gives nothing.
            assert_eq!(object_name(&mut Cursor::new(&d[..d.len() - 1])), None);
        }
        // A 16- or 32-bit length cut short gives nothing.
        assert_eq!(object_name(&mut Cursor::new(&[0x75, 254, 0])), None);
        assert_eq!(object_name(&mut Cursor::new(&[0x75, 255, 0, 0])), None);
        // Other tags are stepped over one byte at a time.
        let mut d = vec![0x21, 0x05];
        d.extend(name(&[5]));
        assert_eq!(object_name(&mut Cursor::new(&d)), Some(&b"Tank"[..]));
    }
}
