//! Protocols whose packets all go into one session per protocol, as Arkime does for
//! IGMP, PIM, LLDP, IS-IS, XID and ES-IS: the session id is just the mprotocol.

use trawl_packet::{
    session_hash, DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig,
};

use crate::{Cx, Session};

fn id(mp: u8) -> SessionId {
    SessionId::from_raw(&[4, mp, 0, 0])
}

/// The one id of the packet's mprotocol.
pub fn create_session_id(_t: &TrackingConfig, _b: &[u8], m: &PacketMeta) -> SessionId {
    id(m.mprotocol)
}

/// Enqueue without checks (IGMP, PIM, LLDP, IS-IS, ES-IS).
pub fn enqueue(
    _t: &DecodeTables,
    _b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    uw: u32,
) -> PacketRc {
    m.payload_offset = off.min(usize::from(u16::MAX)) as u16;
    m.payload_len = len as u32;
    m.session_id = id(uw as u8);
    m.mprotocol = uw as u8;
    m.hash = session_hash(&m.session_id);
    PacketRc::DoProcess
}

/// XID frames need DSAP, SSAP and control.
pub fn enqueue_xid(
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
    enqueue(t, b, m, off, len, uw)
}

macro_rules! pre {
    ($fn:ident, $name:literal) => {
        /// Adds the protocol to a new session.
        pub fn $fn(cx: &mut Cx, s: &mut Session, _p: &mut Packet, is_new: bool) -> bool {
            if is_new {
                cx.add_protocol(s, $name);
            }
            false
        }
    };
}

pre!(igmp_pre, "igmp");
pre!(pim_pre, "pim");
pre!(lldp_pre, "lldp");
pre!(isis_pre, "isis");
pre!(xid_pre, "xid");
pre!(esis_pre, "esis");
