//! Packet threads: the second phase of a packet's life. Each packet thread owns the
//! sessions hashed to it, with no locks; other threads act on a session only through a
//! command queued to its thread ([`Command`], Arkime's `session_add_cmd`).
//!
//! Per packet the thread finds or creates the session, lets the session's mprotocol
//! pre-process it, counts it, records where the writer put it, takes the core SPI data
//! from the first packets of each direction (MACs, OUIs, VLANs, TTLs, DSCP, tunnels),
//! then hands it to the mprotocol's process callback. Idle, closing and long-open
//! sessions are saved as packet time moves on.

mod community_id;
mod core_fields;
mod dir;
mod lists;
mod mprotocol;
pub mod parsers;
mod pq;
pub mod protocols;
mod session;
mod thread;

use std::sync::Arc;

use arc_swap::ArcSwap;

pub use core_fields::{define_core_fields, CoreFields};
pub use dir::Dir;
pub use lists::{Lists, NIL};
pub use mprotocol::{
    CreateSessionIdFn, FreeFn, MProtocol, MProtocols, MidSaveFn, PreProcessFn, ProcessFn,
    MPROTOCOL_MAX,
};
pub use pq::PqCallback;
pub use session::{mapped, Flow, RootId, Session, SessionType, Timeval};
pub use thread::{Command, InplaceWriter, PacketThread, PacketWriter, SessionSink, ThreadStats};

use trawl_fields::FieldRegistry;
use trawl_lookup::Lookups;
use trawl_packet::{DecodeTables, TrackingConfig};

/// Session settings the packet threads use.
#[derive(Clone, Debug)]
pub struct CoreSettings {
    /// `packetThreads`.
    pub packet_threads: usize,
    /// `tcpSaveTimeout`: seconds after which a long TCP session is saved in segments.
    pub tcp_save_timeout: u32,
    /// `tcpClosingTimeout`.
    pub tcp_closing_timeout: u32,
    /// `maxPackets`: a session is saved in segments of at most this many packets.
    pub max_packets: u32,
    /// Per-session-type caps derived from `maxStreams`, per thread.
    pub max_streams: [u32; SessionType::COUNT],
    /// `enablePacketLen`.
    pub enable_packet_len: bool,
    /// `maxTcpOutOfOrderPackets`.
    pub max_tcp_out_of_order: usize,
    /// `maxSctpOutOfOrderPackets` (Arkime: default 256, 64..=10000).
    pub max_sctp_out_of_order: usize,
    /// Timeouts per mprotocol name from the config (tcpTimeout, udpTimeout, ...).
    pub tcp_timeout: u32,
    /// `udpTimeout`.
    pub udp_timeout: u32,
    /// `icmpTimeout`.
    pub icmp_timeout: u32,
    /// `sctpTimeout`.
    pub sctp_timeout: u32,
    /// `espTimeout`.
    pub esp_timeout: u32,
    /// `dhcpTimeout`.
    pub dhcp_timeout: u32,
    /// `trackESP`: make ESP sessions.
    pub track_esp: bool,
    /// `espSavePackets`: write ESP packets to pcap.
    pub esp_save_packets: bool,
}

impl Default for CoreSettings {
    fn default() -> Self {
        CoreSettings::new(1)
    }
}

impl CoreSettings {
    /// Arkime's defaults for `threads` packet threads; `max_streams` per session type
    /// comes from the config (`Settings::session_caps`), here generous.
    pub fn new(threads: usize) -> Self {
        CoreSettings {
            packet_threads: threads.max(1),
            tcp_save_timeout: 480,
            tcp_closing_timeout: 5,
            max_packets: 10_000,
            max_streams: [1_875_000, 75_000, 7_500, 75_000, 7_500, 75_000],
            enable_packet_len: false,
            max_tcp_out_of_order: 256,
            max_sctp_out_of_order: 256,
            tcp_timeout: 480,
            udp_timeout: 60,
            icmp_timeout: 10,
            sctp_timeout: 60,
            esp_timeout: 600,
            dhcp_timeout: 60,
            track_esp: false,
            esp_save_packets: false,
        }
    }
}

/// Read-mostly data every packet thread shares: settings, fields, mprotocols, lookups.
pub struct Shared {
    /// Settings.
    pub settings: CoreSettings,
    /// Field registry.
    pub fields: FieldRegistry,
    /// Ids of the core fields.
    pub core: CoreFields,
    /// mprotocols.
    pub mprotocols: MProtocols,
    /// OUI, RIR, GeoIP, override-ips.
    /// OUI, RIR, GeoIP, override-ips: swapped whole when their files change, read
    /// without locks (a snapshot per use).
    pub lookups: Arc<ArcSwap<Lookups>>,
    /// Session id tracking (for create_session_id).
    pub tracking: TrackingConfig,
    /// Tags every new session gets (`--tag`).
    pub initial_tags: Vec<String>,
    /// What acts on sessions at fixed stages: the rules engine (`trawl-rules`: `--op`,
    /// `filenameOps`, `rulesFiles`, `dontSaveBPFs`, `minPacketsSaveBPFs`), or nothing.
    pub hooks: Box<dyn SessionHooks>,
    /// TCP/UDP/SCTP classifiers that attach parsers.
    pub classifiers: parsers::Classifiers,
    /// Plugins called before each document is written.
    pub plugins: Vec<Box<dyn Plugin>>,
    /// Yara rules (`yara=`), run on the bytes each direction is classified by (or
    /// on every packet's with `yaraEveryPacket`).
    pub yara: Option<Box<dyn ContentScanner>>,
    /// `yaraEveryPacket`.
    pub yara_every_packet: bool,
}

