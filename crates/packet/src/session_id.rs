//! Session ids and their hash.
//!
//! A session id is the sorted pair of endpoints plus the VLAN or VNI when
//! `sessionIdTracking` asks for it. Byte 0 holds the id's length, as in Arkime, so ids of
//! different shapes (IPv4 tuple, IPv6 tuple, MAC pair, ...) live in one type. The layout
//! and the hash follow Arkime's so that sessions land on the same packet threads.

use std::hash::{Hash, Hasher};

/// Longest session id.
pub const SESSION_ID_MAX: usize = 40;
/// Length of an IPv4 tuple id.
pub const SESSION_ID4_LEN: u8 = 16;
/// Length of an IPv6 tuple id.
pub const SESSION_ID6_LEN: u8 = 40;

/// A session id: `bytes[0]` is its length.
#[derive(Clone, Copy)]
pub struct SessionId {
    bytes: [u8; SESSION_ID_MAX],
}

impl Default for SessionId {
    fn default() -> Self {
        SessionId {
            bytes: [0; SESSION_ID_MAX],
        }
    }
}

impl SessionId {
    /// An id from raw bytes; `raw[0]` must be the length (clamped to the buffer).
    pub fn from_raw(raw: &[u8]) -> SessionId {
        let mut id = SessionId::default();
        let n = raw.len().min(SESSION_ID_MAX);
        id.bytes[..n].copy_from_slice(&raw[..n]);
        let len = usize::from(id.bytes[0]).min(n);
        id.bytes[0] = len as u8;
        id
    }

    /// The bytes in use (including the length byte).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.bytes[0]).min(SESSION_ID_MAX)]
    }

    /// Mutable access to the whole buffer, for builders.
    pub fn buf_mut(&mut self) -> &mut [u8; SESSION_ID_MAX] {
        &mut self.bytes
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.bytes[0])
    }

    /// Whether unset.
    pub fn is_empty(&self) -> bool {
        self.bytes[0] == 0
    }
}

impl PartialEq for SessionId {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}
impl Eq for SessionId {}

impl Hash for SessionId {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u32(session_hash(self));
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// How VLANs or VNIs take part in session ids (`sessionIdTracking`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SessionIdTracking {
    /// Ignore both.
    #[default]
    None,
    /// Sessions on different VLANs are different sessions.
    Vlan,
    /// Sessions on different VNIs are different sessions.
    Vni,
}

/// Tracking mode plus the `[vlan-vni-collapse]` map (value → collapsed value).
#[derive(Clone, Debug, Default)]
pub struct TrackingConfig {
    /// Mode.
    pub mode: SessionIdTracking,
    /// Values that collapse into one id value.
    pub collapse: std::collections::HashMap<u32, u32>,
}

fn write_tracking(buf: &mut [u8; SESSION_ID_MAX], t: &TrackingConfig, vlan: u16, vni: u32) {
    match t.mode {
        SessionIdTracking::None => {}
        SessionIdTracking::Vlan => {
            let v = t
                .collapse
                .get(&u32::from(vlan))
                .copied()
                .unwrap_or(u32::from(vlan));
            buf[2] = (v & 0xff) as u8;
            buf[3] = ((v >> 8) & 0xff) as u8;
        }
        SessionIdTracking::Vni => {
            let v = t.collapse.get(&vni).copied().unwrap_or(vni);
            buf[1] = (v & 0xff) as u8;
            buf[2] = ((v >> 8) & 0xff) as u8;
            buf[3] = ((v >> 16) & 0xff) as u8;
        }
    }
}

/// The id of an IPv4 flow: addresses and ports in network byte order, the lower
/// endpoint first. "Lower" compares each address as the little-endian integer a C
/// capture on x86 sees, as Arkime does, so ids and thread choice match it.
pub fn session_id4(
    t: &TrackingConfig,
    a1: [u8; 4],
    p1: u16,
    a2: [u8; 4],
    p2: u16,
    vlan: u16,
    vni: u32,
) -> SessionId {
    let mut id = SessionId::default();
    let b = &mut id.bytes;
    b[0] = SESSION_ID4_LEN;
    write_tracking(b, t, vlan, vni);
    let (n1, n2) = (u32::from_le_bytes(a1), u32::from_le_bytes(a2));
    let first = n1 < n2 || (n1 == n2 && p1 < p2);
    let ((fa, fp), (sa, sp)) = if first {
        ((a1, p1), (a2, p2))
    } else {
        ((a2, p2), (a1, p1))
    };
    b[4..8].copy_from_slice(&fa);
    b[8..12].copy_from_slice(&sa);
    b[12..14].copy_from_slice(&fp.to_be_bytes());
    b[14..16].copy_from_slice(&sp.to_be_bytes());
    id
}

