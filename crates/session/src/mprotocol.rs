//! mprotocols: how a kind of session is identified, started and fed (Arkime's
//! `arkime_mprotocol_register`). TCP and UDP are mprotocols, and so are the special
//! protocols (ICMP, ARP, SCTP, ESP, ...) and the unknown/corrupt catch-alls.

use trawl_packet::{Packet, PacketMeta, SessionId, TrackingConfig};

use crate::{Cx, Session, SessionType};

/// Builds the session id of a packet (also done in the enqueue phase to hash it).
pub type CreateSessionIdFn = fn(&TrackingConfig, &[u8], &PacketMeta) -> SessionId;
/// Called for every packet before it is counted; sets the packet's direction and
/// initial SPI data. Returns true to close the existing session and start a new one.
pub type PreProcessFn = fn(&mut Cx, &mut Session, &mut Packet, bool) -> bool;
/// Called after the packet is counted and written; takes the packet (and may keep it,
/// as TCP keeps out-of-order segments).
pub type ProcessFn = fn(&mut Cx, &mut Session, Packet);
/// Called when the session is being saved for the last time.
pub type FreeFn = fn(&mut Cx, &mut Session);
/// Called after a mid-session save to reset per-segment state.
pub type MidSaveFn = fn(&mut Session);

/// One mprotocol.
#[derive(Clone)]
pub struct MProtocol {
    /// Name ("tcp", "arp", ...).
    pub name: &'static str,
    /// Session table it uses.
    pub ses: SessionType,
    /// Session id builder.
    pub create_session_id: CreateSessionIdFn,
    /// Required pre-process callback.
    pub pre_process: PreProcessFn,
    /// Optional process callback.
    pub process: Option<ProcessFn>,
    /// Optional free callback.
    pub free: Option<FreeFn>,
    /// Optional mid-save callback.
    pub mid_save: Option<MidSaveFn>,
    /// Idle timeout in seconds.
    pub timeout: u32,
}

/// Registered mprotocols; id 0 means "none".
#[derive(Clone, Default)]
pub struct MProtocols {
    list: Vec<MProtocol>,
}

/// Most mprotocols.
pub const MPROTOCOL_MAX: usize = 64;

impl MProtocols {
    /// An empty registry.
    pub fn new() -> Self {
        MProtocols { list: Vec::new() }
    }

    /// Registers `p` and returns its id; registering a name twice returns the first id.
    pub fn mprotocol_register(&mut self, p: MProtocol) -> u8 {
        if let Some(i) = self.list.iter().position(|x| x.name == p.name) {
            return (i + 1) as u8;
        }
        if self.list.len() + 1 >= MPROTOCOL_MAX {
            tracing::error!("too many mprotocols registered, ignoring {}", p.name);
            return 0;
        }
        self.list.push(p);
        self.list.len() as u8
    }

    /// The mprotocol with id `id`.
    pub fn get(&self, id: u8) -> Option<&MProtocol> {
        usize::from(id)
            .checked_sub(1)
            .and_then(|i| self.list.get(i))
    }

    /// The id of the mprotocol called `name`.
    pub fn id(&self, name: &str) -> Option<u8> {
        self.list
            .iter()
            .position(|p| p.name == name)
            .map(|i| (i + 1) as u8)
    }

    /// Ids in registration order.
    pub fn ids(&self) -> impl Iterator<Item = u8> {
        1..=(self.list.len() as u8)
    }
}
