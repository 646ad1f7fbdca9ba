//! NTLMSSP messages (Arkime's `arkime_parsers_ntlm_decode`), as HTTP, SMTP, IMAP,
//! POP3, LDAP, TDS and SMB carry them: the message type, domain, user, workstation,
//! the server's target name and the OS version, into the `ntlm.*` fields and the core
//! `user` field, with the protocol `ntlm`.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::Classifiers;
use trawl_session::{Cx, Session};

use crate::cursor::at;
use crate::text::{latin1, ucs2le, until_nul};

const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
const NEGOTIATE_VERSION: u32 = 0x0200_0000;

/// What one message says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// 1 negotiate, 2 challenge, 3 authenticate.
    pub mtype: u32,
    /// Domain (types 1 and 3).
    pub domain: Option<Vec<u8>>,
    /// User (type 3).
    pub user: Option<Vec<u8>>,
    /// Workstation (types 1 and 3).
    pub host: Option<Vec<u8>>,
    /// Target name (type 2).
    pub target: Option<Vec<u8>>,
    /// `major.minor.build`, when the version flag is set.
    pub version: Option<String>,
}

/// The bytes a security buffer descriptor at `pos` points to (None when empty or
/// outside the message).
fn secbuf(msg: &[u8], pos: usize) -> Option<&[u8]> {
    let len = usize::from(at::le16(msg, pos)?);
    let off = at::le32(msg, pos + 4)? as usize;
    if len == 0 || off > msg.len() || len > msg.len() - off {
        return None;
    }
    Some(&msg[off..off + len])
}

/// A string of the message: UTF-16LE converted (up to a NUL), or the OEM bytes.
fn string(b: &[u8], unicode: bool) -> Option<Vec<u8>> {
    if !unicode {
        return Some(b.to_vec());
    }
    ucs2le(b).map(|u| until_nul(&u).to_vec())
}

/// Reads an NTLMSSP message; None if it is not one (signature, type 1-3, structure).
pub fn decode(data: &[u8]) -> Option<Message> {
    if data.len() < 12 || &data[..8] != b"NTLMSSP\0" {
        return None;
    }
    let mtype = at::le32(data, 8)?;
    if !(1..=3).contains(&mtype) {
        return None;
    }
    let mut m = Message {
        mtype,
        ..Message::default()
    };
    let (flags_at, domain, user, host, target, version) = match mtype {
        1 => (12, 16, 0, 24, 0, 32),
        2 => (20, 0, 0, 0, 12, 48),
        _ => (60, 28, 36, 44, 0, 64),
    };
    // A message too short for its flags is still counted, with nothing else read.
    let Some(flags) = at::le32(data, flags_at) else {
        return Some(m);
    };
    let unicode = flags & NEGOTIATE_UNICODE != 0 && mtype != 1;
    let get = |pos: usize| {
        if pos == 0 {
            return None;
        }
        string(secbuf(data, pos)?, unicode)
    };
    m.domain = get(domain);
    m.user = get(user);
    m.host = get(host);
    m.target = get(target);
    if flags & NEGOTIATE_VERSION != 0 && data.len() >= version + 8 {
        m.version = Some(format!(
            "{}.{}.{}",
            data[version],
            data[version + 1],
            u16::from_le_bytes([data[version + 2], data[version + 3]])
        ));
    }
    Some(m)
}

/// The base64 text of a message ("TlRMTVNTUA..."), blanks around it allowed, decoded
/// (at most 16 KiB of text); None if it does not start like one or decodes short.
pub fn decode_base64_text(b64: &[u8]) -> Option<Vec<u8>> {
    let mut b = b64;
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r' | b'\n'] = b {
        b = rest;
    }
    if b.len() < 11 || !b.starts_with(b"TlRMTVNTUA") {
        return None;
    }
    let b = &b[..b.len().min(16384)];
    let mut out = Vec::with_capacity(b.len() / 4 * 3 + 3);
    crate::base64::Step::default().decode(b, &mut out);
    (out.len() >= 12).then_some(out)
}

const NTLM: FieldSpec = FieldSpec::new("ntlm", FieldType::StrHash).flags(Flags::CNT);

/// The `ntlm.*` fields (Arkime defines them in its core), in the order of [`Ntlm`]'s
/// ids.
pub const FIELDS: [FieldSpec; 5] = [
    NTLM.named("ntlm.domain", "ntlm.domain", Kind::TermField)
        .text("NTLM Domain", "NTLMSSP domain or target realm"),
    NTLM.named("ntlm.host", "ntlm.host", Kind::TermField)
        .text("NTLM Host", "NTLMSSP workstation/host name")
        .category("host"),
    NTLM.named("ntlm.targetName", "ntlm.targetName", Kind::TermField)
        .text(
            "NTLM Target Name",
            "NTLMSSP server-advertised target name (Type 2)",
        ),
    NTLM.named("ntlm.version", "ntlm.version", Kind::TermField)
        .text(
            "NTLM Version",
            "NTLMSSP client/server OS version (major.minor.build)",
        ),
    NTLM.named("ntlm.type", "ntlm.type", Kind::Integer)
        .text(
            "NTLM Message Type",
            "NTLMSSP message type: 1=Negotiate, 2=Challenge, 3=Authenticate",
        )
        .ty(FieldType::IntGHash),
];

