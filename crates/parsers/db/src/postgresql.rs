//! PostgreSQL (Arkime's postgresql.c): the protocol, and the user, database and
//! application name of the startup message (after an SSLRequest or without one).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// The SSLRequest message: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

#[derive(Clone, Copy, Debug)]
struct Ids {
    user: FieldId,
    db: FieldId,
    app: FieldId,
}

/// The key/value pairs of a version-3 startup message, or None when `data` is not one.
pub fn startup_params(data: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let plen = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    if plen > data.len() || plen < 16 {
        return None;
    }
    let body = &data[4..plen];
    let version = u32::from_be_bytes(body.get(..4)?.try_into().ok()?);
    if version >> 16 != 3 {
        return None;
    }
    let mut rest = &body[4..];
    let mut out = Vec::new();
    while rest.len() > 1 && rest[0] != 0 {
        let k_end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        let key = &rest[..k_end];
        let Some(after) = rest.get(k_end + 1..) else {
            break;
        };
        rest = after;
        let v_end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        let value = &rest[..v_end];
        let Some(after) = rest.get(v_end + 1..) else {
            break;
        };
        rest = after;
        out.push((key, value));
    }
    Some(out)
}

#[derive(Debug)]
struct Pg {
    ids: Ids,
    dir: Dir,
}

impl Parser for Pg {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if dir != self.dir {
            return Parsed::Done(0);
        }
        if data == SSL_REQUEST {
            cx.add_protocol(s, "postgresql");
            return Parsed::Done(0);
        }
        if let Some(params) = startup_params(data) {
            let reg = &cx.shared.fields;
            for (k, v) in params {
                let v = String::from_utf8_lossy(v);
                match k {
                    b"user" => {
                        s.fields.string_add(reg, self.ids.user, &v);
                        cx.add_protocol(s, "postgresql");
                    }
                    b"database" => {
                        s.fields.string_add(reg, self.ids.db, &v);
                    }
                    b"application_name" => {
                        s.fields.string_add(reg, self.ids.app, &v);
                    }
                    _ => {}
                }
            }
        }
        Parsed::Skip
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, ids: Ids) {
    if cx.has_protocol(s, "postgresql") {
        return;
    }
    let ssl = data.len() == 8 && data[3..] == SSL_REQUEST[3..];
    let startup = data.len() > 8 && data[4] == 0 && data[5] == 3 && data[6] == 0 && {
        let plen = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
        (16..=data.len()).contains(&plen)
    };
    if !(ssl || startup) {
        return;
    }
    register_parser(s, Box::new(Pg { ids, dir }));
}

const PG: FieldSpec = FieldSpec::new("postgresql", FieldType::Str).flags(Flags::LINKED_SESSIONS);

/// The PostgreSQL fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 3] = [
    PG.named("postgresql.user", "postgresql.user", Kind::TermField)
        .text("User", "PostgreSQL user name")
        .category("user"),
    PG.named("postgresql.db", "postgresql.db", Kind::TermField)
        .text("Database", "PostgreSQL database"),
    PG.named("postgresql.app", "postgresql.app", Kind::TermField)
        .text("Application", "PostgreSQL application"),
];

/// Registers the PostgreSQL fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [user, db, app] = f.define_all(&FIELDS);
    let ids = Ids { user, db, app };
    c.register_tcp(
        "postgresql",
        0,
        0,
        b"\x00\x00\x00",
        move |cx, s, d, dir, _| classify(cx, s, d, dir, ids),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup(pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0, 0, 3, 0, 0];
        for (k, v) in pairs {
            b.extend_from_slice(k.as_bytes());
            b.push(0);
            b.extend_from_slice(v.as_bytes());
            b.push(0);
        }
        b.push(0);
        let n = b.len() as u32;
        b[..4].copy_from_slice(&n.to_be_bytes());
        b
    }

    #[test]
    fn startup_message_params() {
        let m = startup(&[
            ("user", "bob"),
            ("database", "shop"),
            ("application_name", "psql"),
        ]);
        let p = startup_params(&m).unwrap();
        assert_eq!(p[0], (&b"user"[..], &b"bob"[..]));
        assert_eq!(p[2], (&b"application_name"[..], &b"psql"[..]));
        let mut v2 = m.clone();
        v2[5] = 2;
        assert!(startup_params(&v2).is_none(), "protocol 2");
        for n in 0..m.len() {
            // Cut short: the declared length no longer fits, so it is not parsed.
            assert!(startup_params(&m[..n]).is_none(), "cut at {n}");
        }
        // A message whose last value has no terminator stops there, without panic.
        let mut odd = startup(&[("user", "bob")]);
        let l = odd.len();
        odd.truncate(l - 2);
        let n = odd.len() as u32;
        odd[..4].copy_from_slice(&n.to_be_bytes());
        assert!(startup_params(&odd).is_some());
    }
}
