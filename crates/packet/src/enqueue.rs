//! The enqueue phase: link layer → (tunnels) → IP → mprotocol, session id and hash.
//!
//! Decoders take the whole packet's bytes plus the offset and length of the part they
//! decode, so offsets recorded in [`PacketMeta`] are always from the packet's start.

use std::sync::Arc;

use crate::frags::{FragStats, FragTable};
use crate::session_id::{session_hash, session_id4, session_id6, TrackingConfig};
use crate::wire::{be16, u8_at, Ipv4Header, Ipv6Header, TcpHeader, UdpHeader};
use crate::{
    Packet, PacketMeta, PacketRc, ETHERTYPE_CORRUPT, ETHERTYPE_DETECT, ETHERTYPE_ETHER,
    ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_RAWFR, ETHERTYPE_TEB,
    ETHERTYPE_UNKNOWN, ETHERTYPE_VLAN, ETHERTYPE_XID, IPPROTO_MAX, IPPROTO_UNKNOWN,
    MAX_TUNNEL_DEPTH,
};

/// An enqueue callback: the tables (to recurse into other decoders), the packet's
/// bytes, its metadata, the offset and length of the bytes to decode, and the user word
/// given at registration (typically the mprotocol id it assigns).
pub type EnqueueFn = fn(&DecodeTables, &[u8], &mut PacketMeta, usize, usize, u32) -> PacketRc;

/// A registered callback with its user word.
#[derive(Clone, Copy)]
pub struct EnqueueCb {
    /// The function.
    pub f: EnqueueFn,
    /// Its user word.
    pub uw: u32,
}

pub use trawl_config::SaveUnknownPackets;

/// Settings of the enqueue phase.
#[derive(Clone, Debug, Default)]
pub struct DecoderOptions {
    /// `sessionIdTracking` and `[vlan-vni-collapse]`.
    pub tracking: TrackingConfig,
    /// `saveUnknownPackets`.
    pub save: SaveUnknownPackets,
    /// `disableIp4Defrag`.
    pub disable_ip4_defrag: bool,
    /// `enableIp6Defrag` (trawl's own: Arkime never reassembles IPv6 fragments).
    pub enable_ip6_defrag: bool,
    /// `trimEthernetPadding`.
    pub trim_ethernet_padding: bool,
    /// `fragsTimeout`, seconds.
    pub frags_timeout: u32,
    /// `maxFrags`.
    pub max_frags: usize,
}

/// The callback tables: read-mostly data shared by every reader thread.
pub struct DecodeTables {
    ethernet: Vec<Option<EnqueueCb>>,
    ip: Vec<Option<EnqueueCb>>,
    udp_port: Vec<Option<EnqueueCb>>,
    tcp_mprotocol: u8,
    udp_mprotocol: u8,
    /// Settings.
    pub opts: DecoderOptions,
}

fn cb_ether(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _: u32,
) -> PacketRc {
    t.ether(b, m, off, len)
}
fn cb_ip4(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _: u32,
) -> PacketRc {
    t.ip4(b, m, off, len)
}
fn cb_ip6(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _: u32,
) -> PacketRc {
    t.ip6(b, m, off, len)
}
fn cb_frame_relay(
    t: &DecodeTables,
    b: &[u8],
    m: &mut PacketMeta,
    off: usize,
    len: usize,
    _: u32,
) -> PacketRc {
    t.frame_relay(b, m, off, len)
}

/// The bytes `off..off+len` of `b`, or an empty slice when out of range.
#[inline]
fn sub(b: &[u8], off: usize, len: usize) -> &[u8] {
    match b.get(off..) {
        Some(s) => &s[..len.min(s.len())],
        None => &[],
    }
}