/// What records NTLMSSP messages: the ids of the `ntlm.*` fields and of the core
/// `user` field. A parser that meets NTLM gets one from [`fields`] at registration
/// and keeps it (its classifier closure captures it).
#[derive(Clone, Copy, Debug)]
pub struct Ntlm {
    domain: FieldId,
    host: FieldId,
    target: FieldId,
    version: FieldId,
    mtype: FieldId,
    user: FieldId,
}

/// Defines the `ntlm.*` fields, or finds them when defined already (defining is
/// idempotent, so every family that records NTLM may call this).
pub fn fields(f: &mut FieldRegistry) -> Ntlm {
    let [domain, host, target, version, mtype] = f.define_all(&FIELDS);
    Ntlm {
        domain,
        host,
        target,
        version,
        mtype,
        user: f.by_expression("user").unwrap_or(FieldId::MAX),
    }
}

/// Defines the `ntlm.*` fields (Arkime defines them in its core, before any parser);
/// see [`fields`].
pub fn register(_c: &mut Classifiers, f: &mut FieldRegistry) -> Ntlm {
    fields(f)
}

impl Ntlm {
    /// Records an NTLMSSP message found in a session (nothing if it is not one).
    pub fn record(&self, cx: &mut Cx, s: &mut Session, data: &[u8]) {
        let Some(m) = decode(data) else {
            return;
        };
        cx.add_protocol(s, "ntlm");
        let reg = &cx.shared.fields;
        s.fields.int_add(reg, self.mtype, m.mtype);
        for (id, v) in [
            (self.domain, &m.domain),
            (self.user, &m.user),
            (self.host, &m.host),
            (self.target, &m.target),
        ] {
            if let Some(v) = v {
                s.fields.string_add(reg, id, &latin1(v));
            }
        }
        if let Some(v) = &m.version {
            s.fields.string_add(reg, self.version, v);
        }
    }

    /// Records a base64 message from a text protocol; true if the text was one
    /// (Arkime's `arkime_parsers_ntlm_decode_base64`).
    pub fn record_base64(&self, cx: &mut Cx, s: &mut Session, b64: &[u8]) -> bool {
        match decode_base64_text(b64) {
            Some(msg) => {
                self.record(cx, s, &msg);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secbuf_at(v: &mut [u8], pos: usize, len: u16, off: u32) {
        v[pos..pos + 2].copy_from_slice(&len.to_le_bytes());
        v[pos + 2..pos + 4].copy_from_slice(&len.to_le_bytes());
        v[pos + 4..pos + 8].copy_from_slice(&off.to_le_bytes());
    }

    #[test]
    fn authenticate_message() {
        let mut m = vec![0u8; 72];
        m[..8].copy_from_slice(b"NTLMSSP\0");
        m[8] = 3;
        let flags = NEGOTIATE_UNICODE | NEGOTIATE_VERSION;
        m[60..64].copy_from_slice(&flags.to_le_bytes());
        m[64..68].copy_from_slice(&[10, 0, 0x63, 0x45]);
        let dom: Vec<u8> = "DOM".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let user: Vec<u8> = "José".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let off = m.len() as u32;
        secbuf_at(&mut m, 28, dom.len() as u16, off);
        secbuf_at(&mut m, 36, user.len() as u16, off + dom.len() as u32);
        m.extend_from_slice(&dom);
        m.extend_from_slice(&user);
        let d = decode(&m).unwrap();
        assert_eq!(d.mtype, 3);
        assert_eq!(d.domain.as_deref(), Some(&b"DOM"[..]));
        assert_eq!(d.user.as_deref(), Some("José".as_bytes()));
        assert_eq!(d.host, None);
        assert_eq!(d.version.as_deref(), Some("10.0.17763"));
        for n in 0..=m.len() {
            let _ = decode(&m[..n]);
        }
    }

    #[test]
    fn negotiate_and_base64() {
        // "NTLMSSP\0" type 1, flags 0: base64 of a 16-byte message.
        let mut m = b"NTLMSSP\0\x01\x00\x00\x00\x00\x00\x00\x00".to_vec();
        assert_eq!(decode(&m).map(|d| d.mtype), Some(1));
        m[8] = 4;
        assert_eq!(decode(&m), None);
        assert_eq!(decode(b"NTLMSSQ\0\x01\x00\x00\x00"), None);
        let text = b" TlRMTVNTUAABAAAAAAAAAA==\r\n";
        let msg = decode_base64_text(text).unwrap();
        assert_eq!(&msg[..9], b"NTLMSSP\0\x01");
        assert_eq!(decode_base64_text(b"TlRMTVNT"), None);
        assert_eq!(decode_base64_text(b"dXNlcjpwYXNz"), None);
    }

    #[test]
    fn ucs2_strings() {
        assert_eq!(string(b"a\0b\0", true).as_deref(), Some(&b"ab"[..]));
        assert_eq!(string(b"a\0b", true), None, "odd length");
        assert_eq!(string(b"\x00\xd8", true), None, "a lone surrogate");
        assert_eq!(string(b"a\0\0\0b\0", true).as_deref(), Some(&b"a"[..]));
        assert_eq!(string(b"OEM", false).as_deref(), Some(&b"OEM"[..]));
    }
}
