//! DCE/RPC over TCP (Arkime's dcerpc.c): the PDUs of each direction (framed by their
//! fragment length, at most 8 KiB), their message types, the interfaces a BIND or
//! ALTER CONTEXT names (UUID, version, and for the well-known ones their name, also
//! added as a protocol), request operation numbers, and NTLMSSP authentication
//! trailers.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_parser_common::ntlm::{self, Ntlm};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Most bytes kept per direction, and the longest fragment read.
const MAX_FRAGMENT: usize = 8192;

/// The fragment length at offset 8, in the byte order of the data representation.
const FRAG_LE: LengthPrefix = LengthPrefix::le(8, 2).range(16, MAX_FRAGMENT);
const FRAG_BE: LengthPrefix = LengthPrefix::be(8, 2).range(16, MAX_FRAGMENT);

/// The byte order's framing of the PDU at the front of `b` (read, as in Arkime, once
/// the whole 16-byte header is there).
fn framing(b: &[u8]) -> Option<LengthPrefix> {
    match b.get(..16)? {
        h if h[4] & 0x10 != 0 => Some(FRAG_LE),
        _ => Some(FRAG_BE),
    }
}

/// The PDU at the front of `b`.
fn fragment(b: &[u8]) -> Frame {
    match framing(b) {
        Some(f) => f.frame(b),
        None => Frame::Partial { needed: 16 },
    }
}

/// Interfaces Arkime names, by UUID.
const INTERFACES: &[(&str, &str)] = &[
    ("e3514235-4b06-11d1-ab04-00c04fc2dcd2", "drsuapi"),
    ("12345778-1234-abcd-ef00-0123456789ac", "samr"),
    ("12345678-1234-abcd-ef00-01234567cffb", "netlogon"),
    ("367abb81-9844-35f1-ad32-98f038001003", "svcctl"),
    ("4b324fc8-1670-01d3-1278-5a47bf6ee188", "srvsvc"),
    ("1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc"),
    ("338cd001-2244-31f1-aaaa-900038001003", "winreg"),
    ("c681d488-d850-11d0-8c52-00c04fd90f7e", "efsrpc"),
    ("df1941c5-fe89-4e79-bf10-463657acf44d", "efsr"),
    ("12345678-1234-abcd-ef00-0123456789ab", "rprn"),
    ("76f03f96-cdfd-44fc-a22c-64950a001209", "par"),
    ("4fc742e0-4a10-11cf-8273-00aa004ae673", "dfsnm"),
    ("a8e0653c-2744-4389-a61d-7373df8b2292", "fsrvp"),
    ("9556dc99-828c-11cf-a37e-00aa003240c7", "wmi"),
    ("91ae6020-9e3c-11cf-8d7c-00aa00c091be", "icertpassage"),
    ("d99e6e71-fc88-11d0-b498-00a0c90312f3", "icertrequestd"),
    ("7f1343fe-50a9-4927-a778-0c5859517bac", "icertrequestd2"),
    ("3dde7c30-165d-11d1-ab8f-00805f14db40", "bkrp"),
    ("f6beaff7-1e19-4fbb-9f8f-b89e2018337c", "even6"),
    ("897e2e5f-93f3-4376-9c9c-fd2277495c27", "frs2"),
    ("99fcfec4-5260-101b-bbcb-00aa0021347a", "ioxidresolver"),
    ("12345778-1234-abcd-ef00-0123456789ab", "lsarpc"),
    ("6bffd098-a112-3610-9833-46c3f87e345a", "wkssvc"),
    ("3919286a-b10c-11d0-9ba8-00c04fd92ef5", "dssetup"),
    ("e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper"),
    ("86d35949-83c9-4044-b424-db363231fd0c", "itaskscheduler"),
    ("00000131-0000-0000-c000-000000000046", "iremunknown"),
    ("00000134-0000-0000-c000-000000000046", "iremunknown2"),
    ("000001a0-0000-0000-c000-000000000046", "isystemactivator"),
    ("ccd8c074-d0e5-4a40-92b4-d074faa6ba28", "witness"),
    ("afa8bd80-7d8a-11c9-bef4-08002b102989", "mgmt"),
    ("f5cc5a18-4264-101a-8c59-08002b2f8426", "nspi"),
    ("82273fdc-e32a-18c3-3f78-827929dc23ea", "even"),
    ("a4f1db00-ca47-1067-b31f-00dd010662da", "mapi"),
    ("f309ad18-d86a-11d0-a075-00c04fb68820", "iwbemlevel1login"),
    ("5a7b91f8-ff00-11d0-a9b2-00c04fb6e6fc", "msrp"),
    ("50abc2a4-574d-40b3-9d66-ee4fd5fba076", "dnsserver"),
];

