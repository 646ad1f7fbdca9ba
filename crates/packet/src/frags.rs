//! IP fragment reassembly. IPv4 as Arkime does it: fragments are kept per (source,
//! destination, id); once the last fragment has arrived and the offsets leave no hole,
//! the datagram is rebuilt into a new packet (header of the fragment that completed
//! it, total length fixed, offset cleared) and decoded again from the start. IPv6 the
//! same way per (source, destination, identification), with the fragment header taken
//! out, when `enableIp6Defrag` is set (Arkime does not reassemble IPv6, and by default
//! neither does trawl).

use std::collections::{BTreeMap, HashMap};

use crate::wire::{Ipv4Header, Ipv6Header};
use crate::{Frag6, Packet, PacketData, PacketMeta, PACKET_MAX_LEN};

/// Most fragments kept for one datagram.
const MAX_FRAGS_PER_DATAGRAM: usize = 50;

/// Fragment counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FragStats {
    /// Fragments dropped (timeout, table full, too many, too large).
    pub dropped: u64,
    /// Datagrams rebuilt.
    pub reassembled: u64,
    /// Datagrams waiting for more fragments.
    pub pending: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum FragKey {
    V4([u8; 10]),
    V6([u8; 36]),
}

struct Entry {
    packets: Vec<Packet>,
    secs: u64,
    have_last: bool,
    seq: u64,
}

/// Datagrams waiting for their other fragments, oldest first.
pub(crate) struct FragTable {
    entries: HashMap<FragKey, Entry>,
    order: BTreeMap<u64, FragKey>,
    next_seq: u64,
    timeout: u32,
    max: usize,
    dropped: u64,
    reassembled: u64,
}

/// Offset of a fragment, in 8-byte units.
fn frag_off(p: &Packet) -> usize {
    if let Some(f) = p.meta.frag6 {
        return usize::from(f.offset);
    }
    p.bytes()
        .get(usize::from(p.meta.ip_offset)..)
        .and_then(Ipv4Header::new_checked)
        .map_or(0, |h| usize::from(h.frag_offset()))
}

/// The datagram a fragment belongs to, whether more follow, and its offset.
fn identify(p: &Packet) -> Option<(FragKey, bool, usize)> {
    let ip = p.bytes().get(usize::from(p.meta.ip_offset)..)?;
    match p.meta.frag6 {
        Some(f) => {
            let h = Ipv6Header::new_checked(ip)?;
            let mut key = [0u8; 36];
            key[..16].copy_from_slice(&h.src_bytes());
            key[16..32].copy_from_slice(&h.dst_bytes());
            key[32..].copy_from_slice(&f.ident.to_be_bytes());
            Some((FragKey::V6(key), f.more, usize::from(f.offset)))
        }
        None => {
            let h = Ipv4Header::new_checked(ip)?;
            let mut key = [0u8; 10];
            key[..4].copy_from_slice(&h.src_bytes());
            key[4..8].copy_from_slice(&h.dst_bytes());
            key[8..].copy_from_slice(&h.ident().to_be_bytes());
            Some((
                FragKey::V4(key),
                h.more_frags(),
                usize::from(h.frag_offset()),
            ))
        }
    }
}

/// A rebuilt datagram: decoding starts over on its bytes, with the completing
/// fragment's time and file position.
fn rebuilt(buf: Vec<u8>, m: &PacketMeta) -> Packet {
    let meta = PacketMeta {
        ts_sec: m.ts_sec,
        ts_usec: m.ts_usec,
        len: buf.len() as u32,
        file_pos: m.file_pos,
        reader_pos: m.reader_pos,
        linktype: m.linktype,
        was_frag: true,
        ..Default::default()
    };
    Packet {
        data: PacketData::Owned(buf.into_boxed_slice()),
        meta,
    }
}

/// Copies each fragment's data to its place after `head` bytes (later ones win).
fn place(buf: &mut [u8], head: usize, packets: &[Packet]) {
    for p in packets {
        let at = head + frag_off(p) * 8;
        let data = p.payload();
        if let Some(dst) = buf.get_mut(at..at + data.len()) {
            dst.copy_from_slice(data);
        }
    }
}

impl FragTable {
    pub(crate) fn new(timeout: u32, max: usize) -> Self {
        FragTable {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            timeout: if timeout == 0 { 480 } else { timeout },
            max: if max == 0 { 10_000 } else { max },
            dropped: 0,
            reassembled: 0,
        }
    }

    pub(crate) fn stats(&self) -> FragStats {
        FragStats {
            dropped: self.dropped,
            reassembled: self.reassembled,
            pending: self.entries.len() as u64,
        }
    }

    fn remove(&mut self, key: &FragKey) -> Option<Entry> {
        let e = self.entries.remove(key)?;
        self.order.remove(&e.seq);
        Some(e)
    }

    fn drop_entry(&mut self, key: &FragKey) {
        if let Some(e) = self.remove(key) {
            self.dropped += e.packets.len() as u64;
        }
    }

