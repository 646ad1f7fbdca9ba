//! SSH (Arkime's ssh.c): the version banners, HASSH and HASSH server from each side's
//! KEXINIT, the server's host key, and the `ssh-reverse-shell` tag when, after the
//! first five chunks each way, mid-sized chunks outnumber small ones in both
//! directions.

use md5::{Digest, Md5};
use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::text::hex;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Session};

/// Largest SSH record kept (payload and its 4-byte length).
const MAX_SSH_BUFFER: usize = 8192 + 4;
/// Largest HASSH input string.
const MAX_HASSH_INPUT: usize = 30000;

#[derive(Clone, Copy, Debug)]
struct Ids {
    ver: FieldId,
    key: FieldId,
    hassh: FieldId,
    hassh_server: FieldId,
}

/// Per-session SSH state.
#[derive(Debug)]
struct Ssh {
    ids: Ids,
    buf: [Vec<u8>; 2],
    packets: [u32; 2],
    counts: [[u32; 2]; 2],
    done: bool,
    done_rs: bool,
}

/// Reads SSH's length-prefixed strings.
struct Reader<'a> {
    d: &'a [u8],
}

impl<'a> Reader<'a> {
    fn skip(&mut self, n: usize) -> Option<()> {
        self.d = self.d.get(n..)?;
        Some(())
    }

    fn u32(&mut self) -> Option<usize> {
        let b = self.d.get(..4)?;
        self.d = &self.d[4..];
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        let s = self.d.get(..n)?;
        self.d = &self.d[n..];
        Some(s)
    }
}

/// The HASSH input of a KEXINIT payload (after the message code): key exchange,
/// then the client's (or, for the server, `server`) cipher, MAC and compression
/// lists, joined by `;`. None when the message is cut short.
pub fn hassh_input(payload: &[u8], server: bool) -> Option<Vec<u8>> {
    let mut r = Reader { d: payload };
    r.skip(16)?;
    let mut out = Vec::new();
    out.extend_from_slice(r.string()?);
    out.push(b';');
    r.string()?; // host key algorithms
    for i in 0..6 {
        let s = r.string()?;
        // Client lists are the even ones (client to server), server lists the odd.
        if (i % 2 == 1) == server {
            out.extend_from_slice(s);
            if i < 4 {
                out.push(b';');
            }
        }
    }
    (out.len() <= MAX_HASSH_INPUT).then_some(out)
}

fn base64(d: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(d)
}

impl Ssh {
    /// Parses the complete records buffered for direction `dir`.
    fn records(&mut self, cx: &mut Cx, s: &mut Session, dir: usize) {
        let reg = &cx.shared.fields;
        while self.buf[dir].len() > 6 {
            let b = &self.buf[dir];
            let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            if !(2..=MAX_SSH_BUFFER - 4).contains(&len) {
                self.done = true;
                return;
            }
            if len > b.len() - 4 {
                return;
            }
            let code = b[5];
            let body = &b[6..4 + len];
            if code == 20 {
                if let Some(input) = hassh_input(body, dir == 1) {
                    let id = if dir == 1 {
                        self.ids.hassh_server
                    } else {
                        self.ids.hassh
                    };
                    s.fields.string_add(reg, id, &hex(&Md5::digest(&input)));
                }
            } else if code == 33 {
                self.done = true;
                if let Some(klen) = body
                    .get(..4)
                    .map(|k| u32::from_be_bytes([k[0], k[1], k[2], k[3]]) as usize)
                {
                    if len >= 6 && klen <= len - 6 {
                        if let Some(key) = body.get(4..4 + klen) {
                            s.fields.string_add(reg, self.ids.key, &base64(key));
                        }
                    }
                }
                return;
            }
            self.buf[dir].drain(..4 + len);
        }
    }
}

