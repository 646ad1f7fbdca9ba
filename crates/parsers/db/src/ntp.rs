//! NTP (Arkime's ntp.c): for datagrams on UDP port 123 of at least 48 bytes, the
//! version, mode, stratum class and reference id.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::text::hex;
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const MODES: [&str; 8] = [
    "reserved",
    "symmetric-active",
    "symmetric-passive",
    "client",
    "server",
    "broadcast",
    "control",
    "private",
];

#[derive(Clone, Copy, Debug)]
struct Ids {
    version: FieldId,
    mode: FieldId,
    stratum: FieldId,
    ref_id: FieldId,
}

/// What one NTP datagram says.
#[derive(Debug, PartialEq, Eq)]
pub struct Ntp {
    /// Protocol version.
    pub version: u8,
    /// Mode name.
    pub mode: &'static str,
    /// Stratum class, if the stratum is 0 to 16.
    pub stratum: Option<&'static str>,
    /// Reference id: ASCII for strata 0-1 (hex if not printable), hex for 2-15.
    pub ref_id: Option<String>,
}

/// Reads a datagram of at least 48 bytes.
pub fn parse(d: &[u8]) -> Option<Ntp> {
    if d.len() < 48 {
        return None;
    }
    let stratum = d[1];
    let class = match stratum {
        0 => Some("unspecified"),
        1 => Some("primary"),
        2..=15 => Some("secondary"),
        16 => Some("unsynchronized"),
        _ => None,
    };
    let r = &d[12..16];
    let ref_id = match stratum {
        0 | 1 => {
            let n = r
                .iter()
                .rposition(|&c| c != 0 && c != b' ')
                .map_or(0, |p| p + 1);
            (n > 0).then(|| {
                if r[..n].iter().all(|c| (0x20..=0x7e).contains(c)) {
                    String::from_utf8_lossy(&r[..n]).into_owned()
                } else {
                    hex(r)
                }
            })
        }
        2..=15 => Some(hex(r)),
        _ => None,
    };
    Some(Ntp {
        version: (d[0] >> 3) & 7,
        mode: MODES[usize::from(d[0] & 7)],
        stratum: class,
        ref_id,
    })
}

#[derive(Debug)]
struct NtpParser {
    ids: Ids,
}

impl Parser for NtpParser {
    fn name(&self) -> &'static str {
        "ntp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if let Some(n) = parse(data) {
            let reg = &cx.shared.fields;
            s.fields
                .int_add(reg, self.ids.version, u32::from(n.version));
            s.fields.string_add(reg, self.ids.mode, n.mode);
            if let Some(c) = n.stratum {
                s.fields.string_add(reg, self.ids.stratum, c);
            }
            if let Some(r) = &n.ref_id {
                s.fields.string_add(reg, self.ids.ref_id, r);
            }
        }
        Parsed::Done(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "ntp") || (s.port1 != 123 && s.port2 != 123) || data.len() < 48 {
        return;
    }
    let version = (data[0] >> 3) & 7;
    if data[1] > 16 || !(1..=4).contains(&version) || data[0] & 7 == 0 {
        return;
    }
    cx.add_protocol(s, "ntp");
    register_parser(s, Box::new(NtpParser { ids }));
}

const NTP: FieldSpec = FieldSpec::new("ntp", FieldType::StrGHash).flags(Flags::CNT);

/// The NTP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 4] = [
    NTP.ty(FieldType::IntGHash)
        .named("ntp.version", "ntp.version", Kind::Integer)
        .text("Version", "NTP version"),
    NTP.named("ntp.mode", "ntp.mode", Kind::TermField)
        .text("Mode", "NTP mode"),
    NTP.named("ntp.stratum", "ntp.stratum", Kind::TermField)
        .text("Stratum", "NTP stratum"),
    NTP.named("ntp.ref-id", "ntp.refId", Kind::TermField)
        .text("Reference ID", "NTP reference identifier"),
];

/// Registers the NTP fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [version, mode, stratum, ref_id] = f.define_all(&FIELDS);
    let ids = Ids {
        version,
        mode,
        stratum,
        ref_id,
    };
    c.register_port("ntp", 0, 123, port::UDP, move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams() {
        let mut d = [0u8; 48];
        d[0] = 0x23; // v4 client
        d[1] = 1;
        d[12..16].copy_from_slice(b"GPS\0");
        let n = parse(&d).unwrap();
        assert_eq!(
            (n.version, n.mode, n.stratum),
            (4, "client", Some("primary"))
        );
        assert_eq!(n.ref_id.as_deref(), Some("GPS"));
        d[1] = 3;
        d[12..16].copy_from_slice(&[192, 0, 2, 1]);
        assert_eq!(parse(&d).unwrap().ref_id.as_deref(), Some("c0000201"));
        d[1] = 0;
        d[12..16].copy_from_slice(&[1, 2, 0, 0]);
        assert_eq!(
            parse(&d).unwrap().ref_id.as_deref(),
            Some("01020000"),
            "not printable"
        );
        d[12..16].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(parse(&d).unwrap().ref_id, None);
        d[1] = 200;
        assert_eq!(parse(&d).unwrap().stratum, None);
        assert!(parse(&d[..47]).is_none());
    }
}
