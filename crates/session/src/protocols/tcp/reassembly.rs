//! TCP reassembly: each direction's next expected sequence number and the segments
//! that arrived ahead of it, kept in sequence order until the gap before them fills
//! (Arkime's `tcpData` list). Every sequence comparison is modulo 2^32.

use trawl_packet::Packet;

use crate::Dir;

/// Wrap-aware `b - a` (positive when `b` is after `a`), as gopacket's tcpassembly
/// and Arkime compute it: numbers in the top and bottom quarters of the space are
/// taken to have wrapped.
pub fn seq_diff(a: u32, b: u32) -> i64 {
    let (a, b) = (i64::from(a), i64::from(b));
    if a > 0xc000_0000 && b < 0x4000_0000 {
        return b + 0x1_0000_0000 - a;
    }
    if b > 0xc000_0000 && a < 0x4000_0000 {
        return b - a - 0x1_0000_0000;
    }
    b - a
}

/// A segment waiting for the bytes before it.
#[derive(Debug)]
pub struct Segment {
    /// The packet (its bytes borrowed from the read chunk until [`Reassembly::own`]).
    pub pkt: Packet,
    /// Sequence number of its first data byte.
    pub seq: u32,
    /// Its acknowledgement number.
    pub ack: u32,
    /// Data length.
    pub len: u32,
    /// Offset of the data in the packet.
    pub data_offset: u32,
    /// Direction.
    pub dir: Dir,
}

impl Segment {
    /// Its data from `off` bytes in (empty if the packet is shorter than it says).
    pub fn data_from(&self, off: usize) -> &[u8] {
        let start = self.data_offset as usize + off;
        let end = self.data_offset as usize + self.len as usize;
        self.pkt.bytes().get(start..end).unwrap_or(&[])
    }
}

/// What [`Reassembly::insert`] did with a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queued {
    /// It was queued in order.
    Added,
    /// It replaced a shorter segment with the same start.
    Replaced,
    /// A segment with the same start and at least its length was queued already.
    Duplicate,
}

/// Both directions' reassembly state.
#[derive(Debug, Default)]
pub struct Reassembly {
    /// Next expected sequence number per direction (0 until known: a stream without
    /// a handshake is delivered only when the session ends, see `tcp::free`).
    pub next: [u32; 2],
    /// Segments not yet delivered, in sequence order.
    queue: Vec<Segment>,
}

impl Reassembly {
    /// Segments waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Drops every waiting segment.
    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Takes every waiting segment out.
    pub fn take_all(&mut self) -> Vec<Segment> {
        std::mem::take(&mut self.queue)
    }

    /// Gives the waiting segments their own copy of their bytes (the read chunk they
    /// borrow from is about to be reused).
    pub fn own(&mut self) {
        self.queue.iter_mut().for_each(|seg| seg.pkt.make_owned());
    }

    /// Queues `seg` in order, scanning from the newest segment back: after the last
    /// one that starts before it (for a segment of the other direction, whose data
    /// it acknowledges). A segment with the same start replaces a shorter one and is
    /// dropped otherwise.
    pub fn insert(&mut self, seg: Segment) -> Queued {
        let mut at = 0;
        let mut i = self.queue.len();
        while i > 0 {
            let f = &self.queue[i - 1];
            let same_dir = f.dir == seg.dir;
            let diff = seq_diff(if same_dir { f.seq } else { f.ack }, seg.seq);
            if diff == 0 {
                if same_dir {
                    if seg.len <= f.len {
                        return Queued::Duplicate;
                    }
                    self.queue[i - 1] = seg;
                    return Queued::Replaced;
                } else if seq_diff(seg.ack, f.seq) < 0 {
                    at = i;
                    break;
                }
            } else if diff > 0 {
                at = i;
                break;
            }
            i -= 1;
        }
        self.queue.insert(at, seg);
        Queued::Added
    }