impl DecodeTables {
    /// Tables with Ethernet, IPv4, IPv6 and frame relay registered.
    pub fn new(opts: DecoderOptions) -> Self {
        let mut t = DecodeTables {
            ethernet: vec![None; 0x10000],
            ip: vec![None; IPPROTO_MAX],
            udp_port: vec![None; 0x10000],
            tcp_mprotocol: 0,
            udp_mprotocol: 0,
            opts,
        };
        t.set_ethernet_cb(ETHERTYPE_ETHER, cb_ether, 0);
        t.set_ethernet_cb(ETHERTYPE_TEB, cb_ether, 0);
        t.set_ethernet_cb(ETHERTYPE_RAWFR, cb_frame_relay, 0);
        t.set_ethernet_cb(ETHERTYPE_IP, cb_ip4, 0);
        t.set_ethernet_cb(ETHERTYPE_IPV6, cb_ip6, 0);
        t
    }

    /// Registers the decoder for an ethertype (or pseudo ethertype).
    pub fn set_ethernet_cb(&mut self, ethertype: u16, f: EnqueueFn, uw: u32) {
        self.ethernet[usize::from(ethertype)] = Some(EnqueueCb { f, uw });
    }

    /// Registers the decoder for an IP protocol ([`IPPROTO_UNKNOWN`] for the catch-all).
    pub fn set_ip_cb(&mut self, proto: u16, f: EnqueueFn, uw: u32) {
        if let Some(slot) = self.ip.get_mut(usize::from(proto)) {
            *slot = Some(EnqueueCb { f, uw });
        }
    }

    /// Registers a decoder for UDP datagrams to a destination port (tunnels).
    pub fn set_udpport_enqueue_cb(&mut self, port: u16, f: EnqueueFn, uw: u32) {
        self.udp_port[usize::from(port)] = Some(EnqueueCb { f, uw });
    }

    /// Tells the IP decoders which mprotocols TCP and UDP flows belong to.
    pub fn set_tcp_udp_mprotocols(&mut self, tcp: u8, udp: u8) {
        self.tcp_mprotocol = tcp;
        self.udp_mprotocol = udp;
    }

    /// Whether packets of this link type can be decoded.
    pub fn supports_linktype(linktype: u32) -> bool {
        matches!(
            linktype,
            0 | 1 | 12 | 14 | 101 | 107 | 113 | 127 | 228 | 229 | 239 | 274 | 276
        )
    }

    /// Decodes a whole packet from its link layer.
    pub fn link(&self, b: &[u8], m: &mut PacketMeta) -> PacketRc {
        let len = b.len();
        if len <= 4 {
            return PacketRc::Corrupt;
        }
        match m.linktype {
            0 => {
                if b[0] == 30 {
                    self.ip6(b, m, 4, len - 4)
                } else {
                    self.ip4(b, m, 4, len - 4)
                }
            }
            1 => self.ether(b, m, 0, len),
            12 | 14 | 101 => {
                if b[0] & 0xf0 == 0x60 {
                    self.ip6(b, m, 0, len)
                } else {
                    self.ip4(b, m, 0, len)
                }
            }
            107 => self.frame_relay(b, m, 0, len),
            // PPP and PPP in HDLC framing: decoded as PPP over GRE is.
            9 | 50 => self.run_ethernet_cb(b, m, 0, len, 0x880b),
            113 => {
                if b[0] == 0 && b[1] <= 4 {
                    self.sll(b, m, 0, len)
                } else {
                    self.ip4(b, m, 0, len)
                }
            }
            276 => self.sll2(b, m, 0, len),
            127 => self.radiotap(b, m, 0, len),
            228 => self.ip4(b, m, 0, len),
            229 => self.ip6(b, m, 0, len),
            239 => self.nflog(b, m, 0, len),
            274 => self.mpacket(b, m, 0, len),
            _ => PacketRc::Corrupt,
        }
    }

