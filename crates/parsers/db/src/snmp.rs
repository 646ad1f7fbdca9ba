//! SNMP (Arkime's snmp.c): on the SNMP ports, the version; for v1/v2c the community,
//! PDU type, error status, variable OIDs and trap OID; for v3 the security level,
//! authoritative engine id and user name (the PDU is encrypted or skipped).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::text::hex;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use trawl_parser_common::ber::{oid, tlv};

const TYPES: [&str; 8] = [
    "GetRequest",
    "GetNextRequest",
    "GetResponse",
    "SetRequest",
    "Trap",
    "GetBulkRequest",
    "InformRequest",
    "SNMPv2-Trap",
];

const ERRORS: [&str; 19] = [
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
];

#[derive(Clone, Copy, Debug)]
struct Ids {
    version: FieldId,
    community: FieldId,
    /// The core `user` field.
    user: Option<FieldId>,
    error: FieldId,
    variable: FieldId,
    ty: FieldId,
    trap_oid: FieldId,
    engine_id: FieldId,
    sec_level: FieldId,
}

/// What a message says, field by field.
#[derive(Debug, Default, PartialEq)]
pub struct Message {
    /// 1, 2 (v2c) or 3.
    pub version: u32,
    /// v1/v2c community.
    pub community: Option<String>,
    /// PDU type name.
    pub pdu_type: Option<&'static str>,
    /// Error status name (not noError).
    pub error: Option<&'static str>,
    /// Variable binding OIDs.
    pub variables: Vec<String>,
    /// Trap OID.
    pub trap_oid: Option<String>,
    /// v3 security level.
    pub sec_level: Option<&'static str>,
    /// v3 authoritative engine id, hex.
    pub engine_id: Option<String>,
    /// v3 user name.
    pub user: Option<String>,
}

/// The version of a message (the element must be a SEQUENCE of 16 bytes or more whose
/// first element is a one-byte INTEGER 0, 1 or 3), and the rest of the sequence.
fn version(d: &[u8]) -> Option<(u32, &[u8])> {
    let mut b = d;
    let (_, tag, seq) = tlv(&mut b)?;
    if tag != 16 || seq.len() < 16 {
        return None;
    }
    let mut s = seq;
    let (_, tag, v) = tlv(&mut s)?;
    if tag != 2 || v.len() != 1 || v[0] > 3 || v[0] == 2 {
        return None;
    }
    Some((if v[0] == 3 { 3 } else { u32::from(v[0]) + 1 }, s))
}

fn v3(mut s: &[u8], m: &mut Message) {
    let Some((_, 16, global)) = tlv(&mut s) else {
        return;
    };
    let mut g = global;
    let _ = tlv(&mut g);
    let _ = tlv(&mut g);
    if let Some((_, 4, f)) = tlv(&mut g) {
        if let Some(&fl) = f.first() {
            m.sec_level = Some(if fl & 3 == 3 {
                "authPriv"
            } else if fl & 1 != 0 {
                "authNoPriv"
            } else {
                "noAuthNoPriv"
            });
        }
    }
    let Some((_, 4, params)) = tlv(&mut s) else {
        return;
    };
    if params.len() < 2 {
        return;
    }
    let mut p = params;
    let Some((_, 16, usm)) = tlv(&mut p) else {
        return;
    };
    let mut u = usm;
    let Some((_, tag, engine)) = tlv(&mut u) else {
        return;
    };
    if tag == 4 && !engine.is_empty() {
        m.engine_id = Some(hex(&engine[..engine.len().min(128)]));
    }
    if tlv(&mut u).is_none() || tlv(&mut u).is_none() {
        return;
    }
    if let Some((_, 4, user)) = tlv(&mut u) {
        if !user.is_empty() {
            m.user = Some(String::from_utf8_lossy(user).into_owned());
        }
    }
}

/// Parses one message; None means "not SNMP, stop parsing".
pub fn message(d: &[u8]) -> Option<Message> {
    let (version, mut s) = version(d)?;
    let mut m = Message {
        version,
        ..Message::default()
    };
    if version == 3 {
        v3(s, &mut m);
        return Some(m);
    }
    let (pc, tag, community) = tlv(&mut s)?;
    if pc || tag != 4 || community.is_empty() {
        return None;
    }
    m.community = Some(String::from_utf8_lossy(community).into_owned());
    let (pc, dtype, pdu) = tlv(&mut s)?;
    let name = *TYPES.get(dtype as usize)?;
    if !pc {
        return Some(m);
    }
    m.pdu_type = Some(name);
    if pdu.is_empty() {
        return Some(m);
    }
    let mut b = pdu;
    if dtype == 4 {
        if let Some((_, 6, o)) = tlv(&mut b) {
            if !o.is_empty() {
                m.trap_oid = Some(oid(o));
            }
        }
        return Some(m);
    }
    if dtype == 5 {
        for _ in 0..3 {
            if tlv(&mut b).is_none() {
                return Some(m);
            }
        }
    } else {
        if tlv(&mut b).is_none() {
            return Some(m);
        }
        let Some((_, _, err)) = tlv(&mut b) else {
            return Some(m);
        };
        if let Some(&e) = err.first() {
            if e > 0 {
                m.error = ERRORS.get(usize::from(e)).copied();
            }
        }
        if tlv(&mut b).is_none() {
            return Some(m);
        }
    }
    let Some((true, _, list)) = tlv(&mut b) else {
        return Some(m);
    };
    let mut l = list;
    while !l.is_empty() {
        let Some((true, _, vb)) = tlv(&mut l) else {
            return Some(m);
        };
        let mut v = vb;
        let Some((false, 6, o)) = tlv(&mut v) else {
            return Some(m);
        };
        let name = oid(o);
        if dtype == 7 && name == "1.3.6.1.6.3.1.1.4.1.0" {
            if let Some((_, 6, t)) = tlv(&mut v) {
                if !t.is_empty() {
                    m.trap_oid = Some(oid(t));
                }
            }
        }
        m.variables.push(name);
    }
    Some(m)
}

