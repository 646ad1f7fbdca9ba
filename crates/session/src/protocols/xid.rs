//! 802.2 XID frames (the 802.3 decoder's pseudo ethertype): one session for all of
//! them, as in Arkime's `parsers/xid.c`.

use trawl_packet::{
    DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig, ETHERTYPE_XID,
};

use crate::{Cx, MProtocols, Session};

/// The one XID session.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    super::single_session_id(m.mprotocol)
}

/// An XID frame needs at least DSAP, SSAP and control; shorter ones are corrupt.
pub fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    if len < 3 {
        return PacketRc::Corrupt;
    }
    super::single_session_enqueue(t, b, m, off, len, uw)
}

/// Names the session.
pub fn pre_process(cx: &mut Cx, s: &mut Session, _pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "xid");
    }
    false
}

/// Registers the mprotocol and the XID pseudo ethertype.
pub fn register(m: &mut MProtocols, t: &mut DecodeTables) {
    let mp = m.mprotocol_register(super::other_mprotocol(
        "xid",
        create_session_id,
        pre_process,
    ));
    t.set_ethernet_cb(ETHERTYPE_XID, enqueue, u32::from(mp));
}
