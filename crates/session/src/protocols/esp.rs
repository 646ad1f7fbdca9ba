//! ESP (IP protocol 50), when `trackESP` is on: sessions per address pair, packets not
//! written to pcap unless `espSavePackets`.

use trawl_packet::{DecodeTables, Packet, PacketMeta, PacketRc, SessionId, TrackingConfig};

use crate::{CoreSettings, Cx, Dir, MProtocol, MProtocols, Session, SessionType};

/// Address pair with zero ports.
pub fn create_session_id(t: &TrackingConfig, b: &[u8], m: &PacketMeta) -> SessionId {
    super::icmp::create_session_id(t, b, m)
}

/// Enqueue (`uw` is the esp mprotocol): the address pair is the id; nothing is checked.
pub fn enqueue(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    _off: usize,
    _len: usize,
    uw: u32,
) -> PacketRc {
    let id = create_session_id(&t.opts.tracking, b, m);
    super::claim(m, uw, id)
}

/// Direction and data bytes (past the 8-byte ESP header).
pub fn pre_process(cx: &mut Cx, s: &mut Session, pkt: &mut Packet, is_new: bool) -> bool {
    if is_new {
        cx.add_protocol(s, "esp");
        if !cx.shared.settings.esp_save_packets {
            s.stop_saving = 1;
        }
    }
    pkt.meta.direction = super::addr_direction(s, pkt);
    let po = usize::from(pkt.meta.payload_offset) + 8;
    if pkt.meta.len as usize >= po {
        s.flows[Dir::from_bit(pkt.meta.direction)].databytes += (pkt.meta.len as usize - po) as u64;
    }
    false
}

/// Registers the mprotocol and IP protocol 50 (only called when `trackESP` is on).
pub fn register(m: &mut MProtocols, t: &mut DecodeTables, s: &CoreSettings) {
    let mp = m.mprotocol_register(MProtocol {
        name: "esp",
        ses: SessionType::Esp,
        create_session_id,
        pre_process,
        process: None,
        free: None,
        mid_save: None,
        timeout: s.esp_timeout,
    });
    t.set_ip_cb(50, enqueue, u32::from(mp));
}
