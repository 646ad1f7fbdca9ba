//! OSPF (IP protocol 89): sessions per address pair; from the first packets the
//! message type, router id and area id, and a tag for null or simple (cleartext)
//! OSPFv2 authentication (Arkime's `parsers/ospf.c`).

use trawl_fields::{FieldRegistry, FieldType};
use trawl_packet::{DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig};

use crate::{Cx, MProtocols, Session};

/// Address pair with zero ports.
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    super::icmp::create_session_id(t, b, m)
}

/// Enqueue without checks: the bytes after the IP header are the payload.
pub fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    super::set_payload(m, off, len);
    let id = create_session_id(&t.opts.tracking, b, m);
    super::claim(m, uw, id)
}

/// The name Arkime gives a message type.
pub fn msg_type_name(ty: u8) -> String {
    let known = match ty {
        1 => "Hello",
        2 => "DBDesc",
        3 => "LSReq",
        4 => "LSUpdate",
        5 => "LSAck",
        _ => return format!("unk-{ty}"),
    };
    known.to_string()
}

fn dotted(b: &[u8]) -> String {
    let mut out = String::with_capacity(15);
    for (i, x) in b.iter().take(4).enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&x.to_string());
    }
    out
}

/// Names the session; while it has had at most ten packets, records the common
/// header's type, router id and area id, and tags OSPFv2 null/simple authentication.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "ospf");
    }
    if s.packets() > 10 || pkt.meta.payload_len < 12 {
        return false;
    }
    let d = pkt.payload();
    let (Some(&version), Some(&ty), Some(router), Some(area)) =
        (d.first(), d.get(1), d.get(4..8), d.get(8..12))
    else {
        return false;
    };
    if version != 2 && version != 3 {
        return false;
    }
    let f = &cx.shared.fields;
    let values = [
        ("ospf.msgType", msg_type_name(ty)),
        ("ospf.routerId", dotted(router)),
        ("ospf.areaId", dotted(area)),
    ];
    for (expr, v) in values {
        if let Some(id) = f.by_expression(expr) {
            s.fields.string_add(f, id, &v);
        }
    }
    if version == 2 && pkt.meta.payload_len >= 16 {
        match d.get(14..16).map(|a| u16::from_be_bytes([a[0], a[1]])) {
            Some(0) => cx.add_tag(s, "ospf:auth-null"),
            Some(1) => cx.add_tag(s, "ospf:auth-simple"),
            _ => {}
        }
    }
    false
}

/// Defines `ospf.msgType`, `ospf.routerId` and `ospf.areaId`.
pub fn define_fields(r: &mut FieldRegistry) {
    for (expr, friendly, help) in [
        ("ospf.msgType", "OSPF Msg Type", "OSPF packet type"),
        ("ospf.routerId", "Router ID", "OSPF Router ID"),
        ("ospf.areaId", "Area ID", "OSPF Area ID"),
    ] {
        r.define(
            "ospf",
            "termfield",
            expr,
            friendly,
            expr,
            help,
            FieldType::StrGHash,
            0,
        );
    }
}

/// Registers the mprotocol, its fields and IP protocol 89.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, f: &mut FieldRegistry) {
    define_fields(f);
    let mp = m.mprotocol_register(super::other_mprotocol(
        "ospf",
        create_session_id,
        pre_process,
    ));
    t.set_ip_cb(89, enqueue, u32::from(mp));
}