    /// Dispatches by ethertype to a registered decoder, or to the unknown-ethertype
    /// session when `saveUnknownPackets` asks for it.
    pub fn run_ethernet_cb(
        &self,
        b: &[u8],
        m: &mut PacketMeta,
        mut off: usize,
        mut len: usize,
        mut ty: u16,
    ) -> PacketRc {
        m.tunnel_depth = m.tunnel_depth.saturating_add(1);
        if m.tunnel_depth > MAX_TUNNEL_DEPTH {
            return PacketRc::Corrupt;
        }
        if ty == ETHERTYPE_DETECT {
            let Some(t) = be16(b, off).filter(|_| len >= 2) else {
                return PacketRc::Corrupt;
            };
            ty = t;
            off += 2;
            len -= 2;
        }
        if let Some(cb) = self.ethernet[usize::from(ty)] {
            return (cb.f)(self, b, m, off, len, cb.uw);
        }
        if self.opts.save.saves_ether(ty) {
            if let Some(cb) = self.ethernet[usize::from(ETHERTYPE_UNKNOWN)] {
                return (cb.f)(self, b, m, off, len, cb.uw);
            }
        }
        PacketRc::UnknownEther
    }

    /// Dispatches by IP protocol to a registered decoder, or to the unknown-IP session.
    pub fn run_ip_cb(
        &self,
        b: &[u8],
        m: &mut PacketMeta,
        off: usize,
        len: usize,
        proto: u8,
    ) -> PacketRc {
        m.tunnel_depth = m.tunnel_depth.saturating_add(1);
        if m.tunnel_depth > MAX_TUNNEL_DEPTH {
            return PacketRc::Corrupt;
        }
        if let Some(cb) = self.ip[usize::from(proto)] {
            return (cb.f)(self, b, m, off, len, cb.uw);
        }
        if self.opts.save.saves_ip(proto) {
            if let Some(cb) = self.ip[usize::from(IPPROTO_UNKNOWN)] {
                return (cb.f)(self, b, m, off, len, cb.uw);
            }
        }
        PacketRc::UnknownIp
    }

    /// Ethernet II, with any number of 802.1Q/802.1ad tags (up to 8).
    pub fn ether(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        if d.len() < 14 || off >= 2048 {
            return PacketRc::Corrupt;
        }
        m.outer_ether_offset = m.ether_offset;
        m.ether_offset = off as u16;
        let mut n = 12;
        let mut depth = 0;
        while n + 2 < len {
            let Some(et) = be16(d, n) else { break };
            if et <= 1500 {
                return self.ieee802(b, m, off + n, len - n);
            }
            n += 2;
            match et {
                ETHERTYPE_VLAN | ETHERTYPE_QINQ => {
                    depth += 1;
                    if depth > 8 {
                        return PacketRc::Corrupt;
                    }
                    if m.vlan == 0 && n + 2 < len {
                        m.vlan = be16(d, n).unwrap_or(0) & 0xfff;
                        m.vlan_copy = true;
                    }
                    n += 2;
                }
                _ => return self.run_ethernet_cb(b, m, off + n, len - n, et),
            }
        }
        PacketRc::Corrupt
    }

    /// 802.3 frames with an 802.2 header: XID and IPX are passed on, the rest is corrupt.
    fn ieee802(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        if d.len() < 5 {
            return PacketRc::Corrupt;
        }
        let etherlen = usize::from(be16(d, 0).unwrap_or(0));
        if etherlen > len - 2 {
            return PacketRc::Corrupt;
        }
        if d[4] & 0xef == 0xaf {
            return self.run_ethernet_cb(b, m, off + 2, len - 2, ETHERTYPE_XID);
        }
        if d.len() >= 6 && d[2..5] == [0xfe, 0xfe, 0x03] {
            return self.run_ethernet_cb(b, m, off + 6, len - 6, u16::from(d[5]));
        }
        PacketRc::Corrupt
    }

    /// Frame relay (Q.922 address + NLPID or SNAP ethertype).
    pub fn frame_relay(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        let Some(ty) = be16(d, 2) else {
            return PacketRc::Corrupt;
        };
        if ty == 0x03cc {
            return self.ip4(b, m, off + 4, len - 4);
        }
        self.run_ethernet_cb(b, m, off + 4, len - 4, ty)
    }

