//! ES-IS (registered on ethertype 0x890d, as Arkime's `parsers/esis.c` does): every
//! PDU goes into one session and its type is recorded in `esis.type`.

use trawl_fields::{FieldRegistry, FieldType};
use trawl_packet::{DecodeTables, Packet, PacketMeta, SessionId, TrackingConfig};

use crate::{Cx, MProtocols, Session};

/// The ethertype Arkime registers ES-IS on.
pub const ETHERTYPE_ESIS: u16 = 0x890d;

/// The one ES-IS session.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    super::single_session_id(m.mprotocol)
}

/// The name Arkime gives a PDU type (the payload's first byte).
pub fn pdu_type_name(ty: u8) -> String {
    match ty {
        2 => "esh".to_string(),
        4 => "ish".to_string(),
        6 => "rd".to_string(),
        _ => format!("unknown-{ty}"),
    }
}

/// Names the session and records each PDU's type.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "esis");
    }
    if pkt.meta.payload_len < 1 {
        return false;
    }
    let Some(&ty) = pkt.payload().first() else {
        return false;
    };
    let f = &cx.shared.fields;
    if let Some(id) = f.by_expression("esis.type") {
        s.fields.string_add(f, id, &pdu_type_name(ty));
    }
    false
}

/// Defines `esis.type`.
pub fn define_fields(r: &mut FieldRegistry) {
    r.define(
        "esis",
        "lotermfield",
        "esis.type",
        "Type",
        "esis.type",
        "ES-IS PDU Type",
        FieldType::StrGHash,
        0,
    );
}

/// Registers the mprotocol, its field and the ethertype.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, f: &mut FieldRegistry) {
    define_fields(f);
    let mp = m.mprotocol_register(super::other_mprotocol(
        "esis",
        create_session_id,
        pre_process,
    ));
    t.set_ethernet_cb(ETHERTYPE_ESIS, super::single_session_enqueue, u32::from(mp));
}
