//! IRC (Arkime's irc.c): channels joined and nicknames set by the client, read from
//! the start of each line the client sends.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

#[derive(Clone, Copy, Debug)]
struct Ids {
    nick: FieldId,
    channel: FieldId,
}

/// What one run of client bytes holds.
#[derive(Debug, Default, PartialEq)]
pub struct Found<'a> {
    /// `JOIN` targets.
    pub channels: Vec<&'a [u8]>,
    /// `NICK` arguments.
    pub nicks: Vec<&'a [u8]>,
}

/// Reads client bytes; `mid_line` carries over whether the previous run ended inside a
/// line (whose rest is skipped).
pub fn scan<'a>(mut b: &'a [u8], mid_line: &mut bool) -> Found<'a> {
    let mut found = Found::default();
    let token = |b: &'a [u8]| -> (&'a [u8], &'a [u8]) {
        let end = b
            .iter()
            .position(|&c| c == b' ' || c == b'\r' || c == b'\n')
            .unwrap_or(b.len());
        (&b[..end], &b[end..])
    };
    while !b.is_empty() {
        if *mid_line {
            let Some(nl) = b.iter().position(|&c| c == b'\n') else {
                return found;
            };
            *mid_line = false;
            b = &b[nl + 1..];
            // Some clients send NULs after a newline.
            while b.first() == Some(&0) {
                b = &b[1..];
            }
        }
        if b.len() > 6 && b.starts_with(b"JOIN ") {
            let (t, rest) = token(&b[5..]);
            if !t.is_empty() {
                found.channels.push(t);
            }
            b = rest;
        }
        if b.len() > 6 && b.starts_with(b"NICK ") {
            let (t, rest) = token(&b[5..]);
            if !t.is_empty() {
                found.nicks.push(t);
            }
            b = rest;
        }
        if !b.is_empty() {
            *mid_line = true;
        }
    }
    found
}

#[derive(Debug)]
struct Irc {
    ids: Ids,
    mid_line: bool,
}

impl Parser for Irc {
    fn name(&self) -> &'static str {
        "irc"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if dir == Dir::Dst {
            return Parsed::Done(0);
        }
        let f = scan(data, &mut self.mid_line);
        let reg = &cx.shared.fields;
        for c in f.channels {
            s.fields
                .string_add(reg, self.ids.channel, &String::from_utf8_lossy(c));
        }
        for n in f.nicks {
            s.fields
                .string_add(reg, self.ids.nick, &String::from_utf8_lossy(n));
        }
        Parsed::Done(0)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if data.len() < 8 {
        return;
    }
    if data[0] == b':' && !contains(data, b" NOTICE ") {
        return;
    }
    // A USER line needs NICK or +iw with it, so FTP logins are not taken for IRC.
    if data[0] == b'U' && !contains(data, b"\nNICK ") && !contains(data, b" +iw ") {
        return;
    }
    if cx.has_protocol(s, "irc") {
        return;
    }
    cx.add_protocol(s, "irc");
    register_parser(
        s,
        Box::new(Irc {
            ids,
            mid_line: false,
        }),
    );
}

const IRC: FieldSpec = FieldSpec::new("irc", FieldType::StrGHash).flags(Flags::CNT);

/// The IRC fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 2] = [
    IRC.named("irc.nick", "irc.nick", Kind::TermField)
        .text("Nickname", "Nicknames set")
        .category("user"),
    IRC.named("irc.channel", "irc.channel", Kind::TermField)
        .text("Channel", "Channels joined"),
];

/// Registers the IRC fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [nick, channel] = f.define_all(&FIELDS);
    let ids = Ids { nick, channel };
    for p in [&b":"[..], b"NOTICE AUTH", b"NICK ", b"USER ", b"CAP REQ "] {
        c.register_tcp("irc", 0, 0, p, move |cx, s, data, _, _| {
            classify(cx, s, data, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_runs() {
        let mut mid = false;
        let f = scan(b"NICK alice\r\nUSER a 0 * :A\r\nJOIN #rust\r\n", &mut mid);
        assert_eq!(f.nicks, vec![&b"alice"[..]]);
        assert_eq!(f.channels, vec![&b"#rust"[..]]);
        assert!(!mid);
        // A line split across runs: its rest is skipped, the next line is read.
        let f = scan(b"PRIVMSG #rust :hello th", &mut mid);
        assert!(f.nicks.is_empty() && mid);
        let f = scan(b"ere\r\n\x00\x00JOIN #go\r\n", &mut mid);
        assert_eq!(f.channels, vec![&b"#go"[..]]);
        // Short input and a bare keyword add nothing.
        let mut m2 = false;
        assert_eq!(scan(b"JOIN ", &mut m2), Found::default());
        for n in 0..40 {
            let mut m = n % 2 == 0;
            let _ = scan(
                &b"JOIN #a NICK b\nJOIN \nNICK\r\n\x00\x00"[..n.min(27)],
                &mut m,
            );
        }
    }
}