    /// The next segment whose data continues its direction, with the offset of its
    /// first new byte, scanning from `*cursor` (which it advances past segments still
    /// waiting for a gap in the other direction). Segments wholly before what was
    /// delivered are dropped on the way. None when the segment at the cursor is ahead
    /// of its direction (a gap) or none is left.
    pub fn next_ready(&mut self, cursor: &mut usize) -> Option<(Segment, usize)> {
        while let Some(f) = self.queue.get(*cursor) {
            let want = self.next[f.dir];
            // 0 is "not known yet" (no handshake seen), as in Arkime: nothing but a
            // segment starting at 0 continues it.
            if want == 0 && f.seq != 0 {
                return None;
            }
            let off = seq_diff(f.seq, want);
            if off < 0 {
                // Ahead of what its direction has delivered: wait for the gap.
                return None;
            }
            if off >= i64::from(f.len) {
                // Delivered already (a retransmission).
                self.queue.remove(*cursor);
                continue;
            }
            return Some((self.queue.remove(*cursor), off as usize));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(dir: Dir, seq: u32, data: &[u8]) -> Segment {
        Segment {
            pkt: Packet::from_bytes(data, 228, 0, 0),
            seq,
            ack: 0,
            len: data.len() as u32,
            data_offset: 0,
            dir,
        }
    }

    fn drain(r: &mut Reassembly) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some((s, off)) = r.next_ready(&mut i) {
            let d = s.data_from(off);
            out.extend_from_slice(d);
            r.next[s.dir] = r.next[s.dir].wrapping_add(d.len() as u32);
        }
        out
    }

    #[test]
    fn seq_diff_wraps() {
        assert_eq!(seq_diff(1, 5), 4);
        assert_eq!(seq_diff(5, 1), -4);
        assert_eq!(seq_diff(u32::MAX - 1, 3), 5);
        assert_eq!(seq_diff(3, u32::MAX - 1), -5);
    }

    #[test]
    fn out_of_order_across_the_wrap_is_delivered_in_order() {
        let start = u32::MAX - 3;
        let mut r = Reassembly::default();
        r.next[Dir::Src] = start;
        // "efgh" starts after the wrap (at 0), "abcd" before it; "efgh" arrives first.
        assert_eq!(r.insert(seg(Dir::Src, 0, b"efgh")), Queued::Added);
        assert_eq!(drain(&mut r), b"", "a gap before it: nothing yet");
        assert_eq!(r.insert(seg(Dir::Src, start, b"abcd")), Queued::Added);
        assert_eq!(drain(&mut r), b"abcdefgh");
        assert_eq!(r.next[Dir::Src], 4);
        assert!(r.is_empty());
    }

    #[test]
    fn nothing_is_delivered_before_the_stream_start_is_known() {
        let mut r = Reassembly::default();
        // No handshake: next is 0, "unknown". Whatever the segment's number, it waits
        // (it would look 0x3000_0000 bytes old to a wrap-aware comparison).
        r.insert(seg(Dir::Src, 0xd000_0000, b"GET /"));
        assert_eq!(drain(&mut r), b"");
        assert_eq!(r.len(), 1);
        // A segment at 0 does continue it.
        let mut r = Reassembly::default();
        r.insert(seg(Dir::Dst, 0, b"zero"));
        assert_eq!(drain(&mut r), b"zero");
    }

    #[test]
    fn retransmissions_and_overlaps() {
        let mut r = Reassembly::default();
        r.next[Dir::Src] = 100;
        assert_eq!(r.insert(seg(Dir::Src, 104, b"ef")), Queued::Added);
        assert_eq!(r.insert(seg(Dir::Src, 104, b"e")), Queued::Duplicate);
        assert_eq!(r.insert(seg(Dir::Src, 104, b"efgh")), Queued::Replaced);
        // Overlaps the start of the queued one by two bytes.
        r.insert(seg(Dir::Src, 100, b"abcdef"));
        assert_eq!(drain(&mut r), b"abcdefgh");
        // A retransmission of delivered bytes is dropped.
        r.insert(seg(Dir::Src, 102, b"cd"));
        assert_eq!(drain(&mut r), b"");
        assert!(r.is_empty());
    }

    #[test]
    fn both_directions_are_delivered_in_queue_order() {
        let mut r = Reassembly {
            next: [10, 500],
            ..Default::default()
        };
        r.insert(seg(Dir::Src, 10, b"req"));
        r.insert(seg(Dir::Dst, 500, b"resp"));
        assert_eq!(drain(&mut r), b"reqresp");
    }
}