/// Rules matched against payload bytes (Arkime's yara): a match tags the session.
pub trait ContentScanner: Send + Sync {
    /// Appends the tags `data` earns (`yara:RULE`, then `yara:TAG` for each of the
    /// rule's tags) to `tags`.
    fn scan(&self, data: &[u8], tags: &mut Vec<String>);
}

impl Shared {
    /// Shared data with these settings, fields, mprotocols and classifiers, and nothing
    /// else yet: empty lookups, default session id tracking, no `--tag`, no hooks (rules)
    /// or plugins (set those fields after).
    pub fn new(
        settings: CoreSettings,
        fields: FieldRegistry,
        core: CoreFields,
        mprotocols: MProtocols,
        classifiers: parsers::Classifiers,
    ) -> Shared {
        Shared {
            settings,
            fields,
            core,
            mprotocols,
            lookups: Arc::new(ArcSwap::from_pointee(Lookups::empty())),
            tracking: TrackingConfig::default(),
            initial_tags: Vec::new(),
            hooks: Box::new(NoHooks),
            classifiers,
            plugins: Vec::new(),
            yara: None,
            yara_every_packet: false,
        }
    }
}

/// The stages of a session's life where something outside the packet thread acts on
/// it, as Arkime's session and parser code calls its rules engine (`rules.c`). The
/// rules engine of `trawl-rules` implements them; every default does nothing.
pub trait SessionHooks: Send + Sync {
    /// A session was made for a packet read from input `reader_pos` (after `--tag`).
    fn session_create(&self, _shared: &Shared, _s: &mut Session, _reader_pos: u16) {}
    /// Whether [`Self::session_setup`] wants the first packet of each direction.
    fn wants_session_setup(&self) -> bool {
        false
    }
    /// The first packet of a direction, as captured (`linktype`, `bytes`).
    fn session_setup(&self, _shared: &Shared, _s: &mut Session, _linktype: u32, _bytes: &[u8]) {}
    /// The classifiers looked at a direction's first bytes.
    fn after_classify(&self, _shared: &Shared, _s: &mut Session) {}
    /// Fields whose definitions ask for it ([`trawl_fields::FieldRegistry::enable_rules`])
    /// got new values, queued in the session's fields.
    fn fields_set(&self, _shared: &Shared, _s: &mut Session) {}
    /// A document of the session is about to be written (`final_` false mid-session).
    fn before_save(&self, _shared: &Shared, _s: &mut Session, _final: bool) {}
}

/// No hooks.
pub struct NoHooks;

impl SessionHooks for NoHooks {}

/// A capture plugin (Arkime's `arkime_plugins_set_cb`): today the save callback, run
/// just before each document of a session is written.
pub trait Plugin: Send + Sync {
    /// Its name (as listed in `plugins=`, without `.so`).
    fn name(&self) -> &'static str;
    /// Adds what the plugin knows about `s` (tags, fields) before it is saved;
    /// `final_` is false for a mid-session save.
    fn save(&self, shared: &Shared, s: &mut Session, final_: bool);
}

/// What an mprotocol callback may touch besides its session: the shared data and the
/// thread's queues.
pub struct Cx<'a> {
    /// Shared data.
    pub shared: &'a Shared,
    /// The thread's idle/closing queues.
    pub(crate) q: &'a mut Lists,
    /// The thread's long-open TCP queue.
    pub(crate) tcpq: &'a mut Lists,
    /// Slab index of the session being worked on.
    pub(crate) idx: u32,
    /// The thread's session timers.
    pub(crate) pq: &'a mut pq::Pq,
    /// The thread's counters.
    pub(crate) stats: &'a mut thread::ThreadStats,
    /// Time of the thread's latest packet.
    pub last_packet_secs: u64,
}

impl Cx<'_> {
    /// Sets (or pushes back) the session's timer `key`: `cb` runs on the session once
    /// `timeout` seconds of packet time pass without another call (Arkime's
    /// `arkime_pq_upsert`).
    pub fn pq_upsert(&mut self, key: &'static str, timeout: u32, cb: PqCallback) {
        let expire = self.last_packet_secs.saturating_add(u64::from(timeout));
        self.pq.upsert(self.idx, key, expire, cb);
    }

    /// Adds `tag` to the session's tags.
    pub fn add_tag(&self, s: &mut Session, tag: &str) {
        s.fields
            .string_add(&self.shared.fields, self.shared.core.tags, tag);
    }

    /// Adds `p` to the session's protocols.
    pub fn add_protocol(&self, s: &mut Session, p: &str) {
        s.fields
            .string_add(&self.shared.fields, self.shared.core.protocols, p);
    }

    /// Whether the session has protocol `p`.
    pub fn has_protocol(&self, s: &Session, p: &str) -> bool {
        s.fields.string_contains(self.shared.core.protocols, p)
    }

    /// Moves the session to the closing queue: it is saved `tcpClosingTimeout` seconds
    /// after its last packet.
    pub fn mark_for_close(&mut self, s: &mut Session) {
        if s.closing {
            return;
        }
        s.closing = true;
        s.save_time = s.last_packet.sec + u64::from(self.shared.settings.tcp_closing_timeout);
        self.q.push_tail(MPROTOCOL_MAX as u32, self.idx);
        self.tcpq.remove(self.idx);
    }

    /// Puts the session on the long-open TCP queue if it is not there yet.
    pub fn tcp_write_q_add(&mut self, _s: &Session) {
        if self.tcpq.list_of(self.idx).is_none() {
            self.tcpq.push_tail(0, self.idx);
        }
    }
}

/// Registers the built-in mprotocols, their enqueue callbacks and their fields.
pub fn register_builtin(
    m: &mut MProtocols,
    t: &mut DecodeTables,
    f: &mut FieldRegistry,
    s: &CoreSettings,
) {
    protocols::register_all(m, t, f, s);
}