    /// Takes one fragment (its IP offsets already set by the decoder). Returns the
    /// rebuilt datagram when this fragment completes one.
    pub(crate) fn add(&mut self, mut pkt: Packet) -> Option<Packet> {
        pkt.make_owned();
        let now = pkt.meta.ts_sec;
        while let Some((_, key)) = self.order.first_key_value() {
            let key = *key;
            match self.entries.get(&key) {
                Some(e) if e.secs.saturating_add(u64::from(self.timeout)) < now => {
                    self.drop_entry(&key)
                }
                _ => break,
            }
        }
        let Some((key, more, off)) = identify(&pkt) else {
            self.dropped += 1;
            return None;
        };
        let v6 = matches!(key, FragKey::V6(_));
        let seq = self.next_seq;
        self.next_seq += 1;

        let Some(entry) = self.entries.get_mut(&key) else {
            // As in Arkime, an IPv4 datagram's last-fragment flag is only noted on
            // fragments after the first; IPv6 notes it always, so an atomic fragment
            // completes at once.
            let have_last = v6 && !more;
            self.entries.insert(
                key,
                Entry {
                    packets: vec![pkt],
                    secs: now,
                    have_last,
                    seq,
                },
            );
            self.order.insert(seq, key);
            if self.entries.len() > self.max {
                if let Some((_, oldest)) = self.order.first_key_value() {
                    let oldest = *oldest;
                    self.drop_entry(&oldest);
                }
            }
            return if have_last {
                self.complete(&key, 0)
            } else {
                None
            };
        };
        self.order.remove(&entry.seq);
        entry.seq = seq;
        self.order.insert(seq, key);
        if !more {
            entry.have_last = true;
        }
        // Keep the list sorted by offset; equal offsets keep arrival order.
        let pos = entry
            .packets
            .iter()
            .rposition(|p| off >= frag_off(p))
            .map_or(0, |i| i + 1);
        entry.packets.insert(pos, pkt);
        if entry.packets.len() > MAX_FRAGS_PER_DATAGRAM {
            self.drop_entry(&key);
            return None;
        }
        if !entry.have_last {
            return None;
        }
        self.complete(&key, pos)
    }

    /// Rebuilds the datagram of `key` if its fragments leave no hole; `pos` is where
    /// the fragment that completed it sits in the (sorted) list.
    fn complete(&mut self, key: &FragKey, pos: usize) -> Option<Packet> {
        let entry = self.entries.get(key)?;
        let mut next = 0usize;
        let mut total = 0usize;
        for p in &entry.packets {
            let o = frag_off(p);
            if o != next {
                return None;
            }
            next += p.meta.payload_len as usize / 8;
            total = total.max(o * 8 + p.meta.payload_len as usize);
        }
        let entry = self.remove(key)?;
        let done = entry.packets.get(pos)?;
        let out = match done.meta.frag6 {
            Some(f) => Self::rebuild6(&entry.packets, done, f, total),
            None => Self::rebuild4(&entry.packets, done, total),
        };
        match out {
            Some(p) => {
                self.reassembled += 1;
                Some(p)
            }
            None => {
                self.dropped += entry.packets.len() as u64;
                None
            }
        }
    }

    /// IPv4: the completing fragment's headers, total length fixed, offset cleared.
    fn rebuild4(packets: &[Packet], done: &Packet, total: usize) -> Option<Packet> {
        let poff = usize::from(done.meta.payload_offset);
        if total + poff > PACKET_MAX_LEN {
            return None;
        }
        let mut buf = vec![0u8; poff + total];
        buf[..poff].copy_from_slice(done.bytes().get(..poff)?);
        let ipo = usize::from(done.meta.ip_offset);
        let hl = usize::from(buf.get(ipo).copied().unwrap_or(0x45) & 0x0f) * 4;
        let new_len = u16::try_from(total + hl).unwrap_or(u16::MAX);
        if let Some(s) = buf.get_mut(ipo + 2..ipo + 4) {
            s.copy_from_slice(&new_len.to_be_bytes());
        }
        if let Some(s) = buf.get_mut(ipo + 6..ipo + 8) {
            s.copy_from_slice(&[0, 0]);
        }
        place(&mut buf, poff, packets);
        Some(rebuilt(buf, &done.meta))
    }

    /// IPv6: the unfragmentable part of the completing fragment without the fragment
    /// header (its next header patched in), the payload length fixed, then the data.
    fn rebuild6(packets: &[Packet], done: &Packet, f: Frag6, total: usize) -> Option<Packet> {
        let head = done.bytes().get(..usize::from(f.header_at))?;
        let ipo = usize::from(done.meta.ip_offset);
        if head.len() + total > PACKET_MAX_LEN || head.len() < ipo + 40 {
            return None;
        }
        let mut buf = vec![0u8; head.len() + total];
        buf[..head.len()].copy_from_slice(head);
        if let Some(b) = buf.get_mut(usize::from(f.next_header_at)) {
            *b = f.next;
        }
        let plen = u16::try_from(head.len() - ipo - 40 + total).unwrap_or(u16::MAX);
        if let Some(s) = buf.get_mut(ipo + 4..ipo + 6) {
            s.copy_from_slice(&plen.to_be_bytes());
        }
        place(&mut buf, head.len(), packets);
        Some(rebuilt(buf, &done.meta))
    }
}
