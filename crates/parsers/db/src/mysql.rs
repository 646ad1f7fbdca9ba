//! MySQL (Arkime's mysql.c): the server greeting's version, the client's login user,
//! and the switch to TLS when the client asks for it (the bytes that follow are
//! classified again, so TLS attaches).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{classify_tcp, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

#[derive(Clone, Copy, Debug)]
struct Ids {
    user: FieldId,
    version: FieldId,
}

fn printable(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// The version string of a server greeting (printable bytes from offset 5 to a NUL).
pub fn greeting_version(data: &[u8]) -> Option<&[u8]> {
    let rest = data.get(5..)?;
    let end = rest.iter().position(|&c| c == 0 || !printable(c))?;
    (rest[end] == 0 && end > 0).then(|| &rest[..end])
}

/// What a client's first packet says: the user (possibly empty) and whether it asks
/// for TLS; None if it is not a login packet.
pub fn login(data: &[u8]) -> Option<(&[u8], bool)> {
    if (data.len() < 35 && data.len() != 8) || data[1] != 0 || data[2] != 0 || data[3] > 2 {
        return None;
    }
    let mlen = usize::from(data[0]) | usize::from(data[1]) << 8 | usize::from(data[2]) << 16;
    if mlen < 32 || 4 + mlen > data.len() {
        return None;
    }
    let field = data.get(36..4 + mlen).unwrap_or(&[]);
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    if !field[..end].iter().all(|&c| printable(c)) {
        return None;
    }
    Some((&field[..end], data[5] & 0x08 != 0))
}

#[derive(Debug)]
struct Mysql {
    ids: Ids,
    version: String,
    ssl: bool,
}

impl Parser for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if dir != Dir::Src {
            return Parsed::Done(0);
        }
        if self.ssl {
            classify_tcp(cx, s, data, dir);
            return Parsed::Skip;
        }
        let Some((user, ssl)) = login(data) else {
            return Parsed::Skip;
        };
        cx.add_protocol(s, "mysql");
        let reg = &cx.shared.fields;
        s.fields.string_add(reg, self.ids.version, &self.version);
        if !user.is_empty() {
            let u = String::from_utf8_lossy(user).to_lowercase();
            s.fields.string_add(reg, self.ids.user, &u);
        }
        if ssl {
            self.ssl = true;
            Parsed::Done(0)
        } else {
            Parsed::Skip
        }
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, ids: Ids) {
    if dir != Dir::Dst || cx.has_protocol(s, "mysql") {
        return;
    }
    let Some(v) = greeting_version(data) else {
        return;
    };
    let version = String::from_utf8_lossy(v).into_owned();
    register_parser(
        s,
        Box::new(Mysql {
            ids,
            version,
            ssl: false,
        }),
    );
}

const MYSQL: FieldSpec = FieldSpec::new("mysql", FieldType::Str).flags(Flags::LINKED_SESSIONS);

/// The MySQL fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 2] = [
    MYSQL
        .named("mysql.user", "mysql.user", Kind::LoTermField)
        .text("User", "MySQL user name")
        .category("user"),
    MYSQL
        .named("mysql.ver", "mysql.version", Kind::TermField)
        .text("Version", "MySQL server version string"),
];

/// Registers the MySQL fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [user, version] = f.define_all(&FIELDS);
    let ids = Ids { user, version };
    c.register_tcp(
        "mysql",
        0,
        1,
        b"\x00\x00\x00\x0a",
        move |cx, s, d, dir, _| classify(cx, s, d, dir, ids),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_and_login() {
        let g = b"\x4a\x00\x00\x00\x0a5.7.31-log\x00\x08\x00\x00\x00";
        assert_eq!(greeting_version(g), Some(&b"5.7.31-log"[..]));
        assert_eq!(greeting_version(b"\x4a\x00\x00\x00\x0a\x00"), None, "empty");
        assert_eq!(greeting_version(b"\x4a\x00\x00\x00\x0a5.7"), None, "no NUL");
        let mut l = vec![0u8; 36];
        l.extend_from_slice(b"Root\x00rest");
        let n = l.len() - 4;
        l[0] = n as u8;
        l[3] = 1;
        l[5] = 0x08;
        let (user, ssl) = login(&l).unwrap();
        assert_eq!((user, ssl), (&b"Root"[..], true));
        l[5] = 0;
        assert!(!login(&l).unwrap().1);
        for cut in 0..l.len() {
            let _ = login(&l[..cut]);
        }
        assert!(login(&l[..30]).is_none());
    }
}
