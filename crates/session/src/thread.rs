//! The packet thread: session table, per-packet processing, timeouts and saves.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crossbeam_channel::Receiver;
use trawl_packet::{tunnel, wire, Packet, SessionId};

use crate::{mapped, Cx, Dir, Lists, RootId, Session, SessionType, Shared, Timeval, MPROTOCOL_MAX};

/// Saves session documents (the db/output side). `final_` is false for a mid-session
/// save of a long session.
pub trait SessionSink: Send {
    /// Writes one document for `s`.
    fn save(&mut self, shared: &Shared, s: &mut Session, final_: bool);
    /// Called when the thread has no more input.
    fn finish(&mut self) {}
}

/// Writes packets to pcap storage and says where they went.
pub trait PacketWriter: Send {
    /// Writes `pkt` of session `s`; returns (file number, position) or None when the
    /// packet could not be written.
    fn write(&mut self, s: &Session, pkt: &Packet) -> Option<(u32, u64)>;
    /// Called when the thread has no more packets: flush and close.
    fn finish(&mut self) {}
}

/// The writer for offline files that are not copied: positions point into the file
/// that was read (Arkime's inplace writer). Each input has the file number it was
/// registered under; a dry run has none (file number 0, as Arkime's dry run).
#[derive(Clone, Default)]
pub struct InplaceWriter {
    nums: Arc<[u32]>,
}

impl InplaceWriter {
    /// Input `i` (the packets' `reader_pos`) is file number `nums[i]`.
    pub fn new(nums: Arc<[u32]>) -> Self {
        InplaceWriter { nums }
    }
}

impl PacketWriter for InplaceWriter {
    fn write(&mut self, _s: &Session, pkt: &Packet) -> Option<(u32, u64)> {
        let num = self
            .nums
            .get(usize::from(pkt.meta.reader_pos))
            .copied()
            .unwrap_or(0);
        Some((num, pkt.meta.file_pos))
    }
}

/// Work for a packet thread.
pub enum Command {
    /// Packets to process, in order.
    Batch(Vec<Packet>),
    /// A function to run on the thread (Arkime's `session_add_cmd`).
    Func(Box<dyn FnOnce(&mut PacketThread) + Send>),
}

/// Counters of one packet thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadStats {
    /// Packets processed.
    pub packets: u64,
    /// Sessions saved (documents, including mid-session saves).
    pub saves: u64,
    /// Sessions saved early because a table was at its `maxStreams` cap.
    pub early_saves: u64,
    /// Bytes written.
    pub written_bytes: u64,
    /// Bytes not written.
    pub unwritten_bytes: u64,
    /// Packets whose mprotocol was unknown to this thread.
    pub bad_mprotocol: u64,
    /// Parsers that unregistered on bytes that were not their protocol
    /// ([`crate::parsers::Parsed::Error`]).
    pub parser_errors: u64,
    /// Parsers that unregistered because a message was longer than they keep.
    pub parser_overflows: u64,
}

/// Hashes a [`SessionId`] with Arkime's session hash, passed straight through.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n);
    }
}

type IdMap = HashMap<SessionId, u32, BuildHasherDefault<IdHasher>>;

const CLOSING_Q: u32 = MPROTOCOL_MAX as u32;

/// One packet thread and the sessions it owns.
pub struct PacketThread {
    id: u16,
    shared: Arc<Shared>,
    slab: Vec<Option<Box<Session>>>,
    free: Vec<u32>,
    tables: Vec<IdMap>,
    q: Lists,
    tcpq: Lists,
    pq: crate::pq::Pq,
    last_packet_secs: u64,
    sink: Box<dyn SessionSink>,
    writer: Box<dyn PacketWriter>,
    /// Counters.
    pub stats: ThreadStats,
}

impl PacketThread {
    /// A packet thread numbered `id`.
    pub fn new(
        id: u16,
        shared: Arc<Shared>,
        sink: Box<dyn SessionSink>,
        writer: Box<dyn PacketWriter>,
    ) -> Self {
        PacketThread {
            id,
            shared,
            slab: Vec::new(),
            free: Vec::new(),
            tables: (0..SessionType::COUNT).map(|_| IdMap::default()).collect(),
            q: Lists::new(MPROTOCOL_MAX + 1),
            tcpq: Lists::new(1),
            pq: crate::pq::Pq::default(),
            last_packet_secs: 0,
            sink,
            writer,
            stats: ThreadStats::default(),
        }
    }

