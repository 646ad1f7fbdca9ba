//! The session document: what Arkime's `arkime_db_save_session` writes for a session,
//! as the `sessions3` bulk header and body.

use std::net::IpAddr;

use base64::Engine;
use chrono::{DateTime, Datelike, Timelike};
use sha1::{Digest, Sha1};
use trawl_config::Rotate;
use trawl_fields::{flags, FieldId, FieldType, FieldValue};
use trawl_lookup::IpInfo;
use trawl_session::protocols::tcp::flag;
use trawl_session::{RootId, Session, Shared};

use crate::json::{Obj, Recorder};

/// How documents are named and shaped.
#[derive(Clone, Debug)]
pub struct DocConfig {
    /// Node name.
    pub node: String,
    /// Index prefix, with its trailing `_` (or empty).
    pub prefix: String,
    /// Index rotation.
    pub rotate: Rotate,
    /// `gapPacketPos`.
    pub gap_packet_pos: bool,
    /// `enablePacketLen`.
    pub enable_packet_len: bool,
    /// `autoGenerateId`: 1 lets the database pick ids.
    pub auto_generate_id: u8,
}

/// One document: the index it goes to, its id (if the capture chooses it) and body.
#[derive(Clone, Debug)]
pub struct Doc {
    /// Index name.
    pub index: String,
    /// Document id, unless the database generates it.
    pub id: Option<String>,
    /// JSON body.
    pub body: String,
}

impl Doc {
    /// The bulk header line.
    pub fn header(&self) -> String {
        let mut s = String::new();
        let mut o = Obj::new(&mut s);
        o.obj("index", |o| {
            o.str("_index", &self.index);
            if let Some(id) = &self.id {
                o.str("_id", id);
            }
        });
        o.close();
        s
    }
}

/// Builds documents; one per packet thread (it keeps a counter for ids).
pub struct DocBuilder {
    cfg: DocConfig,
    save_order: Vec<FieldId>,
    id_seed: [u8; 16],
    id_counter: u64,
    /// The process id's low bits, the first two bytes of every id.
    pid: u16,
}

/// The index suffix for a session whose last packet is at `secs`.
pub fn index_suffix(rotate: Rotate, secs: u64) -> String {
    let t =
        DateTime::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0).unwrap_or_default();
    let (y, m, d, h) = (t.year() % 100, t.month(), t.day(), t.hour());
    match rotate {
        Rotate::Hourly => format!("{y:02}{m:02}{d:02}h{h:02}"),
        Rotate::HourlyN(n) => {
            let n = u32::from(n.max(1));
            format!("{y:02}{m:02}{d:02}h{:02}", (h / n) * n)
        }
        Rotate::Daily => format!("{y:02}{m:02}{d:02}"),
        Rotate::Weekly => format!("{y:02}w{:02}", t.ordinal0() / 7),
        Rotate::Monthly => format!("{y:02}m{m:02}"),
    }
}

fn ip_string(ip: IpAddr) -> String {
    trawl_fields::canonical_ip(ip).to_string()
}

/// A session's own address as Arkime writes it: an IPv6 session's with `inet_ntop`,
/// so an IPv4-mapped address stays `::ffff:a.b.c.d` (field values are written as IPv4
/// instead, see [`ip_string`]) and glibc's IPv4-compatible form `::a.b.c.d` is kept.
fn endpoint_ip_string(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => {
            let w = v6.segments();
            if w[..6] == [0; 6] && w[6] != 0 {
                let [.., a, b, c, d] = v6.octets();
                format!("::{a}.{b}.{c}.{d}")
            } else {
                v6.to_string()
            }
        }
        v4 => v4.to_string(),
    }
}

