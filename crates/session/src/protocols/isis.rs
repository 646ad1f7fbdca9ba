//! IS-IS (802.3/LLC with NLPID 0x83): every IS-IS PDU goes into one session and its
//! PDU type is recorded in `isis.msgType`, as in Arkime's `parsers/isis.c`.

use trawl_fields::{FieldRegistry, FieldType};
use trawl_packet::{DecodeTables, Packet, PacketMeta, SessionId, TrackingConfig};

use crate::{Cx, MProtocols, Session};

/// The NLPID the 802.2 decoder dispatches IS-IS on.
pub const NLPID_ISIS: u16 = 0x83;

/// The one IS-IS session.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    super::single_session_id(m.mprotocol)
}

/// The name Arkime gives a PDU type (the low five bits of the type byte).
pub fn pdu_type_name(ty: u8) -> String {
    let known = match ty {
        15 => "lan-l1-hello",
        16 => "lan-l2-hello",
        17 => "p2p-hello",
        18 => "l1-lsp",
        20 => "l2-lsp",
        24 => "l1-csnp",
        25 => "l2-csnp",
        26 => "l1-psnp",
        27 => "l2-psnp",
        _ => return format!("unk-{ty}"),
    };
    known.to_string()
}

/// Names the session and records the PDU type of every packet. The NLPID byte was
/// consumed by the dispatch, so the payload starts at the PDU's length indicator and
/// the type byte is the payload's fourth.
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "isis");
    }
    let f = &cx.shared.fields;
    let Some(id) = f.by_expression("isis.msgType") else {
        return false;
    };
    let name = match pkt.payload().get(3) {
        Some(b) if pkt.meta.payload_len >= 4 => pdu_type_name(b & 0x1f),
        _ => format!("err-len-{}", pkt.meta.payload_len),
    };
    s.fields.string_add(f, id, &name);
    false
}

/// Defines `isis.msgType`.
pub fn define_fields(r: &mut FieldRegistry) {
    r.define(
        "isis",
        "lotermfield",
        "isis.msgType",
        "Msg Type",
        "isis.msgType",
        "ISIS Msg Type field",
        FieldType::StrGHash,
        0,
    );
}

/// Registers the mprotocol, its field and the NLPID.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, f: &mut FieldRegistry) {
    define_fields(f);
    let mp = m.mprotocol_register(super::other_mprotocol(
        "isis",
        create_session_id,
        pre_process,
    ));
    t.set_ethernet_cb(NLPID_ISIS, super::single_session_enqueue, u32::from(mp));
}