    /// The shared data.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Sessions currently open.
    pub fn session_count(&self) -> usize {
        self.tables.iter().map(|t| t.len()).sum()
    }

    /// Runs until the channel closes, then saves every session.
    pub fn run(mut self, rx: Receiver<Command>) -> ThreadStats {
        for cmd in rx {
            match cmd {
                Command::Batch(batch) => {
                    for pkt in batch {
                        self.process_commands();
                        self.process_packet(pkt);
                    }
                }
                Command::Func(f) => f(&mut self),
            }
        }
        self.flush_all();
        self.writer.finish();
        self.sink.finish();
        self.stats
    }

    fn alloc(&mut self, s: Session) -> u32 {
        let b = Box::new(s);
        match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = Some(b);
                i
            }
            None => {
                self.slab.push(Some(b));
                (self.slab.len() - 1) as u32
            }
        }
    }

    fn cx(&mut self, idx: u32) -> (Cx<'_>, &mut Session) {
        let s = self.slab[idx as usize]
            .as_deref_mut()
            .expect("live session index");
        (
            Cx {
                shared: &self.shared,
                q: &mut self.q,
                tcpq: &mut self.tcpq,
                idx,
                pq: &mut self.pq,
                stats: &mut self.stats,
                last_packet_secs: self.last_packet_secs,
            },
            s,
        )
    }

    fn find_or_create(&mut self, pkt: &Packet, id: SessionId) -> Option<(u32, bool)> {
        let mp = self.shared.mprotocols.get(pkt.meta.mprotocol)?;
        let ses = mp.ses;
        if let Some(&idx) = self.tables[ses as usize].get(&id) {
            let closing = self.slab[idx as usize].as_ref().is_some_and(|s| s.closing);
            if !closing {
                let mpid = self.slab[idx as usize].as_ref().map_or(0, |s| s.mprotocol);
                self.q.push_tail(u32::from(mpid), idx);
            }
            return Some((idx, false));
        }
        let s = Session::new(id, pkt.meta.hash, ses, pkt.meta.mprotocol, self.id);
        let idx = self.alloc(s);
        self.tables[ses as usize].insert(id, idx);
        self.q.push_tail(u32::from(pkt.meta.mprotocol), idx);
        Some((idx, true))
    }

    /// Processes one packet (the enqueue phase has run on it).
    pub fn process_packet(&mut self, mut pkt: Packet) {
        self.last_packet_secs = pkt.meta.ts_sec;
        self.stats.packets += 1;
        if !self.pq.is_empty() {
            for (idx, cb) in self.pq.due(self.last_packet_secs) {
                if let Some(s) = self
                    .slab
                    .get_mut(idx as usize)
                    .and_then(|s| s.as_deref_mut())
                {
                    cb(s);
                }
            }
        }
        let shared = Arc::clone(&self.shared);
        let Some(mp) = shared.mprotocols.get(pkt.meta.mprotocol) else {
            self.stats.bad_mprotocol += 1;
            return;
        };
        let id = if pkt.meta.session_id.is_empty() {
            (mp.create_session_id)(&shared.tracking, pkt.bytes(), &pkt.meta)
        } else {
            pkt.meta.session_id
        };
        let ts = Timeval {
            sec: pkt.meta.ts_sec,
            usec: pkt.meta.ts_usec,
        };

        let mut found = None;
        for _ in 0..2 {
            let Some((idx, is_new)) = self.find_or_create(&pkt, id) else {
                return;
            };
            let (mut cx, s) = self.cx(idx);
            if is_new {
                s.save_time = ts.sec + u64::from(shared.settings.tcp_save_timeout);
                s.first_packet = ts;
                init_addresses(s, &pkt);
            }
            if (mp.pre_process)(&mut cx, s, &mut pkt, is_new) {
                self.save(idx);
                continue;
            }
            found = Some((idx, is_new));
            break;
        }
        let Some((idx, is_new)) = found else { return };

        let max_packets = shared.settings.max_packets;
        let enable_len = shared.settings.enable_packet_len;
        let dir = Dir::from_bit(pkt.meta.direction);
        let mut do_mid_save = false;
        {
            let s = self.slab[idx as usize]
                .as_deref_mut()
                .expect("live session index");
            if s.stop_spi {
                return;
            }
            s.last_packet = ts;
            if is_new {
                for t in &shared.initial_tags {
                    s.fields.string_add(&shared.fields, shared.core.tags, t);
                }
                shared.hooks.session_create(&shared, s, pkt.meta.reader_pos);
            }
            if s.flows[dir].packets == 0
                && s.stop_saving == 0xffff
                && shared.hooks.wants_session_setup()
            {
                shared
                    .hooks
                    .session_setup(&shared, s, pkt.meta.linktype, pkt.bytes());
            }
            s.flows[dir].packets += 1;
            s.flows[dir].bytes += u64::from(pkt.meta.len);
            let total = s.packets();
            if total <= s.stop_saving {
                match self.writer.write(s, &pkt) {
                    Some((num, pos)) if pos != 0 => {
                        self.stats.written_bytes += u64::from(pkt.meta.len);
                        if s.last_file_num != num {
                            s.last_file_num = num;
                            s.file_num.push(num);
                            s.file_pos.push(-i64::from(num));
                            if enable_len {
                                s.file_len.push(0);
                            }
                        }
                        s.file_pos.push(pos as i64);
                        if enable_len {
                            // Arkime keeps 16 bits: a 65520-byte or longer frame wraps.
                            s.file_len.push((16 + pkt.meta.len) as u16);
                        }
                    }
                    _ => {
                        if !s.disk_overload {
                            s.fields.string_add(
                                &shared.fields,
                                shared.core.tags,
                                "pcap-disk-overload",
                            );
                            s.disk_overload = true;
                        }
                        self.stats.unwritten_bytes += u64::from(pkt.meta.len);
                    }
                }
                do_mid_save = total >= max_packets || s.mid_save;
            } else {
                if s.stop_saving != 0 && total - 1 == s.stop_saving {
                    s.fields
                        .string_add(&shared.fields, shared.core.tags, "truncated-pcap");
                }
                if total >= max_packets || s.mid_save {
                    do_mid_save = true;
                    s.stop_saving = 0;
                }
                self.stats.unwritten_bytes += u64::from(pkt.meta.len);
            }
        }
        if do_mid_save {
            self.mid_save(idx, ts.sec);
        }

        {
            let s = self.slab[idx as usize]
                .as_deref_mut()
                .expect("live session index");
            if s.flows[dir].packets <= 10 {
                first_packets_spi(&shared, s, &pkt, dir);
            }
        }

        let (mut cx, s) = self.cx(idx);
        if let Some(process) = mp.process {
            process(&mut cx, s, pkt);
        }
        if s.fields.has_pending() {
            shared.hooks.fields_set(&shared, s);
        }
    }

    /// Lets time pass without packets (live capture, once a second): sessions idle
    /// past their timeouts by the wall clock `now` are saved.
    pub fn tick(&mut self, now: u64) {
        if now > self.last_packet_secs {
            self.last_packet_secs = now;
        }
        for _ in 0..1000 {
            let before = self.stats.saves;
            self.process_commands();
            if self.stats.saves == before {
                break;
            }
        }
    }

    /// Saves idle, closing and long-open sessions as packet time passes (Arkime's
    /// `arkime_session_process_commands`, run before each packet).
    pub fn process_commands(&mut self) {
        let now = self.last_packet_secs;
        for _ in 0..10 {
            match self.q.head(CLOSING_Q) {
                Some(idx)
                    if self.slab[idx as usize]
                        .as_ref()
                        .is_some_and(|s| s.save_time < now) =>
                {
                    self.save(idx)
                }
                _ => break,
            }
        }
        let shared = Arc::clone(&self.shared);
        for mpid in shared.mprotocols.ids() {
            let Some(mp) = shared.mprotocols.get(mpid) else {
                continue;
            };
            let cap = shared.settings.max_streams[mp.ses as usize];
            for _ in 0..10 {
                let Some(idx) = self.q.head(u32::from(mpid)) else {
                    break;
                };
                let Some(s) = self.slab[idx as usize].as_ref() else {
                    break;
                };
                if self.q.count(u32::from(mpid)) > cap {
                    self.stats.early_saves += 1;
                    if self.stats.early_saves == 1 {
                        tracing::warn!("closing sessions early, increase maxStreams");
                    }
                    self.save(idx);
                } else if s.last_packet.sec + u64::from(mp.timeout) < now {
                    self.save(idx);
                } else {
                    break;
                }
            }
        }
        for _ in 0..50 {
            match self.tcpq.head(0) {
                Some(idx)
                    if self.slab[idx as usize]
                        .as_ref()
                        .is_some_and(|s| s.save_time < now) =>
                {
                    self.mid_save(idx, self.last_packet_secs)
                }
                _ => break,
            }
        }
    }

    /// Saves a session for the last time and frees it.
    pub fn save(&mut self, idx: u32) {
        let shared = Arc::clone(&self.shared);
        let Some(s) = self.slab.get(idx as usize).and_then(|s| s.as_ref()) else {
            return;
        };
        let (ses, id, mpid) = (s.ses, s.id, s.mprotocol);
        self.tables[ses as usize].remove(&id);
        self.q.remove(idx);
        {
            let (mut cx, s) = self.cx(idx);
            if let Some(free) = shared.mprotocols.get(mpid).and_then(|m| m.free) {
                free(&mut cx, s);
            }
            crate::parsers::save(&mut cx, s, true);
        }
        self.tcpq.remove(idx);
        self.pq.remove_session(idx);
        let Some(mut s) = self.slab[idx as usize].take() else {
            return;
        };
        self.free.push(idx);
        self.stats.saves += 1;
        for p in &shared.plugins {
            p.save(&shared, &mut s, true);
        }
        shared.hooks.before_save(&shared, &mut s, true);
        self.sink.save(&shared, &mut s, true);
    }

    /// Writes a segment of a long session and resets its counters.
    pub fn mid_save(&mut self, idx: u32, secs: u64) {
        let shared = Arc::clone(&self.shared);
        if self.slab.get(idx as usize).is_some_and(|s| s.is_some()) {
            let (mut cx, s) = self.cx(idx);
            crate::parsers::save(&mut cx, s, false);
        }
        let Some(s) = self
            .slab
            .get_mut(idx as usize)
            .and_then(|s| s.as_deref_mut())
        else {
            return;
        };
        if s.root_id == RootId::None {
            s.root_id = RootId::Pending;
        }
        self.stats.saves += 1;
        for p in &shared.plugins {
            p.save(&shared, s, false);
        }
        shared.hooks.before_save(&shared, s, false);
        self.sink.save(&shared, s, false);
        let fields = &shared.fields;
        s.fields.retain(|id| {
            fields
                .get(id)
                .is_some_and(|d| d.flags & trawl_fields::flags::LINKED_SESSIONS != 0)
        });
        s.file_pos.clear();
        s.file_len.clear();
        s.file_num.clear();
        s.last_file_num = 0;
        if self.tcpq.list_of(idx).is_some() {
            self.tcpq.push_tail(0, idx);
        }
        if !s.closing {
            s.save_time = secs + u64::from(shared.settings.tcp_save_timeout);
        }
        s.flows
            .iter_mut()
            .for_each(super::session::Flow::reset_counts);
        s.mid_save = false;
        if let Some(f) = shared.mprotocols.get(s.mprotocol).and_then(|m| m.mid_save) {
            f(s);
        }
    }

    /// Saves every session (end of input).
    pub fn flush_all(&mut self) {
        // Newest first: where two sessions tie on every key compare.py sorts by, this
        // matches the order Arkime's recorded documents have more often.
        let idxs: Vec<u32> = (0..self.slab.len() as u32)
            .rev()
            .filter(|i| self.slab[*i as usize].is_some())
            .collect();
        for idx in idxs {
            self.save(idx);
        }
    }
}

