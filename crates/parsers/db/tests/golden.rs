//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod krb5;
    pub mod ldap;
    pub mod mysql;
    pub mod ntp;
    pub mod oracle;
    pub mod postgresql;
    pub mod radius;
    pub mod snmp;
    pub mod tds;
}

/// Registers this crate's parsers, after the `ntlm.*` fields that capture defines
/// first (as `trawl_parser_all::register_all` does).
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    trawl_parser_common::ntlm::register(c, f);
    trawl_parser_db::register(c, f);
}

/// A BER/DER element: `tag`, the definite length (short form below 128, else long
/// form with the fewest bytes), then `v`.
pub fn der(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut o = vec![tag];
    let n = v.len();
    if n < 0x80 {
        o.push(n as u8);
    } else if n < 0x100 {
        o.extend_from_slice(&[0x81, n as u8]);
    } else {
        o.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    o.extend_from_slice(v);
    o
}

/// The concatenation of DER elements.
pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// NTLMSSP messages as Windows sends them.
pub mod ntlm {
    pub fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// An NTLMSSP security buffer descriptor: length, max length, offset.
    fn secbuf(len: usize, off: usize) -> Vec<u8> {
        let mut v = (len as u16).to_le_bytes().to_vec();
        v.extend_from_slice(&(len as u16).to_le_bytes());
        v.extend_from_slice(&(off as u32).to_le_bytes());
        v
    }

    /// A Windows version block: major, minor, build, NTLM revision 15.
    fn version(major: u8, minor: u8, build: u16) -> Vec<u8> {
        let mut v = vec![major, minor];
        v.extend_from_slice(&build.to_le_bytes());
        v.extend_from_slice(&[0, 0, 0, 15]);
        v
    }

    /// NEGOTIATE_UNICODE | REQUEST_TARGET | NEGOTIATE_NTLM | ALWAYS_SIGN |
    /// EXTENDED_SESSIONSECURITY | NEGOTIATE_VERSION | 128 | 56.
    const FLAGS: u32 = 0xa208_8205;

    /// Type 1: no domain or workstation supplied, Windows 10 build 19041.
    pub fn negotiate() -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&1u32.to_le_bytes());
        m.extend_from_slice(&FLAGS.to_le_bytes());
        m.extend_from_slice(&secbuf(0, 0));
        m.extend_from_slice(&secbuf(0, 0));
        m.extend_from_slice(&version(10, 0, 19041));
        m
    }

    /// Type 2 from a Windows Server 2019 DC: target name EXAMPLE (UTF-16LE).
    pub fn challenge() -> Vec<u8> {
        let target = utf16("EXAMPLE");
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&2u32.to_le_bytes());
        m.extend_from_slice(&secbuf(target.len(), 56));
        m.extend_from_slice(&FLAGS.to_le_bytes());
        m.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
        m.extend_from_slice(&[0; 8]);
        m.extend_from_slice(&secbuf(0, 56 + target.len()));
        m.extend_from_slice(&version(10, 0, 17763));
        m.extend_from_slice(&target);
        m
    }

    /// Type 3: domain EXAMPLE, user alice, workstation WS01 (UTF-16LE), dummy responses.
    pub fn authenticate() -> Vec<u8> {
        let (lm, nt) = (vec![0u8; 24], vec![0xabu8; 48]);
        let (domain, user, host) = (utf16("EXAMPLE"), utf16("alice"), utf16("WS01"));
        let mut payload = Vec::new();
        let mut descs = Vec::new();
        for part in [&lm, &nt, &domain, &user, &host] {
            descs.extend_from_slice(&secbuf(part.len(), 88 + payload.len()));
            payload.extend_from_slice(part);
        }
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&3u32.to_le_bytes());
        m.extend_from_slice(&descs);
        m.extend_from_slice(&secbuf(0, 88 + payload.len())); // session key
        m.extend_from_slice(&FLAGS.to_le_bytes());
        m.extend_from_slice(&version(10, 0, 19041));
        m.extend_from_slice(&[0; 16]); // MIC
        assert_eq!(m.len(), 88);
        m.extend_from_slice(&payload);
        m
    }
}