fn msg_type(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "request",
        2 => "response",
        3 => "fault",
        11 => "bind",
        12 => "bind-ack",
        13 => "bind-nak",
        14 => "alter-context",
        15 => "alter-context-resp",
        17 => "shutdown",
        18 => "co-cancel",
        19 => "orphaned",
        _ => return None,
    })
}

/// What one PDU says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// Message type name.
    pub msg_type: Option<&'static str>,
    /// Interfaces bound: UUID, version.
    pub interfaces: Vec<(String, u16)>,
    /// A request's operation number.
    pub opnum: Option<u16>,
    /// An NTLMSSP authentication trailer.
    pub ntlm: Option<&'a [u8]>,
}

fn u16_at(d: &[u8], at: usize, le: bool) -> Option<u16> {
    let b: [u8; 2] = d.get(at..at + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(b)
    } else {
        u16::from_be_bytes(b)
    })
}

fn uuid(d: &[u8], le: bool) -> Option<String> {
    let d = d.get(..16)?;
    let (a, b, c) = if le {
        (
            u32::from_le_bytes([d[0], d[1], d[2], d[3]]),
            u16::from_le_bytes([d[4], d[5]]),
            u16::from_le_bytes([d[6], d[7]]),
        )
    } else {
        (
            u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
            u16::from_be_bytes([d[4], d[5]]),
            u16::from_be_bytes([d[6], d[7]]),
        )
    };
    Some(format!(
        "{a:08x}-{b:04x}-{c:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]
    ))
}

/// Reads one whole PDU (Arkime's `dcerpc_process_pdu`).
pub fn pdu(data: &[u8]) -> Option<Pdu<'_>> {
    if data.len() < 16 {
        return None;
    }
    let ptype = data[2];
    let le = data[4] & 0x10 != 0;
    let mut p = Pdu {
        msg_type: msg_type(ptype),
        ..Pdu::default()
    };
    let body = &data[16..];
    match ptype {
        11 | 14 if body.len() >= 12 => {
            let n = usize::from(body[8]);
            let mut at = 12;
            for _ in 0..n {
                if body.len() - at.min(body.len()) < 44 {
                    break;
                }
                let trans = usize::from(body[at + 2]);
                let Some(id) = uuid(&body[at + 4..], le) else {
                    break;
                };
                let Some(ver) = u16_at(body, at + 20, le) else {
                    break;
                };
                p.interfaces.push((id, ver));
                at += 24 + trans * 20;
            }
        }
        0 => p.opnum = u16_at(body, 6, le),
        _ => {}
    }
    let auth = usize::from(u16_at(data, 10, le)?);
    if auth > 0 && data.len() >= 24 + auth {
        let trailer = data.len() - auth - 8;
        let m = &data[trailer + 8..];
        if data[trailer] == 10 && auth >= 8 && m.starts_with(b"NTLMSSP\0") {
            p.ntlm = Some(&m[..auth]);
        }
    }
    Some(p)
}

#[derive(Clone, Copy, Debug)]
struct Ids {
    uuid: FieldId,
    interface: FieldId,
    msg_type: FieldId,
    opnum: FieldId,
    version: FieldId,
    ntlm: Ntlm,
}

#[derive(Debug)]
struct Dcerpc {
    ids: Ids,
}

