//! IPv4 fragment reassembly, as Arkime does it: fragments are kept per
//! (source, destination, id); once the last fragment has arrived and the offsets leave
//! no hole, the datagram is rebuilt into a new packet (header of the fragment that
//! completed it, total length fixed, offset cleared) and decoded again from the start.

use std::collections::{BTreeMap, HashMap};

use crate::wire::Ipv4Header;
use crate::{Packet, PacketData, PACKET_MAX_LEN};

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

struct Entry {
    packets: Vec<Packet>,
    secs: u32,
    have_last: bool,
    seq: u64,
}

/// Datagrams waiting for their other fragments, oldest first.
pub(crate) struct FragTable {
    entries: HashMap<[u8; 10], Entry>,
    order: BTreeMap<u64, [u8; 10]>,
    next_seq: u64,
    timeout: u32,
    max: usize,
    dropped: u64,
    reassembled: u64,
}

fn frag_off(p: &Packet) -> usize {
    let b = p.bytes();
    b.get(usize::from(p.meta.ip_offset)..)
        .and_then(Ipv4Header::new_checked)
        .map_or(0, |h| usize::from(h.frag_offset()))
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

    fn remove(&mut self, key: &[u8; 10]) -> Option<Entry> {
        let e = self.entries.remove(key)?;
        self.order.remove(&e.seq);
        Some(e)
    }

    fn drop_entry(&mut self, key: &[u8; 10]) {
        if let Some(e) = self.remove(key) {
            self.dropped += e.packets.len() as u64;
        }
    }

    /// Takes one fragment (its IP offsets already set by the IPv4 decoder). Returns the
    /// rebuilt datagram when this fragment completes one.
    pub(crate) fn add(&mut self, mut pkt: Packet) -> Option<Packet> {
        pkt.make_owned();
        let now = pkt.meta.ts_sec;
        // Expire the oldest datagrams.
        while let Some((_, key)) = self.order.first_key_value() {
            let key = *key;
            match self.entries.get(&key) {
                Some(e) if e.secs.saturating_add(self.timeout) < now => self.drop_entry(&key),
                _ => break,
            }
        }

        let (key, more, off) = {
            let b = pkt.bytes();
            let ip = b
                .get(usize::from(pkt.meta.ip_offset)..)
                .and_then(Ipv4Header::new_checked)?;
            let mut key = [0u8; 10];
            key[..4].copy_from_slice(&ip.src_bytes());
            key[4..8].copy_from_slice(&ip.dst_bytes());
            key[8..].copy_from_slice(&ip.ident().to_be_bytes());
            (key, ip.more_frags(), usize::from(ip.frag_offset()))
        };

        let seq = self.next_seq;
        self.next_seq += 1;
        let Some(entry) = self.entries.get_mut(&key) else {
            self.entries.insert(
                key,
                // As in Arkime, the last-fragment flag is only noted on fragments after the first.
                Entry {
                    packets: vec![pkt],
                    secs: now,
                    have_last: false,
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
            return None;
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

        // Contiguous from offset 0?
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

        let entry = self.remove(&key)?;
        let done = entry.packets.get(pos)?;
        let poff = usize::from(done.meta.payload_offset);
        if total + poff > PACKET_MAX_LEN {
            self.dropped += entry.packets.len() as u64;
            return None;
        }
        let mut buf = vec![0u8; poff + total];
        let head = done.bytes().get(..poff)?;
        buf[..poff].copy_from_slice(head);
        let ipo = usize::from(done.meta.ip_offset);
        let hl = usize::from(buf.get(ipo).copied().unwrap_or(0x45) & 0x0f) * 4;
        let new_len = u16::try_from(total + hl).unwrap_or(u16::MAX);
        if let Some(s) = buf.get_mut(ipo + 2..ipo + 4) {
            s.copy_from_slice(&new_len.to_be_bytes());
        }
        if let Some(s) = buf.get_mut(ipo + 6..ipo + 8) {
            s.copy_from_slice(&[0, 0]);
        }
        // Payloads in offset order; a later overlapping fragment overwrites.
        for p in &entry.packets {
            let at = poff + frag_off(p) * 8;
            let data = p.payload();
            if let Some(dst) = buf.get_mut(at..at + data.len()) {
                dst.copy_from_slice(data);
            }
        }
        self.reassembled += 1;
        // Decoding starts over on the rebuilt bytes, with the completing fragment's time
        // and file position.
        let meta = &done.meta;
        let fresh = crate::PacketMeta {
            ts_sec: meta.ts_sec,
            ts_usec: meta.ts_usec,
            len: buf.len() as u32,
            file_pos: meta.file_pos,
            reader_pos: meta.reader_pos,
            linktype: meta.linktype,
            was_frag: true,
            ..Default::default()
        };
        Some(Packet {
            data: PacketData::Owned(buf.into_boxed_slice()),
            meta: fresh,
        })
    }
}