    /// Linux cooked capture v1.
    fn sll(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        let Some(et) = be16(d, 14) else {
            return PacketRc::Corrupt;
        };
        if et == ETHERTYPE_VLAN {
            let (Some(tci), Some(inner)) = (be16(d, 16), be16(d, 18)) else {
                return PacketRc::Corrupt;
            };
            if m.vlan == 0 {
                m.vlan = tci & 0xfff;
                m.vlan_copy = true;
            }
            return self.run_ethernet_cb(b, m, off + 20, len - 20, inner);
        }
        self.run_ethernet_cb(b, m, off + 16, len - 16, et)
    }

    /// Linux cooked capture v2.
    fn sll2(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        if d.len() < 20 {
            return PacketRc::Corrupt;
        }
        let et = be16(d, 0).unwrap_or(0);
        self.run_ethernet_cb(b, m, off + 20, len - 20, et)
    }

    /// Linux NFLOG: TLVs, the packet is in the one of type 9.
    fn nflog(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        const AF_INET: u8 = 2;
        const AF_INET6: u8 = 10;
        let d = sub(b, off, len);
        let len = d.len();
        if d.len() < 14 || (d[0] != AF_INET && d[0] != AF_INET6) || d[1] != 0 {
            return PacketRc::Corrupt;
        }
        let mut n = 4;
        while n + 4 < len {
            let tlv_len = usize::from(d[n]) | usize::from(d[n + 1]) << 8;
            if tlv_len < 4 || tlv_len > len - n {
                return PacketRc::Corrupt;
            }
            if d[n + 3] == 0 && d[n + 2] == 9 {
                return if d[0] == AF_INET {
                    self.ip4(b, m, off + n + 4, tlv_len - 4)
                } else {
                    self.ip6(b, m, off + n + 4, tlv_len - 4)
                };
            }
            n += (tlv_len + 3) & 0xff_fffc;
        }
        PacketRc::Corrupt
    }

    /// 802.11 data frames behind a radiotap header, with LLC/SNAP.
    fn radiotap(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        if d.len() < 36 || d[0] != 0 {
            return PacketRc::UnknownEther;
        }
        let mut hl = usize::from(d[2]) | usize::from(d[3]) << 8;
        if hl + 24 + 8 >= len || d[hl] != 8 {
            return PacketRc::UnknownEther;
        }
        hl += 24 + 3;
        if d[hl] != 0 || d[hl + 1] != 0 || d[hl + 2] != 0 {
            return PacketRc::UnknownEther;
        }
        hl += 3;
        let et = be16(d, hl).unwrap_or(0);
        hl += 2;
        self.run_ethernet_cb(b, m, off + hl, len - hl, et)
    }

    /// IEEE 802.3br mPackets: preamble and SMD, then an Ethernet frame and a CRC.
    fn mpacket(&self, b: &[u8], m: &mut PacketMeta, off: usize, len: usize) -> PacketRc {
        let d = sub(b, off, len);
        let len = d.len();
        if d.len() < 14 {
            return PacketRc::Corrupt;
        }
        let mut o = usize::from(d[0] == 0x50);
        while o + 2 < len && d[o] == 0x55 {
            o += 1;
        }
        match d[o] {
            0xd5 | 0xe6 | 0x4c | 0x7f | 0xb3 => o += 1,
            _ => return PacketRc::Corrupt,
        }
        let Some(elen) = len.checked_sub(o + 4).filter(|l| *l >= 14) else {
            return PacketRc::Corrupt;
        };
        m.ether_offset = (off + o) as u16;
        self.ether(b, m, off + o, elen)
    }