fn hex8(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn geo_obj(o: &mut Obj, info: &IpInfo) {
    if info.country.is_some() || info.region.is_some() || info.city.is_some() {
        o.obj("geo", |g| {
            if let Some(c) = &info.country {
                g.str("country_iso_code", c);
            }
            if let Some(r) = &info.region {
                g.str("region_iso_code", r);
            }
            if let Some(c) = &info.city {
                g.str("city_name", c);
            }
        });
    }
    if let (Some(num), Some(org)) = (info.asn_number, &info.asn_org) {
        o.obj("as", |a| {
            a.num("number", num)
                .str("full", &format!("AS{num} {org}"))
                .obj("organization", |n| {
                    n.str("name", org);
                });
        });
    }
}

impl DocBuilder {
    /// A builder for documents of `cfg` with the fields of `shared`.
    pub fn new(cfg: DocConfig, shared: &Shared, thread: u16) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut id_seed = [0u8; 16];
        id_seed.copy_from_slice(
            &Sha1::digest(format!(
                "{}-{}-{}-{}",
                cfg.node,
                std::process::id(),
                nanos,
                thread
            ))[..16],
        );
        DocBuilder {
            cfg,
            save_order: shared.fields.save_order(),
            id_seed,
            id_counter: 0,
            pid: std::process::id() as u16,
        }
    }

    fn next_id(&mut self, suffix: &str) -> String {
        self.id_counter += 1;
        let mut bytes = [0u8; 18];
        bytes[..2].copy_from_slice(&self.pid.to_le_bytes());
        bytes[2..].copy_from_slice(&self.id_seed);
        for (i, b) in self.id_counter.to_le_bytes().iter().enumerate() {
            bytes[17 - i] ^= b;
        }
        format!(
            "{suffix}-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Builds the document for `s`, writing its body into `body` (emptied first; its
    /// room is reused) and telling `rec` of every value as it is written. Increments
    /// the session's segment count and settles its rootId. Returns None, having
    /// written nothing, when no document is due (SPI saving stopped, too few packets).
    pub fn build(
        &mut self,
        shared: &Shared,
        s: &mut Session,
        now_ms: u64,
        mut body: String,
        rec: Option<&mut dyn Recorder>,
    ) -> Option<Doc> {
        if s.stop_spi || s.packets() < s.min_saving {
            return None;
        }
        s.segments += 1;
        let suffix = index_suffix(self.cfg.rotate, s.last_packet.sec);
        let index = format!("{}sessions3-{}", self.cfg.prefix, suffix);
        let id = if self.cfg.auto_generate_id != 1 || s.root_id == RootId::Pending {
            let id = self.next_id(&suffix);
            if s.root_id == RootId::Pending {
                s.root_id = RootId::Id(id.clone());
            }
            Some(id)
        } else {
            None
        };
        let id = if self.cfg.auto_generate_id == 1 {
            None
        } else {
            id
        };

        // Geo/ASN/RIR for the endpoints; override-ips may add tags, so look up first.
        let (f, c) = (&shared.fields, &shared.core);
        let lookups = shared.lookups.load();
        let ends = if s.ip_protocol != 0 {
            let a = lookups.ip_info(s.src_ip());
            let b = lookups.ip_info(s.dst_ip());
            for t in a.tags.iter().chain(b.tags.iter()) {
                s.fields.string_add(f, c.tags, t);
            }
            Some((a, b))
        } else {
            None
        };
        let mut ip_infos: Vec<(FieldId, Vec<(IpAddr, IpInfo)>)> = Vec::new();
        for &fid in &self.save_order {
            let ips: Vec<IpAddr> = match s.fields.get(fid) {
                Some(FieldValue::IpSet(set)) => set.as_slice().to_vec(),
                Some(FieldValue::Ip(ip)) => vec![*ip],
                _ => continue,
            };
            let infos: Vec<(IpAddr, IpInfo)> = ips
                .into_iter()
                .map(|ip| (ip, lookups.ip_info(ip)))
                .collect();
            for (_, i) in &infos {
                for t in &i.tags {
                    s.fields.string_add(f, c.tags, t);
                }
            }
            ip_infos.push((fid, infos));
        }

        let mut first = s.first_packet;
        let mut last = s.last_packet;
        if first.sec < 10 {
            first.sec += 10;
            last.sec += 10;
        } else if last.sec < 10 {
            last.sec += 10;
        }
        let (fms, lms) = (first.millis(), last.millis());

        body.clear();
        body.reserve(1024 + s.file_pos.len() * 12);
        let rec = rec.map(|r| r as &mut dyn Recorder);
        let mut o = Obj::recorded(&mut body, rec);
        o.obj("packetRange", |r| {
            r.num("gte", fms.min(lms)).num("lte", fms.max(lms));
        });
        o.num("firstPacket", fms)
            .num("lastPacket", lms)
            .num("length", fms.abs_diff(lms))
            .num("ipProtocol", s.ip_protocol);
        if s.ethertype != 0 {
            o.num("ethertype", s.ethertype);
        }
        if s.ip_protocol == 6 {
            // Written for every TCP session, with zero counts for one the TCP code
            // never saw (a corrupt-ip session of TCP packets), as Arkime does.
            let no_flags = [0; flag::COUNT];
            let n = s.tcp.as_deref().map_or(&no_flags, |t| &t.flag_cnt);
            o.obj("tcpflags", |x| {
                x.num("syn", n[flag::SYN])
                    .num("syn-ack", n[flag::SYN_ACK])
                    .num("ack", n[flag::ACK])
                    .num("psh", n[flag::PSH])
                    .num("fin", n[flag::FIN])
                    .num("rst", n[flag::RST])
                    .num("urg", n[flag::URG])
                    .num("ece", n[flag::ECE])
                    .num("cwr", n[flag::CWR])
                    .num("ae", n[flag::AE])
                    .num("srcZero", n[flag::SRC_ZERO])
                    .num("dstZero", n[flag::DST_ZERO]);
            });
            if let Some(t) = s.tcp.as_deref() {
                if t.syn_time != 0 && t.ack_time != 0 {
                    o.num("initRTT", t.ack_time.wrapping_sub(t.syn_time) / 2);
                }
                let have = t.syn_time != 0 || n[flag::SYN_ACK] != 0;
                if have {
                    o.obj("tcpseq", |x| {
                        if t.syn_time != 0 {
                            x.num("src", t.syn_seq[0]);
                        }
                        if n[flag::SYN_ACK] != 0 {
                            x.num("dst", t.syn_seq[1]);
                        }
                    });
                    o.bool("tcpSynValidated", t.syn_validated != 0);
                    o.bool("tcpSynAckValidated", t.syn_ack_validated != 0);
                    if t.src_isn_cnt != 0 {
                        o.num("srcISNCnt", t.src_isn_cnt);
                    }
                }
            }
        }
        for (dir, key) in [(0, "srcPayload8"), (1, "dstPayload8")] {
            let first = s.flows[dir].first_bytes();
            if !first.is_empty() {
                o.str(key, &hex8(first));
            }
        }
        o.num("@timestamp", now_ms);

        let macs = |fid: FieldId, o: &mut Obj| {
            if let Some(FieldValue::StrSet(set)) = s.fields.get(fid) {
                o.num("mac-cnt", set.len());
                o.strs("mac", set.as_slice().iter().map(String::as_str));
            }
        };
        match &ends {
            Some((a, b)) => {
                o.obj("source", |x| {
                    x.str("ip", &endpoint_ip_string(s.src_ip()))
                        .num("port", s.port1)
                        .num("bytes", s.flows[0].bytes)
                        .num("packets", s.flows[0].packets);
                    geo_obj(x, a);
                    macs(c.mac_src, x);
                });
                o.obj("destination", |x| {
                    x.str("ip", &endpoint_ip_string(s.dst_ip()))
                        .num("port", s.port2)
                        .num("bytes", s.flows[1].bytes)
                        .num("packets", s.flows[1].packets);
                    geo_obj(x, b);
                    macs(c.mac_dst, x);
                });
                if let Some(r) = &a.rir {
                    o.str("srcRIR", r);
                }
                if let Some(r) = &b.rir {
                    o.str("dstRIR", r);
                }
            }
            None => {
                o.obj("source", |x| {
                    x.num("bytes", s.flows[0].bytes)
                        .num("packets", s.flows[0].packets);
                    macs(c.mac_src, x);
                });
                o.obj("destination", |x| {
                    x.num("bytes", s.flows[1].bytes)
                        .num("packets", s.flows[1].packets);
                    macs(c.mac_dst, x);
                });
            }
        }
        o.obj("network", |x| {
            x.num("packets", s.packets())
                .num("bytes", s.flows[0].bytes + s.flows[1].bytes);
            if let Some(id) = s.community_id() {
                x.str("community_id", &format!("1:{id}"));
            }
            if let Some(FieldValue::IntList(v)) = s.fields.get(c.vlan) {
                x.obj("vlan", |y| {
                    y.num("id-cnt", v.len()).nums("id", v.iter());
                });
            }
        });
        o.obj("client", |x| {
            x.num("bytes", s.flows[0].databytes);
        });
        o.obj("server", |x| {
            x.num("bytes", s.flows[1].databytes);
        });
        o.num("totDataBytes", s.flows[0].databytes + s.flows[1].databytes)
            .num("segmentCnt", s.segments)
            .str("node", &self.cfg.node);
        if let RootId::Id(r) = &s.root_id {
            o.str("rootId", r);
        }
        if self.cfg.gap_packet_pos {
            let (mut last, mut lastgap) = (0i64, 0i64);
            let enc = s.file_pos.iter().map(|&p| {
                if p < 0 {
                    last = 0;
                    lastgap = 0;
                    p
                } else if p - last == lastgap {
                    last = p;
                    0
                } else {
                    lastgap = p - last;
                    last = p;
                    lastgap
                }
            });
            let v: Vec<i64> = enc.collect();
            o.nums("packetPos", v);
        } else {
            o.nums("packetPos", s.file_pos.iter());
        }
        if self.cfg.enable_packet_len {
            o.nums("packetLen", s.file_len.iter());
        }
        o.nums("fileId", s.file_num.iter());

        self.write_fields(&mut o, shared, s, &ip_infos);
        o.close();
        Some(Doc { index, id, body })
    }

    /// The generic field loop: every field with values, grouped by its database group.
    fn write_fields(
        &self,
        o: &mut Obj,
        shared: &Shared,
        s: &Session,
        ip_infos: &[(FieldId, Vec<(IpAddr, IpInfo)>)],
    ) {
        let reg = &shared.fields;
        let mut i = 0;
        let order = &self.save_order;
        while i < order.len() {
            let Some(def) = reg.get(order[i]) else {
                i += 1;
                continue;
            };
            if s.fields.get(order[i]).is_none() {
                i += 1;
                continue;
            }
            match def.db_group() {
                None => {
                    self.write_field(o, def.db_leaf(), order[i], shared, s, ip_infos);
                    i += 1;
                }
                Some(group) => {
                    // Every field of this group with values, in sorted order.
                    let mut j = i;
                    let mut members = Vec::new();
                    while j < order.len()
                        && reg.get(order[j]).and_then(|d| d.db_group()) == Some(group)
                    {
                        if s.fields.get(order[j]).is_some() {
                            members.push(order[j]);
                        }
                        j += 1;
                    }
                    o.obj(group, |g| {
                        for fid in members {
                            if let Some(d) = reg.get(fid) {
                                self.write_field(g, d.db_leaf(), fid, shared, s, ip_infos);
                            }
                        }
                    });
                    i = j;
                }
            }
        }
    }

    fn write_field(
        &self,
        o: &mut Obj,
        name: &str,
        fid: FieldId,
        shared: &Shared,
        s: &Session,
        ip_infos: &[(FieldId, Vec<(IpAddr, IpInfo)>)],
    ) {
        let Some(def) = shared.fields.get(fid) else {
            return;
        };
        let Some(v) = s.fields.get(fid) else { return };
        let cnt = def.flags & flags::CNT != 0;
        let ecs = def.flags & flags::ECS_CNT != 0;
        let count = |o: &mut Obj, n: usize| {
            if cnt {
                o.num(&format!("{name}Cnt"), n);
            }
            if ecs {
                o.num(&format!("{name}-cnt"), n);
            }
        };
        match v {
            FieldValue::Int(n) => {
                o.num(name, n);
            }
            FieldValue::Str(x) => {
                o.str(name, x);
            }
            FieldValue::IntList(l) => {
                count(o, l.len());
                o.nums(name, l.iter());
            }
            FieldValue::IntSet(set) => {
                count(o, set.len());
                o.nums(name, set.as_slice().iter());
            }
            FieldValue::StrList(l) => {
                count(o, l.len());
                o.strs(name, l.iter().map(String::as_str));
            }
            FieldValue::StrSet(set) => {
                count(o, set.len());
                o.strs(name, set.as_slice().iter().map(String::as_str));
            }
            FieldValue::Objects(v) => {
                // Object fields always carry their count, as Arkime writes them.
                o.num(&format!("{name}Cnt"), v.len());
                o.raw_list(name, v.iter().map(String::as_str));
            }
            FieldValue::FloatList(l) => {
                count(o, l.len());
                o.nums(name, l.iter().map(|f| format!("{f:.6}")));
            }
            FieldValue::Ip(_) | FieldValue::IpSet(_) => {
                let Some((_, infos)) = ip_infos.iter().find(|(id, _)| *id == fid) else {
                    return;
                };
                // Arkime names the companions by dropping the last two characters ("srcOuterIp" ->
                // "srcOuterGEO").
                let stem = name.get(..name.len().saturating_sub(2)).unwrap_or("");
                if def.ty == FieldType::Ip {
                    if let Some((ip, info)) = infos.first() {
                        if let Some(c) = &info.country {
                            o.str(&format!("{stem}GEO"), c);
                        }
                        if let Some(full) = info.asn_full() {
                            o.str(&format!("{stem}ASN"), &full);
                        }
                        if let Some(r) = &info.rir {
                            o.str(&format!("{stem}RIR"), r);
                        }
                        o.str(name, &ip_string(*ip));
                    }
                } else {
                    count(o, infos.len());
                    o.strs(
                        name,
                        infos
                            .iter()
                            .map(|(ip, _)| ip_string(*ip))
                            .collect::<Vec<_>>()
                            .iter()
                            .map(String::as_str),
                    );
                    o.strs(
                        &format!("{stem}GEO"),
                        infos
                            .iter()
                            .map(|(_, i)| i.country.as_deref().unwrap_or("---")),
                    );
                    let asns: Vec<String> = infos
                        .iter()
                        .map(|(_, i)| i.asn_full().unwrap_or_else(|| "---".into()))
                        .collect();
                    o.strs(&format!("{stem}ASN"), asns.iter().map(String::as_str));
                    o.strs(
                        &format!("{stem}RIR"),
                        infos.iter().map(|(_, i)| i.rir.as_deref().unwrap_or("")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_addresses_as_inet_ntop_writes_them() {
        for (ip, want) in [
            ("::ffff:10.1.2.3", "::ffff:10.1.2.3"),
            ("::10.1.2.3", "::10.1.2.3"),
            ("::1:0", "::0.1.0.0"),
            ("::1", "::1"),
            ("::", "::"),
            ("2001:db8::ffff:a01:203", "2001:db8::ffff:a01:203"),
            ("10.1.2.3", "10.1.2.3"),
        ] {
            assert_eq!(endpoint_ip_string(ip.parse().unwrap()), want, "{ip}");
        }
        // Field values of IPv4-mapped addresses are written as IPv4.
        assert_eq!(ip_string("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3");
    }
}
