//! ClientHello and ServerHello: what Arkime's tls.c takes from them (version, cipher,
//! session ids, SNI, JA3/JA3S, JA4), as pure functions over one handshake message.

use trawl_parser_common::text::hex;

use md5::{Digest, Md5};
use sha2::Sha256;

use super::ciphers::cipher_name;
use trawl_parser_common::cursor::Cursor;

/// Most ciphers JA4 keeps (Arkime's cap).
const JA4_MAX_CIPHERS: usize = 500;
/// Most extensions and signature algorithms JA4 keeps.
const JA4_MAX_LIST: usize = 256;

/// GREASE values (RFC 8701): 0x?a?a with both bytes equal.
pub fn is_grease(v: u32) -> bool {
    v & 0x0f == 0x0a && v & 0xff == (v >> 8) & 0xff
}

/// Arkime's name of a TLS version.
pub fn version_name(v: u32) -> String {
    match v {
        0x0002 => "SSLv2".into(),
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        0x7f00..=0x7fff => format!("TLSv1.3-draft-{:02}", v & 0xff),
        _ => format!("0x{v:04x}"),
    }
}

fn ja4_version(v: u32) -> &'static str {
    match v {
        0x0002 => "s2",
        0x0300 => "s3",
        0x0301 => "10",
        0x0302 => "11",
        0x0303 => "12",
        0x0304 => "13",
        _ => "00",
    }
}

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// The host name of a server_name extension's body: one entry of type 0 whose
/// lengths agree exactly with the bytes there (None otherwise).
pub(crate) fn sni_name(mut x: Cursor<'_>) -> Option<&[u8]> {
    let mut v = 0;
    x.be16_into(&mut v);
    if v as usize != x.remaining() {
        return None;
    }
    x.u8_into(&mut v);
    if v != 0 {
        return None;
    }
    x.be16_into(&mut v);
    if v as usize != x.remaining() {
        return None;
    }
    Some(x.rest())
}

pub(crate) fn sha256_12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    hex(&Sha256::digest(s.as_bytes())[..6])
}

pub(crate) fn two_digits(n: usize) -> String {
    format!("{:02}", n.min(99))
}

/// A bounded text buffer with Arkime's export semantics: a write that does not fit
/// (with room for a terminating NUL) puts it in error for good.
struct Out {
    s: String,
    cap: usize,
    err: bool,
}

impl Out {
    fn new(cap: usize) -> Self {
        Out {
            s: String::new(),
            cap,
            err: false,
        }
    }

    fn put(&mut self, piece: &str) {
        if self.err {
            return;
        }
        if self.s.len() + piece.len() < self.cap {
            self.s.push_str(piece);
        } else {
            self.err = true;
        }
    }

    fn num_dash(&mut self, v: u32) {
        self.put(&v.to_string());
        self.put("-");
    }

    /// Drops the last byte (every byte written here is ASCII).
    fn rewind(&mut self) {
        if self.err || self.s.pop().is_none() {
            self.err = true;
        }
    }

    /// Drops the last byte if there is one.
    fn trim(&mut self) {
        if !self.s.is_empty() {
            self.rewind();
        }
    }
}

/// Size of Arkime's JA3 buffers.
const JA3_BUF: usize = 13000;
/// Size of its point-format buffer.
const JA3_POINTS_BUF: usize = 1024;
/// Size of its ja4_r buffer (the string and a NUL).
const JA4_R_BUF: usize = 4096;

/// What a ServerHello yields.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// Version names in the order Arkime adds them.
    pub versions: Vec<String>,
    /// Hex session id (SSLv3 to TLS 1.2).
    pub session_id: Option<String>,
    /// Cipher name (or 0x hex).
    pub cipher: String,
    /// Whether ALPN selected exactly "h2".
    pub http2: bool,
    /// The JA3S string (None when longer than Arkime's buffer).
    pub ja3s_string: Option<String>,
    /// Its MD5.
    pub ja3s: Option<String>,
}

