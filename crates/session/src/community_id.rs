//! Community ID v1 (the Corelight flow hash Arkime writes as `network.community_id`
//! and rules match as `communityId`).

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::{Session, SessionType};

impl Session {
    /// The session's community id without its `1:` version prefix; none for sessions
    /// that are not IP flows.
    pub fn community_id(&self) -> Option<String> {
        match self.ses {
            SessionType::Other => None,
            SessionType::Icmp => Some(icmp_hash(self)),
            _ => Some(tuple_hash(self)),
        }
    }
}

/// Community id v1 of a TCP/UDP/SCTP/... session from its session id.
fn tuple_hash(s: &Session) -> String {
    let id = s.id.as_bytes();
    let mut h = Sha1::new();
    h.update([0u8, 0u8]);
    if s.v6 {
        h.update(id.get(4..36).unwrap_or(&[]));
        h.update([s.ip_protocol, 0]);
        h.update(id.get(36..40).unwrap_or(&[]));
    } else {
        let (a, b) = (id.get(4..8).unwrap_or(&[]), id.get(8..12).unwrap_or(&[]));
        if a <= b {
            h.update(id.get(4..12).unwrap_or(&[]));
            h.update([s.ip_protocol, 0]);
            h.update(id.get(12..16).unwrap_or(&[]));
        } else {
            h.update(b);
            h.update(a);
            h.update([s.ip_protocol, 0]);
            h.update(id.get(14..16).unwrap_or(&[]));
            h.update(id.get(12..14).unwrap_or(&[]));
        }
    }
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// Community id of an ICMP session, mapping request types to their reply types.
fn icmp_hash(s: &Session) -> String {
    let mut h = Sha1::new();
    h.update([0u8, 0u8]);
    let mut p1 = u16::from(s.icmp_info[0]);
    let mut p2 = u16::from(s.icmp_info[1]);
    if s.v6 {
        const MAP: [u8; 19] = [
            129, 128, 131, 130, 255, 134, 133, 136, 135, 255, 255, 140, 139, 255, 255, 255, 145,
            144, 255,
        ];
        if p1 >= 128 {
            if let Some(&m) = MAP.get(usize::from(p1 - 128)).filter(|m| **m != 255) {
                p2 = u16::from(m);
            }
        }
        let first = s.addr1 < s.addr2 || (s.addr1 == s.addr2 && p1 <= p2);
        if first {
            h.update(s.addr1);
            h.update(s.addr2);
        } else {
            h.update(s.addr2);
            h.update(s.addr1);
            std::mem::swap(&mut p1, &mut p2);
        }
    } else {
        const MAP: [u8; 19] = [
            8, 255, 255, 255, 255, 255, 255, 255, 0, 10, 9, 255, 255, 14, 13, 16, 15, 18, 17,
        ];
        if let Some(&m) = MAP.get(usize::from(p1)).filter(|m| **m != 255) {
            p2 = u16::from(m);
        }
        let (a, b) = (s.addr1_v4(), s.addr2_v4());
        let first = a < b || (a == b && p1 < p2);
        if first {
            h.update(a);
            h.update(b);
        } else {
            h.update(b);
            h.update(a);
            std::mem::swap(&mut p1, &mut p2);
        }
    }
    h.update([s.ip_protocol, 0]);
    h.update(p1.to_be_bytes());
    h.update(p2.to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}
