//! Oracle TNS (Arkime's oracle.c): a client CONNECT packet names the host, user and
//! service in its connect data (`(HOST=…)(USER=…)(SERVICE_NAME=…)`).

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::Classifiers;
use trawl_session::{Cx, Dir, Session};

#[derive(Clone, Copy, Debug)]
struct Ids {
    user: FieldId,
    host: FieldId,
    service: FieldId,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The lower-cased value after `key` up to the next `)` in the connect data, if any
/// and not empty. The connect data stops at a NUL, as C string search does.
pub fn item(connect: &[u8], key: &[u8]) -> Option<String> {
    let connect = &connect[..connect
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(connect.len())];
    let at = find(connect, key)?;
    let rest = &connect[at..];
    let close = find(rest, b")")?;
    let v = rest.get(key.len()..close)?;
    (!v.is_empty()).then(|| String::from_utf8_lossy(v).to_ascii_lowercase())
}

/// The connect data of a TNS CONNECT packet, or None if `data` is not one.
pub fn connect_data(data: &[u8]) -> Option<&[u8]> {
    if data.len() <= 27 || data.len() != usize::from(u16::from_be_bytes([data[0], data[1]])) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([data[24], data[25]]));
    let off = usize::from(u16::from_be_bytes([data[26], data[27]]));
    (len + off == data.len()).then(|| &data[off..])
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, ids: Ids) {
    if dir != Dir::Src {
        return;
    }
    let Some(cd) = connect_data(data) else { return };
    let reg = &cx.shared.fields;
    for (key, id) in [
        (&b"HOST="[..], ids.host),
        (b"USER=", ids.user),
        (b"SERVICE_NAME=", ids.service),
    ] {
        if let Some(v) = item(cd, key) {
            s.fields.string_add(reg, id, &v);
        }
    }
    cx.add_protocol(s, "oracle");
}

const ORACLE: FieldSpec = FieldSpec::new("oracle", FieldType::Str).flags(Flags::LINKED_SESSIONS);

/// The Oracle fields: user, host, the viewer-only host tokens, service.
pub const FIELDS: [FieldSpec; 4] = [
    ORACLE
        .named("oracle.user", "oracle.user", Kind::LoTermField)
        .text("User", "Oracle User")
        .category("user"),
    ORACLE
        .named("oracle.host", "oracle.host", Kind::LoTermField)
        .text("Oracle Host", "Oracle Host")
        .category("host"),
    ORACLE
        .named("oracle.host.tokens", "oracle.hostTokens", Kind::LoTextField)
        .text("Hostname Tokens", "Oracle Hostname Tokens")
        .flags(Flags::FAKE),
    ORACLE
        .named("oracle.service", "oracle.service", Kind::LoTermField)
        .text("Service", "Oracle Service"),
];

/// Registers the Oracle fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [user, host, _host_tokens, service] = f.define_all(&FIELDS);
    let ids = Ids {
        user,
        host,
        service,
    };
    c.register_tcp(
        "oracle",
        0,
        2,
        b"\x00\x00\x01\x00\x00\x00",
        move |cx, s, d, dir, _| classify(cx, s, d, dir, ids),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_items() {
        let cd = b"(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME=ORCL)(CID=(PROGRAM=x)(HOST=Box1)(USER=Scott))))";
        assert_eq!(item(cd, b"HOST=").as_deref(), Some("box1"));
        assert_eq!(item(cd, b"USER=").as_deref(), Some("scott"));
        assert_eq!(item(cd, b"SERVICE_NAME=").as_deref(), Some("orcl"));
        assert_eq!(item(b"(HOST=)", b"HOST="), None, "empty");
        assert_eq!(item(b"(HOST=abc", b"HOST="), None, "no )");
        let mut pkt = vec![0u8; 34];
        pkt[1] = 34 + cd.len() as u8;
        pkt[2..8].copy_from_slice(&[0, 0, 1, 0, 0, 0]);
        pkt[25] = cd.len() as u8;
        pkt[27] = 34;
        pkt.extend_from_slice(cd);
        assert_eq!(connect_data(&pkt), Some(&cd[..]));
        for n in 0..pkt.len() {
            assert!(connect_data(&pkt[..n]).is_none(), "cut at {n}");
        }
    }
}