impl Parser for Ssh {
    fn name(&self) -> &'static str {
        "ssh"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize) -> Parsed {
        let dir = dir & 1;
        self.packets[dir] += 1;
        if !self.done_rs && self.packets[dir] > 5 {
            if data.len() < 50 {
                self.counts[dir][0] += 1;
            } else if data.len() < 100 {
                self.counts[dir][1] += 1;
            }
            if self.packets[dir] > 15 {
                let c = self.counts;
                if c[0][1] > c[0][0] && c[1][1] > c[1][0] {
                    cx.add_tag(s, "ssh-reverse-shell");
                }
                self.done_rs = true;
                return Parsed::Done(0);
            }
        }
        if self.done {
            return Parsed::Done(0);
        }
        if data.len() > 3 && data.starts_with(b"SSH") {
            if let Some(nl) = data[3..].iter().position(|&c| c == b'\n').map(|p| p + 3) {
                let end = if data[nl - 1] == b'\r' { nl - 1 } else { nl };
                let v = String::from_utf8_lossy(&data[..end]).to_lowercase();
                s.fields.string_add(&cx.shared.fields, self.ids.ver, &v);
            }
            return Parsed::Done(0);
        }
        let room = MAX_SSH_BUFFER - self.buf[dir].len();
        self.buf[dir].extend_from_slice(&data[..data.len().min(room)]);
        self.records(cx, s, dir);
        Parsed::Done(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, ids: Ids) {
    if cx.has_protocol(s, "ssh") {
        return;
    }
    cx.add_protocol(s, "ssh");
    register_parser(
        s,
        Box::new(Ssh {
            ids,
            buf: [Vec::new(), Vec::new()],
            packets: [0; 2],
            counts: [[0; 2]; 2],
            done: false,
            done_rs: false,
        }),
    );
}

const SSH: FieldSpec = FieldSpec::new("ssh", FieldType::StrHash).flags(Flags::CNT);

/// The SSH fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 4] = [
    SSH.named("ssh.ver", "ssh.version", Kind::LoTermField)
        .text("Version", "SSH Software Version"),
    SSH.named("ssh.key", "ssh.key", Kind::TermField)
        .text("Key", "SSH Key"),
    SSH.named("ssh.hassh", "ssh.hassh", Kind::LoTermField)
        .text("HASSH", "SSH HASSH field"),
    SSH.named("ssh.hasshServer", "ssh.hasshServer", Kind::LoTermField)
        .text("HASSH Server", "SSH HASSH Server field"),
];

/// Registers the SSH fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [ver, key, hassh, hassh_server] = f.define_all(&FIELDS);
    let ids = Ids {
        ver,
        key,
        hassh,
        hassh_server,
    };
    c.register_tcp("ssh", 0, 0, b"SSH", move |cx, s, _, _, _| {
        classify(cx, s, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(v: &mut Vec<u8>, s: &[u8]) {
        v.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v.extend_from_slice(s);
    }

    /// A KEXINIT payload (after the message code) with the given lists.
    fn kexinit(lists: [&[u8]; 10]) -> Vec<u8> {
        let mut v = vec![7u8; 16];
        for l in lists {
            string(&mut v, l);
        }
        v.extend_from_slice(&[0, 0, 0, 0, 0]);
        v
    }

    #[test]
    fn hassh_inputs_of_each_side() {
        let k = kexinit([
            b"kex1,kex2",
            b"ssh-rsa",
            b"aes128-ctr",
            b"aes256-ctr",
            b"hmac-sha1",
            b"hmac-md5",
            b"none",
            b"zlib",
            b"",
            b"",
        ]);
        assert_eq!(
            hassh_input(&k, false).unwrap(),
            b"kex1,kex2;aes128-ctr;hmac-sha1;none".to_vec()
        );
        assert_eq!(
            hassh_input(&k, true).unwrap(),
            b"kex1,kex2;aes256-ctr;hmac-md5;zlib".to_vec()
        );
        // Every truncation point is None, not a panic.
        for n in 0..k.len() - 13 {
            assert!(hassh_input(&k[..n], false).is_none(), "cut at {n}");
        }
        // A length past the end.
        let mut bad = vec![0u8; 16];
        bad.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(hassh_input(&bad, true).is_none());
    }
}