/// The id of an IPv6 flow (addresses compared bytewise).
pub fn session_id6(
    t: &TrackingConfig,
    a1: [u8; 16],
    p1: u16,
    a2: [u8; 16],
    p2: u16,
    vlan: u16,
    vni: u32,
) -> SessionId {
    let mut id = SessionId::default();
    let b = &mut id.bytes;
    b[0] = SESSION_ID6_LEN;
    write_tracking(b, t, vlan, vni);
    let first = a1 < a2 || (a1 == a2 && p1 < p2);
    let ((fa, fp), (sa, sp)) = if first {
        ((a1, p1), (a2, p2))
    } else {
        ((a2, p2), (a1, p1))
    };
    b[4..20].copy_from_slice(&fa);
    b[20..36].copy_from_slice(&sa);
    b[36..38].copy_from_slice(&fp.to_be_bytes());
    b[38..40].copy_from_slice(&sp.to_be_bytes());
    id
}

/// Arkime's session hash over the id's 32-bit words (unsalted, so runs repeat).
#[inline]
pub fn session_hash(id: &SessionId) -> u32 {
    let bytes = id.as_bytes();
    let mut h: u32 = 0;
    for w in bytes.chunks(4) {
        let mut word = [0u8; 4];
        word[..w.len()].copy_from_slice(w);
        h = h
            .wrapping_add(u32::from_le_bytes(word))
            .wrapping_mul(0xc6a4_a793);
        h ^= h >> 16;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_give_one_id() {
        let t = TrackingConfig::default();
        let a = session_id4(&t, [10, 0, 0, 1], 1234, [10, 0, 0, 2], 80, 0, 0);
        let b = session_id4(&t, [10, 0, 0, 2], 80, [10, 0, 0, 1], 1234, 0, 0);
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        // 10.0.0.1 read little-endian is 0x0100000a < 0x0200000a, so it comes first.
        assert_eq!(&a.as_bytes()[4..8], &[10, 0, 0, 1]);
        assert_eq!(&a.as_bytes()[12..14], &1234u16.to_be_bytes());
        assert_eq!(session_hash(&a), session_hash(&b));
    }

    #[test]
    fn little_endian_order_is_not_numeric_order() {
        let t = TrackingConfig::default();
        // 1.0.0.2 (le 0x02000001) sorts after 2.0.0.1 (le 0x01000002).
        let a = session_id4(&t, [1, 0, 0, 2], 1, [2, 0, 0, 1], 2, 0, 0);
        assert_eq!(&a.as_bytes()[4..8], &[2, 0, 0, 1]);
    }

    #[test]
    fn vlan_tracking_separates_sessions() {
        let mut t = TrackingConfig {
            mode: SessionIdTracking::Vlan,
            ..Default::default()
        };
        let a = session_id4(&t, [10, 0, 0, 1], 1, [10, 0, 0, 2], 2, 100, 0);
        let b = session_id4(&t, [10, 0, 0, 1], 1, [10, 0, 0, 2], 2, 200, 0);
        assert_ne!(a, b);
        t.collapse.insert(100, 0);
        t.collapse.insert(200, 0);
        let a = session_id4(&t, [10, 0, 0, 1], 1, [10, 0, 0, 2], 2, 100, 0);
        let b = session_id4(&t, [10, 0, 0, 1], 1, [10, 0, 0, 2], 2, 200, 0);
        assert_eq!(a, b);
    }

    #[test]
    fn v6_ids_sort_bytewise() {
        let t = TrackingConfig::default();
        let mut lo = [0u8; 16];
        lo[15] = 1;
        let mut hi = [0u8; 16];
        hi[0] = 0x20;
        let a = session_id6(&t, hi, 443, lo, 5000, 0, 0);
        assert_eq!(a.len(), 40);
        assert_eq!(&a.as_bytes()[4..20], &lo);
        assert_eq!(&a.as_bytes()[36..38], &5000u16.to_be_bytes());
    }
}
