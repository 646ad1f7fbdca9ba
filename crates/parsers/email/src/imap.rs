//! IMAP (Arkime's imap.c): the folders a client SELECTs or EXAMINEs, and the From,
//! To, Cc and Subject headers of messages the server returns in FETCH responses.

use trawl_fields::FieldRegistry;
use trawl_parser_common::ntlm;
use trawl_parser_common::text::{latin1, latin1_lower, memcasestr};
use trawl_parser_common::value::is_space;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::fields::{self, EmailIds};
use crate::lines::{Lines, MAX_LINE};

fn starts_ci(line: &[u8], p: &[u8]) -> bool {
    line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p)
}

/// The mailbox of a `<tag> SELECT|EXAMINE <mailbox>` command.
pub fn selected_folder(line: &[u8]) -> Option<&[u8]> {
    if line.len() <= 7 {
        return None;
    }
    let mut c = line.iter().position(|b| is_space(*b)).unwrap_or(line.len());
    while c < line.len() && is_space(line[c]) {
        c += 1;
    }
    let cmd = &line[c..];
    let skip = if starts_ci(cmd, b"SELECT ") {
        7
    } else if starts_ci(cmd, b"EXAMINE ") {
        8
    } else {
        return None;
    };
    let mut f = &cmd[skip..];
    while f.first().is_some_and(|b| is_space(*b)) {
        f = &f[1..];
    }
    let folder = if f.first() == Some(&b'"') {
        let r = &f[1..];
        &r[..r.iter().position(|&b| b == b'"').unwrap_or(r.len())]
    } else {
        let mut e = f.len();
        while e > 0 && is_space(f[e - 1]) {
            e -= 1;
        }
        &f[..e]
    };
    (!folder.is_empty()).then_some(folder)
}

#[derive(Debug)]
struct Imap {
    ids: EmailIds,
    lines: Lines,
    server: Dir,
    in_fetch: bool,
    in_headers: bool,
    in_ntlm_auth: bool,
    ntlm: ntlm::Ntlm,
}

impl Imap {
    fn line(&mut self, cx: &mut Cx, s: &mut Session, ids: &EmailIds, line: &[u8], w: Dir) {
        // "<tag> AUTHENTICATE NTLM [<base64>]" from the client.
        if w != self.server && line.len() > 16 {
            let mut c = line.iter().position(|b| is_space(*b)).unwrap_or(line.len());
            while c < line.len() && is_space(line[c]) {
                c += 1;
            }
            let cmd = &line[c..];
            if starts_ci(cmd, b"AUTHENTICATE NTLM") {
                self.in_ntlm_auth = true;
                if let Some(b64) = cmd[17..].strip_prefix(b" ") {
                    self.ntlm.record_base64(cx, s, b64);
                }
                return;
            }
        }
        if self.in_ntlm_auth {
            // The server's "+ <base64>" or the client's bare base64.
            let b = match line.strip_prefix(b"+ ") {
                Some(b) if w == self.server && line.len() > 2 => b,
                _ => line,
            };
            if self.ntlm.record_base64(cx, s, b) {
                return;
            }
        }
        let reg = &cx.shared.fields;
        if w == self.server {
            if line.len() > 6 && line.starts_with(b"* ") {
                if memcasestr(line, b"fetch") {
                    self.in_fetch = true;
                    self.in_headers = true;
                }
            } else if self.in_fetch && line.first() == Some(&b')') {
                self.in_fetch = false;
                self.in_headers = false;
            } else if self.in_fetch && self.in_headers {
                if line.is_empty() {
                    self.in_headers = false;
                } else if line.len() >= 3 {
                    let add = |s: &mut Session, id, v: &[u8]| {
                        for a in crate::smtp::addresses(v, true) {
                            s.fields.string_add(reg, id, &latin1_lower(a));
                        }
                    };
                    if line.len() > 5 && starts_ci(line, b"From:") {
                        add(s, ids.src, &line[5..]);
                    } else if line.len() > 3 && (starts_ci(line, b"To:") || starts_ci(line, b"Cc:"))
                    {
                        add(s, ids.dst, &line[3..]);
                    } else if line.len() > 8 && starts_ci(line, b"Subject:") {
                        let v = &line[8..];
                        let v = &v[v.iter().position(|c| !is_space(*c)).unwrap_or(v.len())..];
                        s.fields.string_add(
                            reg,
                            ids.subject,
                            &trawl_parser_common::text::utf8_or_latin1(v),
                        );
                    }
                }
            }
        } else if let Some(f) = selected_folder(line) {
            s.fields.string_add(reg, ids.folder, &latin1(f));
        }
    }
}

impl Parser for Imap {
    fn name(&self) -> &'static str {
        "imap"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let ids = self.ids;
        let w = dir;
        let mut lines = std::mem::take(&mut self.lines);
        let r = lines.feed(w, data, |line| {
            self.line(cx, s, &ids, line, w);
            true
        });
        self.lines = lines;
        r.unwrap_or_else(|_| {
            cx.add_tag(s, "imap:line-too-long");
            Parsed::Skip
        })
    }

    fn max_held(&self) -> usize {
        MAX_LINE
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, ids: EmailIds, ntlm: ntlm::Ntlm) {
    if cx.has_protocol(s, "imap") || data.len() < 10 || !data.starts_with(b"* OK ") {
        return;
    }
    if !memcasestr(&data[5..], b"imap") {
        return;
    }
    cx.add_protocol(s, "imap");
    register_parser(
        s,
        Box::new(Imap {
            ids,
            lines: Lines::default(),
            server: dir,
            in_fetch: false,
            in_headers: false,
            in_ntlm_auth: false,
            ntlm,
        }),
    );
}

/// Registers the IMAP fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, sha256: bool) {
    let ids = fields::define(f, sha256);
    let ntlm = ntlm::fields(f);
    c.register_tcp("imap", 0, 0, b"* OK ", move |cx, s, data, dir, _| {
        classify(cx, s, data, dir, ids, ntlm)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders() {
        assert_eq!(selected_folder(b"a1 SELECT INBOX"), Some(&b"INBOX"[..]));
        assert_eq!(
            selected_folder(b"a2 examine \"Sent Items\""),
            Some(&b"Sent Items"[..])
        );
        assert_eq!(selected_folder(b"a3 SELECT   x  "), Some(&b"x"[..]));
        assert_eq!(selected_folder(b"a4 FETCH 1"), None);
        assert_eq!(selected_folder(b"SELECT"), None);
    }
}