impl Parser for Dcerpc {
    fn name(&self) -> &'static str {
        "dcerpc"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        // Arkime's buffer refuses bytes beyond its cap: the parser gives up (even if
        // whole PDUs are there).
        if data.len() > MAX_FRAGMENT {
            return Parsed::Skip;
        }
        let ids = self.ids;
        let mut at = 0;
        let r = for_each_frame(data, fragment, |b| {
            at += b.len();
            let Some(p) = pdu(b) else {
                return ControlFlow::Continue(());
            };
            let reg = &cx.shared.fields;
            if let Some(t) = p.msg_type {
                s.fields.string_add(reg, ids.msg_type, t);
            }
            for (id, ver) in &p.interfaces {
                s.fields.string_add(reg, ids.uuid, id);
                if let Some((_, name)) = INTERFACES.iter().find(|(u, _)| u == id) {
                    s.fields.string_add(reg, ids.interface, name);
                    cx.add_protocol(s, name);
                }
                let reg = &cx.shared.fields;
                s.fields.string_add(reg, ids.version, &ver.to_string());
            }
            let reg = &cx.shared.fields;
            if let Some(op) = p.opnum {
                s.fields.int_add(reg, ids.opnum, u32::from(op));
            }
            if let Some(m) = p.ntlm {
                ids.ntlm.record(cx, s, m);
            }
            ControlFlow::Continue(())
        });
        if r == Parsed::Error {
            // The PDU at `at` has a fragment length out of range.
            let bad = &data[at..];
            let short = framing(bad).and_then(|f| f.length(bad)).unwrap_or(0) < 16;
            let tag = if short {
                "dcerpc:bad-fraglen"
            } else {
                "dcerpc:fragment-too-long"
            };
            cx.add_tag(s, tag);
        }
        r
    }

    fn max_held(&self) -> usize {
        MAX_FRAGMENT
    }
}

fn classify(ids: Ids, cx: &mut Cx, s: &mut Session, data: &[u8]) {
    if data.len() < 16 || data[0] != 5 || data[1] != 0 || data[2] > 19 {
        return;
    }
    if cx.has_protocol(s, "dcerpc") {
        return;
    }
    cx.add_protocol(s, "dcerpc");
    register_parser(s, Box::new(Dcerpc { ids }));
}

const DCERPC: FieldSpec = FieldSpec::new("dcerpc", FieldType::StrHash).flags(Flags::CNT);

/// dcerpc.c's fields, in its order.
const FIELDS: [FieldSpec; 5] = [
    DCERPC
        .named("dcerpc.uuid", "dcerpc.uuid", Kind::TermField)
        .text("UUID", "DCE/RPC interface UUID"),
    DCERPC
        .named("dcerpc.interface", "dcerpc.interface", Kind::TermField)
        .text("Interface", "DCE/RPC interface name"),
    DCERPC
        .named("dcerpc.msgType", "dcerpc.msgType", Kind::TermField)
        .text("Message Type", "DCE/RPC message type"),
    DCERPC
        .named("dcerpc.opnum", "dcerpc.opnum", Kind::Integer)
        .text("Opnum", "DCE/RPC operation number")
        .ty(FieldType::IntGHash),
    DCERPC
        .named("dcerpc.version", "dcerpc.version", Kind::TermField)
        .text("Version", "DCE/RPC interface version"),
];

/// Defines the DCE/RPC fields and registers the classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [uuid, interface, msg_type, opnum, version] = f.define_all(&FIELDS);
    let ids = Ids {
        uuid,
        interface,
        msg_type,
        opnum,
        version,
        ntlm: ntlm::fields(f),
    };
    for p in [
        &b"\x05\x00\x0b"[..],
        b"\x05\x00\x00",
        b"\x05\x00\x02",
        b"\x05\x00\x0c",
    ] {
        c.register_tcp("dcerpc", 0, 0, p, move |cx, s, data, _, _| {
            classify(ids, cx, s, data)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian BIND for the LSA interface, version 0.
    fn bind() -> Vec<u8> {
        let mut d = vec![5, 0, 11, 3, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
        d.extend_from_slice(&[0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0]);
        d.extend_from_slice(&[0, 0, 1, 0]);
        d.extend_from_slice(&[
            0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67,
            0x89, 0xab,
        ]);
        d.extend_from_slice(&[0, 0, 0, 0]);
        d.extend_from_slice(&[0u8; 20]);
        let n = d.len() as u16;
        d[8..10].copy_from_slice(&n.to_le_bytes());
        d
    }

    #[test]
    fn bind_names_the_interface() {
        let d = bind();
        let p = pdu(&d).unwrap();
        assert_eq!(p.msg_type, Some("bind"));
        assert_eq!(
            p.interfaces,
            [("12345778-1234-abcd-ef00-0123456789ab".to_string(), 0)]
        );
        assert!(INTERFACES
            .iter()
            .any(|(u, n)| *u == p.interfaces[0].0 && *n == "lsarpc"));
        for n in 0..=d.len() {
            let _ = pdu(&d[..n]);
        }
    }

    #[test]
    fn request_opnum_and_big_endian() {
        let mut d = vec![5, 0, 0, 3, 0x00, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 1];
        d.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(pdu(&d).unwrap().opnum, Some(7));
    }
}
