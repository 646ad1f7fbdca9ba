//! Kerberos 5 (Arkime's krb5.c): over UDP or TCP (4-byte record lengths), the realm,
//! client and service names and encryption types of AS/TGS requests, and the error
//! code, realm and names of KRB-ERRORs.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use trawl_parser_common::ber::{as_int, as_string, sequence, tlv};
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};

/// Most bytes kept per direction on TCP.
const MAX_BUF: usize = 8192;

/// A TCP record (RFC 4120 §7.2.2): a 4-byte big-endian length, then the message; a
/// whole record over [`MAX_BUF`] is not parsed.
const RECORD: LengthPrefix = LengthPrefix::be(0, 4).plus(4).range(0, MAX_BUF);

/// The record at the front of `b`; the length's high bit is reserved (checked, as in
/// Arkime, once the whole length is there).
fn record(b: &[u8]) -> Frame {
    match b {
        [x, _, _, _, ..] if x & 0x80 != 0 => Frame::Bad,
        _ => RECORD.frame(b),
    }
}

#[derive(Clone, Copy, Debug)]
struct Ids {
    realm: FieldId,
    cname: FieldId,
    sname: FieldId,
    etype: FieldId,
    error: FieldId,
}

fn etype_name(n: u32) -> Option<&'static str> {
    Some(match n {
        1 => "des-cbc-crc",
        2 => "des-cbc-md4",
        3 => "des-cbc-md5",
        5 => "des3-cbc-md5",
        7 => "des3-cbc-sha1",
        16 => "des3-cbc-sha1-kd",
        17 => "aes128-cts-hmac-sha1-96",
        18 => "aes256-cts-hmac-sha1-96",
        19 => "aes128-cts-hmac-sha256-128",
        20 => "aes256-cts-hmac-sha384-192",
        23 => "rc4-hmac",
        24 => "rc4-hmac-exp",
        25 => "camellia128-cts-cmac",
        26 => "camellia256-cts-cmac",
        _ => return None,
    })
}