/// Parses a ServerHello body (after the 4-byte handshake header); None when too short.
pub fn server_hello(data: &[u8]) -> Option<ServerHello> {
    let mut b = Cursor::new(data);
    let mut ver = 0;
    b.be16_into(&mut ver);
    b.skip(32);
    if b.is_error() {
        return None;
    }
    let mut out = ServerHello::default();
    let mut add12_later = ver == 0x0303;
    if !add12_later {
        out.versions.push(version_name(ver));
    }
    if (0x0300..=0x0303).contains(&ver) {
        let mut n = 0;
        b.u8_into(&mut n);
        let n = n as usize;
        if n > 0 && b.remaining() > n {
            out.session_id = Some(hex(&b.rest()[..n]));
        }
        b.skip(n);
    }
    let mut cipher = 0;
    b.be16_into(&mut cipher);
    out.cipher = match u16::try_from(cipher).ok().and_then(cipher_name) {
        Some(n) => n.to_string(),
        None => format!("0x{cipher:04x}"),
    };
    if !(0x0700..0x7f16).contains(&ver) {
        b.skip(1); // compression
    }
    let mut exts = Out::new(JA3_BUF);
    if b.remaining() > 2 {
        let mut tot = 0;
        b.be16_into(&mut tot);
        let tot = (tot as usize).min(b.remaining());
        let mut e = b.sub(tot);
        while e.remaining() >= 4 {
            let (mut et, mut el) = (0, 0);
            e.be16_into(&mut et);
            e.be16_into(&mut el);
            exts.num_dash(et);
            let el = el as usize;
            if el > e.remaining() {
                break;
            }
            if et == 0x2b && el == 2 {
                let mut sv = 0;
                e.be16_into(&mut sv);
                if sv == 0x0304 {
                    out.versions.push(version_name(sv));
                    add12_later = false;
                }
                continue;
            }
            if et == 0x10 && el == 5 && e.rest().starts_with(b"\x00\x03\x02h2") {
                out.http2 = true;
            }
            e.skip(el);
        }
        exts.trim();
    }
    if add12_later {
        out.versions.push(version_name(0x0303));
    }
    let mut ja3s = Out::new(JA3_BUF);
    ja3s.put(&format!("{ver},{cipher},{}", exts.s));
    if !ja3s.err && !exts.err {
        out.ja3s = Some(md5_hex(&ja3s.s));
        out.ja3s_string = Some(ja3s.s);
    }
    Some(out)
}

/// What a ClientHello yields.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// Hex session id.
    pub session_id: Option<String>,
    /// Server name (SNI).
    pub sni: Option<String>,
    /// The JA3 string (None when longer than Arkime's buffers).
    pub ja3_string: Option<String>,
    /// Its MD5.
    pub ja3: Option<String>,
    /// JA4.
    pub ja4: String,
    /// JA4 raw (ja4_r; None when longer than Arkime's buffer).
    pub ja4_r: Option<String>,
    /// Tags (ESNI/ECH present).
    pub tags: Vec<&'static str>,
}

fn ja4_alpn(a: &[u8]) -> [char; 2] {
    let (Some(&f), Some(&l)) = (a.first(), a.last()) else {
        return ['0', '0'];
    };
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        [char::from(f), char::from(l)]
    } else {
        let hf = format!("{f:02x}");
        let hl = format!("{l:02x}");
        [
            hf.chars().next().unwrap_or('0'),
            hl.chars().nth(1).unwrap_or('0'),
        ]
    }
}

