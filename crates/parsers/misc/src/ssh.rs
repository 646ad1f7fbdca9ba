//! SSH (Arkime's ssh.c): the version banners, HASSH and HASSH server from each side's
//! KEXINIT, the server's host key, and the `ssh-reverse-shell` tag when, after the
//! first five chunks each way, mid-sized chunks outnumber small ones in both
//! directions.

use std::ops::ControlFlow;

use md5::{Digest, Md5};
use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_parser_common::text::hex;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

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

/// An SSH binary packet: a 4-byte length (padding length, payload and padding, at
/// least 2 and at most what Arkime's buffer holds), looked at once more than 6 bytes
/// are there.
const PACKET: LengthPrefix = LengthPrefix::be(0, 4).plus(4).range(6, MAX_SSH_BUFFER);

fn packet(b: &[u8]) -> Frame {
    if b.len() <= 6 {
        Frame::Partial { needed: 7 }
    } else {
        PACKET.frame(b)
    }
}

/// Per-session SSH state.
#[derive(Debug)]
struct Ssh {
    ids: Ids,
    /// Per direction, bytes of an unfinished packet the framework keeps for the
    /// parser (they come before each call's new bytes).
    kept: [usize; 2],
    /// Per direction, the start of an unfinished packet the parser keeps itself, only
    /// where Arkime's buffer drops bytes the framework would keep after it: the end
    /// of a segment past its MAX_SSH_BUFFER bytes, or a whole segment starting
    /// "SSH" (read as a banner, never buffered). Empty otherwise.
    carry: [Vec<u8>; 2],
    packets: [u32; 2],
    counts: [[u32; 2]; 2],
    done: bool,
    done_rs: bool,
}

/// The HASSH input of a KEXINIT payload (after the message code): key exchange,
/// then the client's (or, for the server, `server`) cipher, MAC and compression
/// lists, joined by `;`. None when the message is cut short.
pub fn hassh_input(payload: &[u8], server: bool) -> Option<Vec<u8>> {
    fn string<'a>(r: &mut Cursor<'a>) -> Option<&'a [u8]> {
        let n = r.be32() as usize;
        r.take(n)
    }
    let mut r = Cursor::new(payload);
    r.skip(16);
    let mut out = Vec::new();
    out.extend_from_slice(string(&mut r)?);
    out.push(b';');
    string(&mut r)?; // host key algorithms
    for i in 0..6 {
        let s = string(&mut r)?;
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
    /// Reads the whole packets at the front of `b`, the bytes Arkime's buffer holds
    /// for `dir`; returns how many bytes they take (the rest is an unfinished packet).
    fn packets(&mut self, cx: &mut Cx, s: &mut Session, b: &[u8], dir: Dir) -> usize {
        let reg = &cx.shared.fields;
        let ids = self.ids;
        let mut at = 0;
        let r = for_each_frame(b, packet, |p| {
            let len = p.len() - 4;
            let code = p[5];
            let body = &p[6..];
            if code == 20 {
                if let Some(input) = hassh_input(body, dir == Dir::Dst) {
                    let id = if dir == Dir::Dst {
                        ids.hassh_server
                    } else {
                        ids.hassh
                    };
                    s.fields.string_add(reg, id, &hex(&Md5::digest(&input)));
                }
            } else if code == 33 {
                let mut k = Cursor::new(body);
                let klen = k.be32() as usize;
                if !k.is_error() && len >= 6 && klen <= len - 6 {
                    if let Some(key) = k.take(klen) {
                        s.fields.string_add(reg, ids.key, &base64(key));
                    }
                }
                return ControlFlow::Break(Parsed::Skip);
            }
            at += p.len();
            ControlFlow::Continue(())
        });
        match r {
            Parsed::Incomplete { consumed, .. } => consumed,
            // A length out of range (encrypted packets), or the host key read.
            _ => {
                self.done = true;
                at
            }
        }
    }
}

impl Parser for Ssh {
    fn name(&self) -> &'static str {
        "ssh"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        // Arkime looks at each segment: the kept bytes come first.
        let kept = std::mem::take(&mut self.kept[dir]).min(data.len());
        let fresh = &data[kept..];
        self.packets[dir] += 1;
        if !self.done_rs && self.packets[dir] > 5 {
            if fresh.len() < 50 {
                self.counts[dir][0] += 1;
            } else if fresh.len() < 100 {
                self.counts[dir][1] += 1;
            }
            if self.packets[dir] > 15 {
                let c = self.counts;
                if c[0][1] > c[0][0] && c[1][1] > c[1][0] {
                    cx.add_tag(s, "ssh-reverse-shell");
                }
                self.done_rs = true;
                // The kept bytes stay kept (the segment is not buffered).
                return self.keep(dir, data, kept);
            }
        }
        if self.done {
            self.carry[dir] = Vec::new();
            return Parsed::Done(0);
        }
        if fresh.len() > 3 && fresh.starts_with(b"SSH") {
            if let Some(nl) = fresh[3..].iter().position(|&c| c == b'\n').map(|p| p + 3) {
                let end = if fresh[nl - 1] == b'\r' { nl - 1 } else { nl };
                let v = String::from_utf8_lossy(&fresh[..end]).to_lowercase();
                s.fields.string_add(&cx.shared.fields, self.ids.ver, &v);
            }
            return self.keep(dir, data, kept);
        }
        // Arkime's buffer takes what fits of the segment, and drops the rest.
        let room = MAX_SSH_BUFFER - (self.carry[dir].len() + kept);
        let fits = fresh.len().min(room);
        if self.carry[dir].is_empty() && fits == fresh.len() {
            let at = self.packets(cx, s, data, dir);
            self.kept[dir] = data.len() - at;
            return Parsed::Incomplete {
                consumed: at,
                needed: 0,
            };
        }
        let mut b = std::mem::take(&mut self.carry[dir]);
        b.extend_from_slice(&data[..kept + fits]);
        let at = self.packets(cx, s, &b, dir);
        if !self.done {
            b.drain(..at);
            self.carry[dir] = b;
        }
        Parsed::Done(0)
    }
}

impl Ssh {
    /// Ends a call whose segment is not buffered: the `kept` bytes at the front of
    /// `data` stay as they were, the rest is dropped.
    fn keep(&mut self, dir: Dir, data: &[u8], kept: usize) -> Parsed {
        if kept == data.len() {
            self.kept[dir] = kept;
            return Parsed::Incomplete {
                consumed: 0,
                needed: 0,
            };
        }
        self.carry[dir].extend_from_slice(&data[..kept]);
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
            kept: [0; 2],
            carry: [Vec::new(), Vec::new()],
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