const ERRORS: [(u32, &str); 68] = [
    (0, "KDC_ERR_NONE"),
    (1, "KDC_ERR_NAME_EXP"),
    (2, "KDC_ERR_SERVICE_EXP"),
    (3, "KDC_ERR_BAD_PVNO"),
    (4, "KDC_ERR_C_OLD_MAST_KVNO"),
    (5, "KDC_ERR_S_OLD_MAST_KVNO"),
    (6, "KDC_ERR_C_PRINCIPAL_UNKNOWN"),
    (7, "KDC_ERR_S_PRINCIPAL_UNKNOWN"),
    (8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE"),
    (9, "KDC_ERR_NULL_KEY"),
    (10, "KDC_ERR_CANNOT_POSTDATE"),
    (11, "KDC_ERR_NEVER_VALID"),
    (12, "KDC_ERR_POLICY"),
    (13, "KDC_ERR_BADOPTION"),
    (14, "KDC_ERR_ETYPE_NOSUPP"),
    (15, "KDC_ERR_SUMTYPE_NOSUPP"),
    (16, "KDC_ERR_PADATA_TYPE_NOSUPP"),
    (17, "KDC_ERR_TRTYPE_NOSUPP"),
    (18, "KDC_ERR_CLIENT_REVOKED"),
    (19, "KDC_ERR_SERVICE_REVOKED"),
    (20, "KDC_ERR_TGT_REVOKED"),
    (21, "KDC_ERR_CLIENT_NOTYET"),
    (22, "KDC_ERR_SERVICE_NOTYET"),
    (23, "KDC_ERR_KEY_EXPIRED"),
    (24, "KDC_ERR_PREAUTH_FAILED"),
    (25, "KDC_ERR_PREAUTH_REQUIRED"),
    (26, "KDC_ERR_SERVER_NOMATCH"),
    (27, "KDC_ERR_MUST_USE_USER2USER"),
    (28, "KDC_ERR_PATH_NOT_ACCEPTED"),
    (29, "KDC_ERR_SVC_UNAVAILABLE"),
    (31, "KRB_AP_ERR_BAD_INTEGRITY"),
    (32, "KRB_AP_ERR_TKT_EXPIRED"),
    (33, "KRB_AP_ERR_TKT_NYV"),
    (34, "KRB_AP_ERR_REPEAT"),
    (35, "KRB_AP_ERR_NOT_US"),
    (36, "KRB_AP_ERR_BADMATCH"),
    (37, "KRB_AP_ERR_SKEW"),
    (38, "KRB_AP_ERR_BADADDR"),
    (39, "KRB_AP_ERR_BADVERSION"),
    (40, "KRB_AP_ERR_MSG_TYPE"),
    (41, "KRB_AP_ERR_MODIFIED"),
    (42, "KRB_AP_ERR_BADORDER"),
    (44, "KRB_AP_ERR_BADKEYVER"),
    (45, "KRB_AP_ERR_NOKEY"),
    (46, "KRB_AP_ERR_MUT_FAIL"),
    (47, "KRB_AP_ERR_BADDIRECTION"),
    (48, "KRB_AP_ERR_METHOD"),
    (49, "KRB_AP_ERR_BADSEQ"),
    (50, "KRB_AP_ERR_INAPP_CKSUM"),
    (51, "KRB_AP_PATH_NOT_ACCEPTED"),
    (52, "KRB_ERR_RESPONSE_TOO_BIG"),
    (60, "KRB_ERR_GENERIC"),
    (61, "KRB_ERR_FIELD_TOOLONG"),
    (62, "KDC_ERROR_CLIENT_NOT_TRUSTED"),
    (63, "KDC_ERROR_KDC_NOT_TRUSTED"),
    (64, "KDC_ERROR_INVALID_SIG"),
    (65, "KDC_ERR_KEY_TOO_WEAK"),
    (66, "KDC_ERR_CERTIFICATE_MISMATCH"),
    (67, "KRB_AP_ERR_NO_TGT"),
    (68, "KDC_ERR_WRONG_REALM"),
    (69, "KRB_AP_ERR_USER_TO_USER_REQUIRED"),
    (70, "KDC_ERR_CANT_VERIFY_CERTIFICATE"),
    (71, "KDC_ERR_INVALID_CERTIFICATE"),
    (72, "KDC_ERR_REVOKED_CERTIFICATE"),
    (73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN"),
    (74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE"),
    (75, "KDC_ERR_CLIENT_NAME_MISMATCH"),
    (76, "KDC_ERR_KDC_NAME_MISMATCH"),
];

/// What a message adds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Krb5 {
    /// The message is Kerberos (adds the protocol).
    pub krb5: bool,
    /// Realms.
    pub realms: Vec<String>,
    /// Client names.
    pub cnames: Vec<String>,
    /// Service names.
    pub snames: Vec<String>,
    /// Encryption type names.
    pub etypes: Vec<&'static str>,
    /// Error name.
    pub error: Option<&'static str>,
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// A PrincipalName: one name, or the first two joined by `/`.
fn principal(d: &[u8]) -> Option<String> {
    let s = sequence(d, 2, true);
    if s.len() < 2 || s[1].1 != 1 {
        return None;
    }
    let names = sequence(s[1].2, 2, true);
    match names.as_slice() {
        [a] => as_string(a).filter(|v| !v.is_empty()).map(text),
        [a, b] => {
            let (a, b) = (as_string(a)?, as_string(b)?);
            let mut j = format!("{}/{}", text(a), text(b));
            j.truncate(254);
            Some(j)
        }
        _ => None,
    }
}

fn req_body(d: &[u8], k: &mut Krb5) {
    let s = sequence(d, 12, true);
    if s.len() < 2 {
        return;
    }
    for t in &s {
        match t.1 {
            1 => k.cnames.extend(principal(t.2)),
            2 => k
                .realms
                .extend(as_string(t).filter(|v| !v.is_empty()).map(text)),
            3 => k.snames.extend(principal(t.2)),
            8 => {
                for e in sequence(t.2, 20, true) {
                    if let Some(n) = as_int(&e).and_then(etype_name) {
                        k.etypes.push(n);
                    }
                }
            }
            _ => {}
        }
    }
}

fn req(d: &[u8], k: &mut Krb5) {
    let s = sequence(d, 5, true);
    if s.len() < 3 || s[0].2.is_empty() || s[1].2.is_empty() {
        return;
    }
    if !s[0].0 || s[0].1 != 1 || s[0].2.last() != Some(&5) {
        return;
    }
    let ty = s[1].2.last().copied().unwrap_or(0);
    if !s[1].0 || s[1].1 != 2 || !(ty == 10 || ty == 12) {
        return;
    }
    k.krb5 = true;
    if s[2].0 && s[2].1 == 4 {
        req_body(s[2].2, k);
    } else if s.len() == 4 && s[3].0 && s[3].1 == 4 {
        req_body(s[3].2, k);
    }
}

fn error(d: &[u8], k: &mut Krb5) {
    let s = sequence(d, 13, true);
    if s.len() < 2 {
        return;
    }
    k.krb5 = true;
    for t in &s {
        match t.1 {
            6 => {
                if let Some(code) = as_int(t) {
                    k.error = ERRORS.iter().find(|e| e.0 == code).map(|e| e.1);
                }
            }
            7 | 9 => k
                .realms
                .extend(as_string(t).filter(|v| !v.is_empty()).map(text)),
            8 => k.cnames.extend(principal(t.2)),
            10 => k.snames.extend(principal(t.2)),
            _ => {}
        }
    }
}

/// Reads one Kerberos message (no TCP record length).
pub fn message(d: &[u8]) -> Krb5 {
    let mut k = Krb5::default();
    let mut b = d;
    let Some((true, ty, v)) = tlv(&mut b) else {
        return k;
    };
    match ty {
        10 | 12 => req(v, &mut k),
        11 | 13 => k.krb5 = true,
        30 => error(v, &mut k),
        _ => {}
    }
    k
}

#[derive(Debug)]
struct Krb {
    ids: Ids,
    tcp: bool,
}

impl Krb {
    fn add(&self, cx: &mut Cx, s: &mut Session, k: &Krb5) {
        if k.krb5 {
            cx.add_protocol(s, "krb5");
        }
        let reg = &cx.shared.fields;
        for (list, id) in [
            (&k.realms, self.ids.realm),
            (&k.cnames, self.ids.cname),
            (&k.snames, self.ids.sname),
        ] {
            for v in list {
                s.fields.string_add(reg, id, v);
            }
        }
        for e in &k.etypes {
            s.fields.string_add(reg, self.ids.etype, e);
        }
        if let Some(e) = k.error.filter(|e| !e.is_empty()) {
            s.fields.string_add(reg, self.ids.error, e);
        }
    }
}

impl Parser for Krb {
    fn name(&self) -> &'static str {
        "krb5"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if !self.tcp {
            let k = message(data);
            self.add(cx, s, &k);
            return Parsed::Done(0);
        }
        // Arkime's buffer refuses bytes beyond its cap, before any record is read:
        // more than MAX_BUF held and new bytes together ends the parser.
        if data.len() > MAX_BUF {
            cx.add_tag(s, "krb5:record-too-long");
            return Parsed::Skip;
        }
        // As in Arkime, one record per call: those after it wait for the next bytes.
        let r = for_each_frame(data, record, |msg| {
            let k = message(&msg[4..]);
            self.add(cx, s, &k);
            ControlFlow::Break(Parsed::Incomplete {
                consumed: msg.len(),
                needed: 0,
            })
        });
        if r == Parsed::Error {
            cx.add_tag(s, "krb5:record-too-long");
        }
        r
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn attach(s: &mut Session, ids: Ids, tcp: bool) {
    register_parser(s, Box::new(Krb { ids, tcp }));
}

fn classify_udp(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "krb5") {
        return;
    }
    let mut b = d;
    if let Some((true, tag, v)) = tlv(&mut b) {
        // The element's length is cut to the datagram, so it always fits.
        if matches!(tag, 10 | 12 | 30) && d.len() >= v.len() {
            attach(s, ids, false);
        }
    }
}

fn classify_tcp(s: &mut Session, d: &[u8], ids: Ids) {
    if d.len() < 5 || d[0] != 0 || d[1] != 0 || !matches!(d[4], 0x6a | 0x6b | 0x6c | 0x6d | 0x7e) {
        return;
    }
    attach(s, ids, true);
}

const KRB5: FieldSpec = FieldSpec::new("krb5", FieldType::StrGHash).flags(Flags::CNT);

/// The Kerberos fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 5] = [
    KRB5.named("krb5.realm", "krb5.realm", Kind::TermField)
        .text("Realm", "Kerberos 5 Realm"),
    KRB5.named("krb5.cname", "krb5.cname", Kind::TermField)
        .text("cname", "Kerberos 5 cname"),
    KRB5.named("krb5.sname", "krb5.sname", Kind::TermField)
        .text("sname", "Kerberos 5 sname"),
    KRB5.named("krb5.etype", "krb5.etype", Kind::TermField)
        .text("Encryption Type", "Kerberos 5 encryption type"),
    KRB5.named("krb5.error", "krb5.error", Kind::TermField)
        .text("Error Code", "Kerberos 5 error code"),
];

/// Registers the Kerberos fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [realm, cname, sname, etype, error] = f.define_all(&FIELDS);
    let ids = Ids {
        realm,
        cname,
        sname,
        etype,
        error,
    };
    let pvno = b"\x03\x02\x01\x05";
    for offset in [7, 9] {
        c.register_udp("krb5", 0, offset, pvno, move |cx, s, d, _, _| {
            classify_udp(cx, s, d, ids)
        });
    }
    for offset in [11, 13] {
        c.register_tcp("krb5", 0, offset, pvno, move |_, s, d, _, _| {
            classify_tcp(s, d, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use trawl_parser_common::ber::encode as el;

    #[test]
    fn as_request() {
        // PrincipalName { name-type [0] 1, name-string [1] SEQUENCE { "krbtgt", "EX.COM" } }
        let names = el(0x30, &[el(0x1b, b"krbtgt"), el(0x1b, b"EX.COM")].concat());
        let sname = el(
            0x30,
            &[el(0xa0, &el(0x02, &[2])), el(0xa1, &names)].concat(),
        );
        let cname_names = el(0x30, &el(0x1b, b"alice"));
        let cname = el(
            0x30,
            &[el(0xa0, &el(0x02, &[1])), el(0xa1, &cname_names)].concat(),
        );
        let etypes = el(0x30, &[el(0x02, &[18]), el(0x02, &[23])].concat());
        let body = el(
            0x30,
            &[
                el(0xa0, &el(0x03, &[0, 0x40, 0, 0, 0x10])),
                el(0xa1, &cname),
                el(0xa2, &el(0x1b, b"EX.COM")),
                el(0xa3, &sname),
                el(0xa8, &etypes),
            ]
            .concat(),
        );
        let req = el(
            0x30,
            &[
                el(0xa1, &el(0x02, &[5])),
                el(0xa2, &el(0x02, &[10])),
                el(0xa4, &body),
            ]
            .concat(),
        );
        let msg = el(0x6a, &req);
        let k = message(&msg);
        assert!(k.krb5);
        assert_eq!(k.realms, vec!["EX.COM".to_string()]);
        assert_eq!(k.cnames, vec!["alice".to_string()]);
        assert_eq!(k.snames, vec!["krbtgt/EX.COM".to_string()]);
        assert_eq!(k.etypes, vec!["aes256-cts-hmac-sha1-96", "rc4-hmac"]);
        for n in 0..msg.len() {
            let _ = message(&msg[..n]);
        }
    }
}
