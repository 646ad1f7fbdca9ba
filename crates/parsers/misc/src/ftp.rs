//! FTP (Arkime's ftp.c): on a stream that opens with a 220 greeting (not SMTP/LMTP),
//! the client's commands, user, file names and the `ftp:password` tag; the server's
//! response codes and first banner. A client HELO/EHLO/LHLO means it was mail after
//! all: what FTP added is taken back.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Longest line (without its newline) Arkime reads, and so the most bytes kept of an
/// unfinished one.
const LINE_MAX: usize = 4096;

#[derive(Clone, Copy, Debug)]
struct Ids {
    command: FieldId,
    filename: FieldId,
    code: FieldId,
    banner: FieldId,
    /// The core `user` field.
    user: Option<FieldId>,
}

/// What a client line says.
#[derive(Debug, PartialEq, Eq)]
pub enum Client<'a> {
    /// Not a command.
    Nothing,
    /// A mail greeting: this is not FTP.
    Mail,
    /// A command (upper-cased) and its trimmed argument.
    Command(String, &'a [u8]),
}

fn trim<'a>(mut s: &'a [u8], front: &[u8], back: &[u8]) -> &'a [u8] {
    while let Some((c, r)) = s.split_first() {
        if !front.contains(c) {
            break;
        }
        s = r;
    }
    while let Some((c, r)) = s.split_last() {
        if !back.contains(c) {
            break;
        }
        s = r;
    }
    s
}

/// Reads a client line (without its newline).
pub fn client_line(line: &[u8]) -> Client<'_> {
    let line = trim(line, b" \t", b"");
    if line.len() < 3 {
        return Client::Nothing;
    }
    let sp = line.iter().position(|&c| c == b' ');
    let cmd = &line[..sp.unwrap_or(line.len())];
    if !(3..=8).contains(&cmd.len()) || !cmd.iter().all(u8::is_ascii_alphabetic) {
        return Client::Nothing;
    }
    let cmd = String::from_utf8_lossy(cmd).to_ascii_uppercase();
    if matches!(cmd.as_str(), "HELO" | "EHLO" | "LHLO") {
        return Client::Mail;
    }
    let arg = sp.map_or(&b""[..], |p| trim(&line[p + 1..], b" \t", b"\r \t"));
    Client::Command(cmd, arg)
}