/// Parses a ClientHello handshake message (with its 4-byte header, as the record
/// carries it); `tcp` picks JA4's transport letter. None when too short.
pub fn client_hello(data: &[u8], tcp: bool) -> Option<ClientHello> {
    if data.len() < 7 {
        return None;
    }
    let mut out = ClientHello::default();
    let hlen = usize::from(data[2]) << 8 | usize::from(data[3]);
    let plen = (data.len() - 4).min(hlen);
    let mut ver = u32::from(data[4]) << 8 | u32::from(data[5]);
    let mut ja3 = Out::new(JA3_BUF);
    ja3.put(&format!("{ver},"));
    let mut exts = Out::new(JA3_BUF);
    let mut curves = Out::new(JA3_BUF);
    let mut points = Out::new(JA3_POINTS_BUF);
    let mut ja4_ciphers: Vec<u16> = Vec::new();
    let mut ja4_num_exts = 0usize;
    let mut ja4_exts: Vec<u16> = Vec::new();
    let mut ja4_algos: Vec<u16> = Vec::new();
    let mut has_sni = 'i';
    let mut alpn = ['0', '0'];

    let mut c = match plen.checked_sub(2) {
        Some(n) => Cursor::new(data.get(6..6 + n).unwrap_or(&[])),
        None => Cursor::errored(),
    };
    if c.remaining() > 32 {
        c.skip(32);
        let mut n = 0;
        c.u8_into(&mut n);
        let nl = n as usize;
        if nl > 0 && c.remaining() > nl {
            out.session_id = Some(hex(&c.rest()[..nl]));
        }
        c.skip(nl);
        let mut skip = 0;
        c.be16_into(&mut skip);
        while !c.is_error() && skip >= 2 {
            let mut v = 0;
            c.be16_into(&mut v);
            if !is_grease(v) {
                ja3.num_dash(v);
                if ja4_ciphers.len() < JA4_MAX_CIPHERS {
                    ja4_ciphers.push(v as u16);
                }
            }
            skip -= 2;
        }
        c.skip(skip as usize);
        ja3.rewind();
        ja3.put(",");
        c.u8_into(&mut skip);
        c.skip(skip as usize);

        if c.remaining() >= 6 {
            let mut tot = 0;
            c.be16_into(&mut tot);
            let tot = (tot as usize).min(c.remaining());
            let mut e = c.sub(tot);
            while e.remaining() >= 4 {
                let (mut et, mut el) = (0, 0);
                e.be16_into(&mut et);
                e.be16_into(&mut el);
                let el = el as usize;
                if is_grease(et) {
                    e.skip(el);
                    continue;
                }
                ja4_num_exts += 1;
                if ja4_exts.len() < JA4_MAX_LIST {
                    ja4_exts.push(et as u16);
                }
                exts.num_dash(et);
                if el > e.remaining() {
                    break;
                }
                match et {
                    0x0000 => {
                        ja4_exts.pop();
                        let Some(name) = sni_name(e.sub(el)) else {
                            continue;
                        };
                        if !name.is_empty() {
                            out.sni = Some(String::from_utf8_lossy(name).into_owned());
                        }
                        has_sni = 'd';
                    }
                    0x000a => {
                        let mut x = e.sub(el);
                        let mut l = 0;
                        x.be16_into(&mut l);
                        x.shrink(l as usize);
                        while x.remaining() >= 2 {
                            let mut v = 0;
                            x.be16_into(&mut v);
                            if !is_grease(v) {
                                curves.num_dash(v);
                            }
                        }
                        curves.trim();
                    }
                    0x000b => {
                        let mut x = e.sub(el);
                        let mut l = 0;
                        x.u8_into(&mut l);
                        x.shrink(l as usize);
                        while x.remaining() >= 1 {
                            let mut v = 0;
                            x.u8_into(&mut v);
                            points.num_dash(v);
                        }
                        points.trim();
                    }
                    0x000d => {
                        let mut x = e.sub(el);
                        let mut l = 0;
                        x.be16_into(&mut l);
                        x.shrink(l as usize);
                        while x.remaining() >= 2 {
                            let mut v = 0;
                            x.be16_into(&mut v);
                            if ja4_algos.len() < JA4_MAX_LIST {
                                ja4_algos.push(v as u16);
                            }
                        }
                    }
                    0x0010 => {
                        ja4_exts.pop();
                        let mut x = e.sub(el);
                        x.skip(2);
                        let mut al = 0;
                        x.u8_into(&mut al);
                        if let Some(a) = x.take(al as usize) {
                            if !a.is_empty() {
                                alpn = ja4_alpn(a);
                            }
                        }
                    }
                    0x002b => {
                        let mut x = e.sub(el);
                        let mut l = 0;
                        x.u8_into(&mut l);
                        x.shrink(l as usize);
                        while x.remaining() >= 2 {
                            let mut v = 0;
                            x.be16_into(&mut v);
                            if !is_grease(v) {
                                ver = ver.max(v);
                            }
                        }
                    }
                    0xffce => {
                        out.tags.push("tls:has_esni");
                        e.skip(el);
                    }
                    0xfe0d => {
                        out.tags.push("tls:has_ech");
                        e.skip(el);
                    }
                    _ => e.skip(el),
                }
            }
            exts.trim();
        }
    }
    if !(ja3.err || exts.err || curves.err || points.err || ja3.s.is_empty()) {
        ja3.put(&format!("{},{},{}", exts.s, curves.s, points.s));
        if !ja3.err {
            out.ja3 = Some(md5_hex(&ja3.s));
            out.ja3_string = Some(ja3.s);
        }
    }

    let mut head = String::with_capacity(11);
    head.push(if tcp { 't' } else { 'q' });
    head.push_str(ja4_version(ver));
    head.push(has_sni);
    head.push_str(&two_digits(ja4_ciphers.len()));
    head.push_str(&two_digits(ja4_num_exts));
    head.push(alpn[0]);
    head.push(alpn[1]);
    head.push('_');

    ja4_ciphers.sort_unstable();
    let cs = ja4_ciphers
        .iter()
        .map(|c| format!("{c:04x}"))
        .collect::<Vec<_>>()
        .join(",");
    ja4_exts.sort_unstable();
    let mut es = ja4_exts
        .iter()
        .map(|c| format!("{c:04x}"))
        .collect::<Vec<_>>()
        .join(",");
    if !ja4_algos.is_empty() {
        es.push('_');
        es.push_str(
            &ja4_algos
                .iter()
                .map(|c| format!("{c:04x}"))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    out.ja4 = format!("{head}{}_{}", sha256_12(&cs), sha256_12(&es));
    let raw = format!("{head}{cs}_{es}");
    if raw.len() < JA4_R_BUF {
        out.ja4_r = Some(raw);
    }
    Some(out)
}