    /// IPv4. Fragments return [`PacketRc::DontProcessOrFree`] with the IP offsets set;
    /// the [`Decoder`] keeps them until the datagram is whole.
    pub fn ip4(&self, b: &[u8], m: &mut PacketMeta, off: usize, mut len: usize) -> PacketRc {
        m.tunnel_depth = m.tunnel_depth.saturating_add(1);
        if m.tunnel_depth > MAX_TUNNEL_DEPTH {
            return PacketRc::Corrupt;
        }
        let d = sub(b, off, len);
        len = d.len();
        let Some(ip) = Ipv4Header::new_checked(d) else {
            return PacketRc::Corrupt;
        };
        if ip.version() != 4 {
            return PacketRc::Corrupt;
        }
        let ip_len = ip.total_len();
        let hl = ip.header_len();
        if len < ip_len || hl < 20 || len < hl || ip_len < hl {
            return PacketRc::Corrupt;
        }
        if self.opts.trim_ethernet_padding && m.ip_offset == 0 && len > ip_len {
            let trim = (len - ip_len) as u32;
            if m.len > trim {
                m.len -= trim;
                len = ip_len;
            }
        }
        if off >= 2048 {
            return PacketRc::Corrupt;
        }
        m.outer_v6 = m.v6;
        m.v6 = false;
        m.outer_ip_offset = m.ip_offset;
        m.ip_offset = off as u16;
        m.payload_offset = (off + hl) as u16;
        m.payload_len = (ip_len - hl) as u32;

        if !self.opts.disable_ip4_defrag && (ip.more_frags() || ip.frag_offset() > 0) {
            return PacketRc::DontProcessOrFree;
        }

        m.mprotocol = 0;
        m.ip_protocol = ip.protocol();
        let t = &self.opts.tracking;
        match ip.protocol() {
            4 => self.ip4(b, m, off + hl, len - hl),
            6 => {
                let Some(tcp) = d.get(hl..).and_then(TcpHeader::new_checked) else {
                    return PacketRc::Corrupt;
                };
                if tcp.header_len() < 20 || hl + tcp.header_len() > len {
                    return PacketRc::Corrupt;
                }
                m.session_id = session_id4(
                    t,
                    ip.src_bytes(),
                    tcp.src_port(),
                    ip.dst_bytes(),
                    tcp.dst_port(),
                    m.vlan,
                    m.vni,
                );
                m.mprotocol = self.tcp_mprotocol;
                m.hash = session_hash(&m.session_id);
                PacketRc::DoProcess
            }
            17 => {
                let Some(udp) = d.get(hl..).and_then(UdpHeader::new_checked) else {
                    return PacketRc::Corrupt;
                };
                let ulen = udp.len();
                if ulen < 8 || ulen > ip_len - hl {
                    return PacketRc::Corrupt;
                }
                if len > hl + 16 {
                    if let Some(cb) = self.udp_port[usize::from(udp.dst_port())] {
                        let cb_len = ulen.min(len - hl) - 8;
                        let rc = (cb.f)(self, b, m, off + hl + 8, cb_len, cb.uw);
                        if rc != PacketRc::UnknownIp {
                            return rc;
                        }
                        m.v6 = false;
                        m.ip_offset = off as u16;
                        m.payload_offset = (off + hl) as u16;
                        m.payload_len = (ip_len - hl) as u32;
                    }
                }
                m.session_id = session_id4(
                    t,
                    ip.src_bytes(),
                    udp.src_port(),
                    ip.dst_bytes(),
                    udp.dst_port(),
                    m.vlan,
                    m.vni,
                );
                m.mprotocol = self.udp_mprotocol;
                m.hash = session_hash(&m.session_id);
                PacketRc::DoProcess
            }
            41 => self.ip6(b, m, off + hl, len - hl),
            p => self.run_ip_cb(b, m, off + hl, len - hl, p),
        }
    }