/// Sets a new session's addresses and IP data from its first packet.
fn init_addresses(s: &mut Session, pkt: &Packet) {
    if pkt.meta.ip_protocol == 0 {
        return;
    }
    s.ip_protocol = pkt.meta.ip_protocol;
    let b = pkt.bytes();
    let ip = b.get(usize::from(pkt.meta.ip_offset)..).unwrap_or(&[]);
    if !pkt.meta.v6 {
        if let Some(h) = wire::Ipv4Header::new_checked(ip) {
            s.addr1 = mapped(h.src_bytes());
            s.addr2 = mapped(h.dst_bytes());
            s.ip_tos = h.tos();
        }
    } else if let Some(h) = wire::Ipv6Header::new_checked(ip) {
        s.addr1 = h.src_bytes();
        s.addr2 = h.dst_bytes();
        s.v6 = true;
    }
}

fn mac_str(m: &[u8]) -> String {
    let mut out = String::with_capacity(17);
    for (i, b) in m.iter().take(6).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub(crate) fn mac_oui_add(
    shared: &Shared,
    s: &mut Session,
    mac_field: u16,
    oui_field: u16,
    mac: Option<&[u8]>,
) {
    let Some(mac) = mac.filter(|m| m.len() >= 6) else {
        return;
    };
    if s.fields
        .string_add(&shared.fields, mac_field, &mac_str(mac))
    {
        let mut a = [0u8; 6];
        a.copy_from_slice(&mac[..6]);
        if let Some(oui) = shared.lookups.load().oui(&a) {
            s.fields.string_add(&shared.fields, oui_field, oui);
        }
    }
}

/// Core SPI data taken from the first ten packets of each direction.
fn first_packets_spi(shared: &Shared, s: &mut Session, pkt: &Packet, dir: Dir) {
    let c = &shared.core;
    let f = &shared.fields;
    let b = pkt.bytes();
    let m = &pkt.meta;
    if m.ip_protocol != 0 {
        let ip = b.get(usize::from(m.ip_offset)..).unwrap_or(&[]);
        let (tc, ttl) = if !m.v6 {
            wire::Ipv4Header::new_checked(ip).map_or((0, None), |h| (h.tos() >> 2, Some(h.ttl())))
        } else {
            wire::Ipv6Header::new_checked(ip).map_or((0, None), |h| (h.dscp(), Some(h.hop_limit())))
        };
        if tc != 0 {
            s.fields.int_add(f, c.dscp[dir], u32::from(tc));
        }
        if let Some(ttl) = ttl {
            s.fields.int_add(f, c.ttl[dir], u32::from(ttl));
        }
    }

    if m.linktype == 1 {
        let eo = usize::from(m.ether_offset);
        let (a, z) = (b.get(eo..eo + 6), b.get(eo + 6..eo + 12));
        if dir == Dir::Dst {
            mac_oui_add(shared, s, c.mac_src, c.oui_src, a);
            mac_oui_add(shared, s, c.mac_dst, c.oui_dst, z);
        } else {
            mac_oui_add(shared, s, c.mac_src, c.oui_src, z);
            mac_oui_add(shared, s, c.mac_dst, c.oui_dst, a);
        }
        let mut n = 12;
        while n + 3 < b.len()
            && ((b[n] == 0x81 && b[n + 1] == 0x00) || (b[n] == 0x88 && b[n + 1] == 0xa8))
        {
            let vlan = u32::from(u16::from_be_bytes([b[n + 2], b[n + 3]]) & 0xfff);
            s.fields.int_add(f, c.vlan, vlan);
            if b[n] == 0x81 {
                s.fields.int_add(f, c.dot1q, vlan);
            } else {
                s.fields.int_add(f, c.dot1ad, vlan);
            }
            n += 4;
        }
        if s.ethertype == 0 && n + 1 < b.len() {
            s.ethertype = u16::from_be_bytes([b[n], b[n + 1]]);
        }
    }

    if m.vlan != 0 {
        s.fields.int_add(f, c.vlan, u32::from(m.vlan));
        if !m.vlan_copy {
            s.fields.int_add(f, c.dot1q, u32::from(m.vlan));
        }
    }
    if m.vni != 0 {
        s.fields.int_add(f, c.vni, m.vni);
    }
    if m.ether_offset != 0 && m.outer_ether_offset != m.ether_offset {
        let o = usize::from(m.outer_ether_offset);
        mac_oui_add(shared, s, c.outer_mac_src, c.outer_oui_src, b.get(o..o + 6));
        mac_oui_add(
            shared,
            s,
            c.outer_mac_dst,
            c.outer_oui_dst,
            b.get(o + 6..o + 12),
        );
    }
    if m.outer_ip_offset != 0 && m.outer_ip_offset != m.ip_offset {
        let ip = b.get(usize::from(m.outer_ip_offset)..).unwrap_or(&[]);
        if !m.outer_v6 {
            if let Some(h) = wire::Ipv4Header::new_checked(ip) {
                s.fields.ip_add(f, c.outer_ip_src, h.src().into());
                s.fields.ip_add(f, c.outer_ip_dst, h.dst().into());
            }
        } else if let Some(h) = wire::Ipv6Header::new_checked(ip) {
            s.fields.ip_add(f, c.outer_ip_src, h.src().into());
            s.fields.ip_add(f, c.outer_ip_dst, h.dst().into());
        }
    }
    for (bit, name) in tunnel::NAMES {
        if m.tunnel & bit != 0 {
            s.fields.string_add(f, c.protocols, name);
        }
    }
}
