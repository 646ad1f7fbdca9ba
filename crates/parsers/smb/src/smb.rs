//! SMB (Arkime's smb.c), recognition only for now: a TCP stream whose first message
//! carries an SMB1 (`\xffSMB`) or SMB2/3 (`\xfeSMB`) header after its 4-byte NetBIOS
//! session header is marked `smb`. The SMB fields (shares, file names, dialect, OS,
//! domain, user, host) are not decoded yet.

use trawl_session::parsers::Classifiers;
use trawl_session::{Cx, Session};

/// Whether the first bytes of a stream are an SMB message in a NetBIOS session frame.
pub fn is_smb(data: &[u8]) -> bool {
    matches!(data.get(4), Some(0xff | 0xfe)) && data.get(5..8) == Some(b"SMB")
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], _dir: usize, _uw: u32) {
    if is_smb(data) && !cx.has_protocol(s, "smb") {
        cx.add_protocol(s, "smb");
    }
}

/// Registers the SMB classifier.
pub fn register(c: &mut Classifiers) {
    c.register_tcp("smb", 0, 5, b"SMB", classify);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert!(is_smb(b"\x00\x00\x00\x85\xffSMBr"));
        assert!(is_smb(b"\x00\x00\x00\x85\xfeSMB@"));
        assert!(!is_smb(b"\x00\x00\x00\x85\xfdSMB"));
        assert!(!is_smb(b"\x00\x00\x00"));
    }
}
