//! ONC RPC (RFC 5531; Arkime's rpc.c and nfs.c): calls are classified by their
//! program number. Over UDP a call's header is the xid, message type 0 (call), RPC
//! version 2 and the program; the well-known programs 100000 to 100037 name the
//! session's protocol (portmap, mount, NFS...). Over TCP a 4-byte record mark comes
//! first, and only NFS is recognized, as in Arkime.

use trawl_session::parsers::Classifiers;

/// Message type CALL and RPC version 2, then the high bytes of a program number
/// 1000xx (0x000186xx), at offset 4 of a UDP datagram.
const CALL_V2_PROGRAM_1000XX: &[u8] = b"\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01\x86";

/// NFS's program number, 100003.
const NFS: u8 = 0xa3;

/// The protocol Arkime names for a UDP call to program `0x000186xx` (by its low byte;
/// NFS has its own classifier).
pub fn program_name(low: u8) -> Option<&'static str> {
    Some(match low {
        0xa0 => "portmap",
        0xa1 => "rstat",
        0xa2 => "rusers",
        0xa4 => "ypprog",
        0xa5 => "mount",
        0xa7 => "ypbind",
        0xa8 => "wall",
        0xa9 => "yppasswd",
        0xab => "rquota",
        0xb1 => "rexec",
        0xc5 => "tfs",
        _ => return None,
    })
}

/// Registers the RPC and NFS classifiers (they define no fields).
pub fn register(c: &mut Classifiers) {
    c.register_udp("rpc", 0, 4, CALL_V2_PROGRAM_1000XX, |cx, s, d, _, _| {
        if let Some(name) = d.get(15).copied().and_then(program_name) {
            if !cx.has_protocol(s, name) {
                cx.add_protocol(s, name);
            }
        }
    });
    let mut nfs = CALL_V2_PROGRAM_1000XX.to_vec();
    nfs.push(NFS);
    c.register_udp("nfs", 0, 4, &nfs, |cx, s, _, _, _| {
        cx.add_protocol(s, "nfs")
    });
    c.register_tcp("nfs", 0, 8, &nfs, |cx, s, _, _, _| {
        cx.add_protocol(s, "nfs")
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(program_name(0xa0), Some("portmap"));
        assert_eq!(program_name(0xa5), Some("mount"));
        assert_eq!(program_name(NFS), None);
        assert_eq!(program_name(0xa6), None);
        assert_eq!(CALL_V2_PROGRAM_1000XX.len(), 11);
    }
}