    /// IPv6 with hop-by-hop, destination and routing extension headers. Fragments are
    /// not reassembled (as in Arkime) and count as unknown IP.
    pub fn ip6(&self, b: &[u8], m: &mut PacketMeta, off: usize, mut len: usize) -> PacketRc {
        m.tunnel_depth = m.tunnel_depth.saturating_add(1);
        if m.tunnel_depth > MAX_TUNNEL_DEPTH {
            return PacketRc::Corrupt;
        }
        let d = sub(b, off, len);
        len = d.len();
        let Some(ip6) = Ipv6Header::new_checked(d) else {
            return PacketRc::Corrupt;
        };
        if off >= 2048 {
            return PacketRc::Corrupt;
        }
        let ip_len = ip6.payload_len();
        if len < ip_len + 40 || ip6.version() != 6 {
            return PacketRc::Corrupt;
        }
        if self.opts.trim_ethernet_padding && m.ip_offset == 0 && ip_len > 0 && len > ip_len + 40 {
            let trim = (len - (ip_len + 40)) as u32;
            if m.len > trim {
                m.len -= trim;
                len = ip_len + 40;
            }
        }
        let mut hl = 40usize;
        m.outer_v6 = m.v6;
        m.v6 = true;
        m.outer_ip_offset = m.ip_offset;
        m.ip_offset = off as u16;
        m.payload_offset = (off + hl) as u16;
        m.payload_len = (ip_len + 40 - hl) as u32;
        if (m.len as usize) < usize::from(m.payload_offset) + m.payload_len as usize {
            return PacketRc::Corrupt;
        }
        m.mprotocol = 0;
        let t = &self.opts.tracking;
        let mut nxt = ip6.next_header();
        // Where the byte naming the current header is, to patch it when defragmenting.
        let mut nxt_at = off + 6;
        let mut ext = 0;
        loop {
            m.ip_protocol = nxt;
            match nxt {
                0 | 60 | 43 => {
                    ext += 1;
                    if ext > 16 || len < hl + 2 {
                        return PacketRc::Corrupt;
                    }
                    let ext_len = (usize::from(d[hl + 1]) + 1) << 3;
                    let new_hl = hl + ext_len;
                    if new_hl > ip_len + 40 || new_hl > len {
                        return PacketRc::Corrupt;
                    }
                    nxt = d[hl];
                    nxt_at = off + hl;
                    hl = new_hl;
                    m.payload_offset = (off + hl) as u16;
                    m.payload_len = (ip_len + 40 - hl) as u32;
                    if (m.len as usize) < usize::from(m.payload_offset) + m.payload_len as usize {
                        return PacketRc::Corrupt;
                    }
                }
                44 => {
                    // Arkime drops IPv6 fragments as unknown IP (so they make no
                    // session); with enableIp6Defrag trawl reassembles them.
                    if !self.opts.enable_ip6_defrag {
                        return PacketRc::UnknownIp;
                    }
                    let (Some(&next), Some(fo)) = (d.get(hl), crate::wire::be16(d, hl + 2)) else {
                        return PacketRc::Corrupt;
                    };
                    if hl + 8 > ip_len + 40 {
                        return PacketRc::Corrupt;
                    }
                    m.frag6 = Some(crate::Frag6 {
                        header_at: (off + hl) as u16,
                        next_header_at: nxt_at as u16,
                        next,
                        offset: fo >> 3,
                        more: fo & 1 != 0,
                        ident: crate::wire::be32(d, hl + 4).unwrap_or(0),
                    });
                    m.payload_offset = (off + hl + 8) as u16;
                    m.payload_len = (ip_len + 40 - hl - 8) as u32;
                    return PacketRc::DontProcessOrFree;
                }
                6 => {
                    let Some(tcp) = d.get(hl..).and_then(TcpHeader::new_checked) else {
                        return PacketRc::Corrupt;
                    };
                    if tcp.header_len() < 20 || hl + tcp.header_len() > len {
                        return PacketRc::Corrupt;
                    }
                    m.session_id = session_id6(
                        t,
                        ip6.src_bytes(),
                        tcp.src_port(),
                        ip6.dst_bytes(),
                        tcp.dst_port(),
                        m.vlan,
                        m.vni,
                    );
                    m.mprotocol = self.tcp_mprotocol;
                    break;
                }
                17 => {
                    let Some(udp) = d.get(hl..).and_then(UdpHeader::new_checked) else {
                        return PacketRc::Corrupt;
                    };
                    let ulen = udp.len();
                    if ulen < 8 || ulen > ip_len + 40 - hl {
                        return PacketRc::Corrupt;
                    }
                    m.session_id = session_id6(
                        t,
                        ip6.src_bytes(),
                        udp.src_port(),
                        ip6.dst_bytes(),
                        udp.dst_port(),
                        m.vlan,
                        m.vni,
                    );
                    if len > hl + 16 {
                        if let Some(cb) = self.udp_port[usize::from(udp.dst_port())] {
                            let cb_len = ulen.min(len - hl) - 8;
                            let rc = (cb.f)(self, b, m, off + hl + 8, cb_len, cb.uw);
                            if rc != PacketRc::UnknownIp {
                                return rc;
                            }
                            m.v6 = true;
                            m.ip_offset = off as u16;
                            m.payload_offset = (off + hl) as u16;
                            m.payload_len = (ip_len + 40 - hl) as u32;
                        }
                    }
                    m.mprotocol = self.udp_mprotocol;
                    break;
                }
                4 => return self.ip4(b, m, off + hl, len - hl),
                41 => return self.ip6(b, m, off + hl, len - hl),
                p => return self.run_ip_cb(b, m, off + hl, len - hl, p),
            }
            if hl > len {
                return PacketRc::Corrupt;
            }
        }
        m.hash = session_hash(&m.session_id);
        PacketRc::DoProcess
    }
}

