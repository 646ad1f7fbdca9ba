//! POP3 (Arkime's pop3.c): the user of a USER command, or the NTLM messages of an
//! AUTH NTLM exchange; then the parser is done.

use trawl_fields::{FieldId, FieldRegistry};
use trawl_parser_common::ntlm;
use trawl_parser_common::text::{latin1_lower, memcasestr};
use trawl_parser_common::value::is_space;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use crate::lines::{Lines, Stop, MAX_LINE};

/// The name of a client `USER <name>` line, blanks trimmed.
pub fn user_command(line: &[u8]) -> Option<&[u8]> {
    if line.len() <= 5 || !line[..5].eq_ignore_ascii_case(b"USER ") {
        return None;
    }
    let mut u = &line[5..];
    while u.first().is_some_and(|c| is_space(*c)) {
        u = &u[1..];
    }
    while u.last().is_some_and(|c| is_space(*c)) {
        u = &u[..u.len() - 1];
    }
    Some(u)
}

#[derive(Debug)]
struct Pop3 {
    lines: Lines,
    server: Dir,
    user: FieldId,
    in_ntlm_auth: bool,
    ntlm_count: u8,
    ntlm: ntlm::Ntlm,
}

impl Parser for Pop3 {
    fn name(&self) -> &'static str {
        "pop3"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let w = dir;
        let (server, user, ntlm) = (self.server, self.user, self.ntlm);
        let (mut in_ntlm, mut count) = (self.in_ntlm_auth, self.ntlm_count);
        let mut done = false;
        let r = self.lines.feed(w, data, |line| {
            if w != server && line.len() >= 9 && line[..9].eq_ignore_ascii_case(b"AUTH NTLM") {
                cx.add_tag(s, "pop3:authntlm");
                in_ntlm = true;
                if line.len() > 10 && line[9] == b' ' && ntlm.record_base64(cx, s, &line[10..]) {
                    count += 1;
                }
                return true;
            }
            if in_ntlm {
                let b = match line.strip_prefix(b"+ ") {
                    Some(b) if w == server && line.len() > 2 => b,
                    _ => line,
                };
                if ntlm.record_base64(cx, s, b) {
                    count += 1;
                    // The third message (the client's authenticate) ends it.
                    done = count >= 3;
                    return !done;
                }
            }
            if w != server {
                if let Some(u) = user_command(line) {
                    if !u.is_empty() {
                        s.fields
                            .string_add(&cx.shared.fields, user, &latin1_lower(u));
                    }
                    done = true;
                }
            }
            !done
        });
        self.in_ntlm_auth = in_ntlm;
        self.ntlm_count = count;
        match r {
            Ok(p) => p,
            Err(Stop::Asked) => Parsed::Skip,
            Err(Stop::TooLong) => {
                cx.add_tag(s, "pop3:line-too-long");
                Parsed::Skip
            }
        }
    }

    fn max_held(&self) -> usize {
        MAX_LINE
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, ntlm: ntlm::Ntlm) {
    if cx.has_protocol(s, "pop3") || data.len() < 8 || !data.starts_with(b"+OK ") {
        return;
    }
    if !memcasestr(&data[4..], b"pop") {
        return;
    }
    cx.add_protocol(s, "pop3");
    let user = cx
        .shared
        .fields
        .by_expression("user")
        .unwrap_or(FieldId::MAX);
    register_parser(
        s,
        Box::new(Pop3 {
            lines: Lines::default(),
            server: dir,
            user,
            in_ntlm_auth: false,
            ntlm_count: 0,
            ntlm,
        }),
    );
}

/// Registers the POP3 classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let ntlm = ntlm::fields(f);
    c.register_tcp("pop3", 0, 0, b"+OK ", move |cx, s, data, dir, _| {
        classify(cx, s, data, dir, ntlm)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_lines() {
        assert_eq!(user_command(b"USER  Alice \t"), Some(&b"Alice"[..]));
        assert_eq!(user_command(b"user bob"), Some(&b"bob"[..]));
        assert_eq!(user_command(b"USER "), None);
        assert_eq!(user_command(b"PASS x"), None);
    }
}