/// A server line's response code and, for 220, the banner text.
pub fn server_line(line: &[u8]) -> Option<(u32, &[u8])> {
    if line.len() < 4 || !line[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = line[..3]
        .iter()
        .fold(0u32, |a, c| a * 10 + u32::from(c - b'0'));
    Some((code, trim(&line[4..], b"- \t", b"\r \t-")))
}

#[derive(Debug)]
struct Ftp {
    ids: Ids,
    server: Dir,
    saw_banner: bool,
}

impl Ftp {
    /// Handles one complete line (without its newline); false when the stream turned
    /// out not to be FTP.
    fn line(&mut self, cx: &mut Cx, s: &mut Session, mut line: &[u8], dir: Dir) -> bool {
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if line.is_empty() {
            return true;
        }
        let reg = &cx.shared.fields;
        if dir == self.server {
            if let Some((code, banner)) = server_line(line) {
                s.fields.int_add(reg, self.ids.code, code);
                if !self.saw_banner && code == 220 && !banner.is_empty() {
                    s.fields
                        .string_add(reg, self.ids.banner, &String::from_utf8_lossy(banner));
                    self.saw_banner = true;
                }
            }
            return true;
        }
        match client_line(line) {
            Client::Nothing => {}
            Client::Mail => {
                for id in [
                    self.ids.banner,
                    self.ids.command,
                    self.ids.filename,
                    self.ids.code,
                ] {
                    s.fields.take(id);
                }
                s.fields.string_remove(cx.shared.core.protocols, "ftp");
                return false;
            }
            Client::Command(cmd, arg) => {
                s.fields.string_add(reg, self.ids.command, &cmd);
                if !arg.is_empty() {
                    let a = String::from_utf8_lossy(arg);
                    match cmd.as_str() {
                        "USER" => {
                            if let Some(u) = self.ids.user {
                                s.fields.string_add(reg, u, &a.to_lowercase());
                            }
                        }
                        "PASS" => cx.add_tag(s, "ftp:password"),
                        "RETR" | "STOR" | "STOU" | "APPE" | "DELE" | "RNFR" | "RNTO" | "MKD"
                        | "RMD" | "SIZE" | "MDTM" => {
                            s.fields.string_add(reg, self.ids.filename, &a);
                        }
                        _ => {}
                    }
                }
            }
        }
        true
    }
}

impl Parser for Ftp {
    fn name(&self) -> &'static str {
        "ftp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        // `data` starts with what is kept of an unfinished line. As in Arkime, a line
        // (or an unfinished one) longer than LINE_MAX ends the parse there, after the
        // whole lines before it.
        let mut at = 0;
        while at < data.len() {
            let rest = &data[at..];
            let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
                if rest.len() > LINE_MAX {
                    return Parsed::Error;
                }
                break;
            };
            if nl > LINE_MAX {
                return Parsed::Error;
            }
            if !self.line(cx, s, &rest[..nl], dir) {
                return Parsed::Error;
            }
            at += nl + 1;
        }
        Parsed::Incomplete {
            consumed: at,
            needed: 0,
        }
    }

    fn max_held(&self) -> usize {
        LINE_MAX
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, ids: Ids) {
    if cx.has_protocol(s, "ftp")
        || contains(data, b"LMTP")
        || contains(data, b"SMTP")
        || contains(data, b" TLS")
    {
        return;
    }
    cx.add_protocol(s, "ftp");
    register_parser(
        s,
        Box::new(Ftp {
            ids,
            server: dir,
            saw_banner: false,
        }),
    );
}

const FTP: FieldSpec = FieldSpec::new("ftp", FieldType::StrHash).flags(Flags::CNT);

/// The FTP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 4] = [
    FTP.named("ftp.command", "ftp.command", Kind::UpTermField)
        .text("Command", "FTP command"),
    FTP.named("ftp.filename", "ftp.filename", Kind::TermField)
        .text(
            "Filename",
            "FTP filename argument (RETR/STOR/DELE/RNFR/RNTO/MKD/RMD/SIZE/MDTM)",
        ),
    FTP.named("ftp.responseCode", "ftp.responseCode", Kind::Integer)
        .text("Response Code", "FTP response code")
        .ty(FieldType::IntGHash),
    FTP.named("ftp.banner", "ftp.banner", Kind::TermField)
        .text("Banner", "FTP server welcome banner"),
];

/// Registers the FTP fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [command, filename, code, banner] = f.define_all(&FIELDS);
    let ids = Ids {
        command,
        filename,
        code,
        banner,
        user: f.by_db("user"),
    };
    for p in [b"220 ", b"220-"] {
        c.register_tcp("ftp", 0, 0, p, move |cx, s, data, dir, _| {
            classify(cx, s, data, dir, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            client_line(b"  user Anonymous \r"),
            Client::Command("USER".into(), &b"Anonymous"[..])
        );
        assert_eq!(
            client_line(b"PASV"),
            Client::Command("PASV".into(), &b""[..])
        );
        assert_eq!(client_line(b"EHLO mail.example"), Client::Mail);
        assert_eq!(client_line(b"12 x"), Client::Nothing);
        assert_eq!(client_line(b"TOOLONGCMD x"), Client::Nothing);
        assert_eq!(
            server_line(b"220- Welcome to FTP -\r"),
            Some((220, &b"Welcome to FTP"[..]))
        );
        assert_eq!(
            server_line(b"331 Password required"),
            Some((331, &b"Password required"[..]))
        );
        assert_eq!(server_line(b"2x0 no"), None);
        assert_eq!(server_line(b"220"), None);
    }
}