/// The enqueue phase of one reader thread: shared tables plus its own fragment table
/// and counters.
pub struct Decoder {
    tables: Arc<DecodeTables>,
    frags: FragTable,
    /// Packets per [`PacketRc`] outcome.
    pub stats: [u64; PacketRc::COUNT],
}

impl Decoder {
    /// A decoder over shared tables.
    pub fn new(tables: Arc<DecodeTables>) -> Self {
        let frags = FragTable::new(tables.opts.frags_timeout, tables.opts.max_frags);
        Decoder {
            tables,
            frags,
            stats: [0; PacketRc::COUNT],
        }
    }

    /// The tables.
    pub fn tables(&self) -> &DecodeTables {
        &self.tables
    }

    /// Fragment counters.
    pub fn frag_stats(&self) -> FragStats {
        self.frags.stats()
    }

    /// Runs the enqueue phase on one packet: returns it when a packet thread should
    /// process it (its mprotocol, session id and hash set), None when it was dropped
    /// (counted in [`Self::stats`]) or kept as a fragment.
    pub fn enqueue(&mut self, mut pkt: Packet) -> Option<Packet> {
        loop {
            let rc = {
                let (b, m) = pkt.split_mut();
                let mut rc = self.tables.link(b, m);
                if rc == PacketRc::DoProcess && m.mprotocol == 0 {
                    rc = PacketRc::Corrupt;
                }
                rc
            };
            self.stats[rc as usize] += 1;
            match rc {
                PacketRc::DoProcess => return Some(pkt),
                PacketRc::DontProcessOrFree => match self.frags.add(pkt) {
                    Some(whole) => {
                        // Decode the rebuilt datagram from the start, as a new packet.
                        pkt = whole;
                        continue;
                    }
                    None => return None,
                },
                PacketRc::Corrupt => {
                    let (b, m) = pkt.split_mut();
                    if self.tables.opts.save.corrupt && b.len() >= usize::from(m.ether_offset) + 14
                    {
                        m.tunnel_depth = 0;
                        let len = b.len();
                        let rc = self.tables.run_ethernet_cb(b, m, 0, len, ETHERTYPE_CORRUPT);
                        if rc == PacketRc::DoProcess && m.mprotocol != 0 {
                            return Some(pkt);
                        }
                    }
                    return None;
                }
                _ => return None,
            }
        }
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<DecodeTables>();
    let _ = u8_at;
}