#[derive(Debug)]
struct Snmp {
    ids: Ids,
}

impl Parser for Snmp {
    fn name(&self) -> &'static str {
        "snmp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        let Some(m) = message(data) else {
            return Parsed::Skip;
        };
        let reg = &cx.shared.fields;
        let ids = self.ids;
        s.fields.int_add(reg, ids.version, m.version);
        let strs = [
            (ids.sec_level, m.sec_level.map(str::to_string)),
            (ids.engine_id, m.engine_id),
            (ids.community, m.community),
            (ids.ty, m.pdu_type.map(str::to_string)),
            (ids.error, m.error.map(str::to_string)),
        ];
        for (id, v) in strs {
            if let Some(v) = v {
                s.fields.string_add(reg, id, &v);
            }
        }
        if let (Some(id), Some(u)) = (ids.user, &m.user) {
            s.fields.string_add(reg, id, u);
        }
        for v in &m.variables {
            s.fields.string_add(reg, ids.variable, v);
        }
        if let Some(t) = &m.trap_oid {
            s.fields.string_add(reg, ids.trap_oid, t);
        }
        Parsed::Done(0)
    }
}

fn snmp_port(p: u16) -> bool {
    matches!(p, 161 | 162 | 8161)
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "snmp") || data.len() < 12 {
        return;
    }
    if !snmp_port(s.port1) && !snmp_port(s.port2) {
        return;
    }
    if version(data).is_none() {
        return;
    }
    cx.add_protocol(s, "snmp");
    register_parser(s, Box::new(Snmp { ids }));
}

const SNMP: FieldSpec = FieldSpec::new("snmp", FieldType::StrHash).flags(Flags::CNT);

/// The SNMP version field (defined first).
pub const VERSION: FieldSpec = FieldSpec::new("snmp", FieldType::IntHash)
    .named("snmp.version", "snmp.version", Kind::Integer)
    .text("Version", "SNMP Version")
    .flags(Flags::CNT);

/// The other SNMP fields, defined after [`VERSION`] in this order.
pub const FIELDS: [FieldSpec; 7] = [
    SNMP.named("snmp.community", "snmp.community", Kind::TermField)
        .text("Community", "SNMP Community String"),
    SNMP.named("snmp.error", "snmp.error", Kind::TermField)
        .text("Error", "SNMP Error"),
    SNMP.named("snmp.variable", "snmp.variable", Kind::TermField)
        .text("Variable", "SNMP Variable OID"),
    SNMP.named("snmp.type", "snmp.type", Kind::TermField)
        .text("Type", "SNMP PDU Type"),
    SNMP.named("snmp.trap-oid", "snmp.trapOid", Kind::TermField)
        .text("Trap OID", "SNMP Trap OID"),
    SNMP.named("snmp.engineId", "snmp.engineId", Kind::TermField)
        .text("Engine ID", "SNMPv3 msgAuthoritativeEngineID (hex)"),
    SNMP.named("snmp.secLevel", "snmp.secLevel", Kind::TermField)
        .text(
            "Security Level",
            "SNMPv3 security level (noAuthNoPriv/authNoPriv/authPriv)",
        ),
];

/// Registers the SNMP fields and classifier (`user` is a core field).
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let version = f.define_spec(&VERSION);
    let [community, error, variable, ty, trap_oid, engine_id, sec_level] = f.define_all(&FIELDS);
    let ids = Ids {
        version,
        community,
        user: f.by_db("user"),
        error,
        variable,
        ty,
        trap_oid,
        engine_id,
        sec_level,
    };
    c.register_udp("snmp", 0, 0, b"\x30", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v2c get-request for sysName.0 with community "public".
    fn get() -> Vec<u8> {
        let vb = [
            0x30, 0x0c, 0x06, 0x08, 0x2b, 6, 1, 2, 1, 1, 5, 0, 0x05, 0x00,
        ];
        let mut pdu = vec![
            0x02,
            0x01,
            0x01,
            0x02,
            0x01,
            0x00,
            0x02,
            0x01,
            0x00,
            0x30,
            vb.len() as u8,
        ];
        pdu.extend_from_slice(&vb);
        let mut body = vec![0x02, 0x01, 0x01, 0x04, 0x06];
        body.extend_from_slice(b"public");
        body.push(0xa0);
        body.push(pdu.len() as u8);
        body.extend_from_slice(&pdu);
        let mut m = vec![0x30, body.len() as u8];
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn v2c_get_request() {
        let m = message(&get()).unwrap();
        assert_eq!(m.version, 2);
        assert_eq!(m.community.as_deref(), Some("public"));
        assert_eq!(m.pdu_type, Some("GetRequest"));
        assert_eq!(m.variables, vec!["1.3.6.1.2.1.1.5.0".to_string()]);
        assert_eq!(m.error, None);
        let g = get();
        for n in 0..g.len() {
            let _ = message(&g[..n]);
        }
        let mut v2 = get();
        v2[4] = 2;
        assert!(message(&v2).is_none(), "version byte 2 is not SNMP");
    }
}
