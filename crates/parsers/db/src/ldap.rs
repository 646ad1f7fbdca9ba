//! LDAP (Arkime's ldap.c): each direction's messages are kept (up to 8 KiB, by the
//! framework) and read when 6000 bytes have arrived or the session is saved: the bind name and the
//! authentication type of bind requests; after an extended request or response
//! (StartTLS) the bytes that follow go to the parsers the session switched to (TLS).
//! NTLMSSP messages in binds and bind responses are decoded into the ntlm fields.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{
    classify_tcp, process_data, register_parser, Classifiers, Parsed, Parser,
};
use trawl_session::{Cx, Dir, Session};

use trawl_parser_common::ber::tlv;
use trawl_parser_common::ntlm;

/// Most bytes kept per direction.
const MAX_BUF: usize = 8192;
/// More bytes than this kept, a direction is read.
const READ_AT: usize = 6000;

#[derive(Clone, Copy, Debug)]
struct Ids {
    auth_type: FieldId,
    bind_name: FieldId,
    ntlm: ntlm::Ntlm,
}

/// One bind request: (bind name, auth type).
pub type Bind = (String, String);

/// What a direction's buffered messages say.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Messages<'a> {
    /// The bind requests.
    pub binds: Vec<Bind>,
    /// NTLMSSP messages inside binds (NTLM auth, SASL credentials) and bind
    /// responses (the matched DN, as Active Directory sends it, or SASL credentials).
    pub ntlm: Vec<&'a [u8]>,
    /// An extended request (23) or response (24), such as StartTLS, and where the
    /// bytes after it start: they belong to whatever the session switched to.
    pub handoff: Option<(u32, usize)>,
}

/// The bind requests among the messages of `buf`, read until one is not LDAP.
pub fn binds(buf: &[u8]) -> Vec<Bind> {
    messages(buf).binds
}

/// Reads the messages of `buf` until one is not LDAP or is an extended request.
pub fn messages(buf: &[u8]) -> Messages<'_> {
    let mut m_out = Messages::default();
    let out = &mut m_out.binds;
    let ntlm = &mut m_out.ntlm;
    let is_ntlm = |v: &[u8]| v.len() >= 8 && v.starts_with(b"NTLMSSP\0");
    let mut b = buf;
    while b.len() > 5 {
        let Some((_, _, msg)) = tlv(&mut b) else {
            break;
        };
        let mut m = msg;
        match tlv(&mut m) {
            Some((false, 2, _)) => {}
            _ => break,
        }
        let Some((true, op, body)) = tlv(&mut m) else {
            break;
        };
        if op > 25 {
            break;
        }
        if op == 23 || op == 24 {
            // Arkime hands on what follows an extended request and stops; after a
            // response the rest is not LDAP either, so reading stops there too.
            if !b.is_empty() {
                m_out.handoff = Some((op, buf.len() - b.len()));
            }
            break;
        }
        if op == 1 {
            // BindResponse: resultCode, matchedDN, diagnosticMessage, then optional
            // referral [3] or serverSaslCreds [7].
            let mut r = body;
            let _ = tlv(&mut r);
            if let Some((_, _, dn)) = tlv(&mut r) {
                if is_ntlm(dn) {
                    ntlm.push(dn);
                }
            }
            let _ = tlv(&mut r);
            while r.len() > 2 {
                let Some((_, t, v)) = tlv(&mut r) else {
                    break;
                };
                if t == 7 && is_ntlm(v) {
                    ntlm.push(v);
                    break;
                }
            }
            continue;
        }
        if op != 0 {
            continue;
        }
        let mut r = body;
        if tlv(&mut r).is_none() {
            continue;
        }
        let Some((_, _, name)) = tlv(&mut r) else {
            continue;
        };
        let name = if name.is_empty() {
            "<ROOT>".to_string()
        } else {
            String::from_utf8_lossy(name).into_owned()
        };
        let auth = match tlv(&mut r) {
            None => {
                out.push((name, String::new()));
                continue;
            }
            Some((_, 0, [])) => "none".to_string(),
            Some((_, 0, _)) => "simple".to_string(),
            Some((_, 3, v)) => {
                // SaslCredentials: mechanism, then credentials; NTLM sent directly.
                let mut c = v;
                if let Some((_, 4, _)) = tlv(&mut c) {
                    if let Some((_, 4, cred)) = tlv(&mut c) {
                        if is_ntlm(cred) {
                            ntlm.push(cred);
                        }
                    }
                }
                "sasl".to_string()
            }
            Some((_, 10, v)) => {
                ntlm.push(v);
                "ntlmsspNegotiate".to_string()
            }
            Some((_, 11, v)) => {
                ntlm.push(v);
                "ntlmsspAuth".to_string()
            }
            Some((_, t, _)) => t.to_string(),
        };
        out.push((name, auth));
    }
    m_out
}

/// The bytes the framework holds for the parser being saved, in direction `dir`. A
/// parser is out of its slot while its `save` runs, and `save` runs between passes
/// (after unregistered parsers' slots are gone), so its slot is the one without a
/// parser.
fn held_while_saving(s: &Session, dir: Dir) -> &[u8] {
    s.parsers
        .iter()
        .find(|p| p.name().is_none())
        .map_or(&[], |p| p.held(dir))
}

#[derive(Debug)]
struct Ldap {
    ids: Ids,
    /// Read (or given up on) per direction.
    done: [bool; 2],
}

impl Ldap {
    /// Reads all of a direction's bytes, once (Arkime's ldap_process).
    fn read(&mut self, cx: &mut Cx, s: &mut Session, buf: &[u8], dir: Dir) {
        self.done[dir] = true;
        let m = messages(buf);
        let reg = &cx.shared.fields;
        for (name, auth) in m.binds {
            s.fields.string_add(reg, self.ids.bind_name, &name);
            if !auth.is_empty() {
                s.fields.string_add(reg, self.ids.auth_type, &auth);
            }
        }
        for blob in m.ntlm {
            self.ids.ntlm.record(cx, s, blob);
        }
        // After StartTLS the bytes are TLS: classified after the request, and handed
        // to the session's other parsers in both directions.
        if let Some((op, at)) = m.handoff {
            let rest = &buf[at..];
            if op == 23 {
                classify_tcp(cx, s, rest, dir);
            }
            process_data(cx, s, rest, dir);
        }
    }

    /// Done with `dir`: unregisters once both directions are.
    fn finish(&mut self, dir: Dir) -> Parsed {
        self.done[dir] = true;
        if self.done[dir.other()] {
            Parsed::Skip
        } else {
            Parsed::Done(0)
        }
    }
}

impl Parser for Ldap {
    fn name(&self) -> &'static str {
        "ldap"
    }

    /// `data` is all of the direction's bytes so far: the framework keeps them
    /// (returned Incomplete, nothing consumed) until more than [`READ_AT`] are there,
    /// or the session is saved.
    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if self.done[dir] {
            return Parsed::Done(0);
        }
        // Arkime's buffer refuses bytes beyond its cap: then the direction is given
        // up, unread.
        if data.len() > MAX_BUF {
            return self.finish(dir);
        }
        if data.len() > READ_AT {
            self.read(cx, s, data, dir);
            return self.finish(dir);
        }
        Parsed::Incomplete {
            consumed: 0,
            needed: READ_AT + 1,
        }
    }

    fn save(&mut self, cx: &mut Cx, s: &mut Session, _final: bool) {
        // Both taken first: reading one direction may run the other parsers (after
        // StartTLS), and a slot one of them leaves empty would look like this one's.
        let held = Dir::BOTH.map(|dir| {
            let b = held_while_saving(s, dir);
            if !self.done[dir] && b.len() > 5 {
                b.to_vec()
            } else {
                Vec::new()
            }
        });
        for (dir, buf) in Dir::BOTH.into_iter().zip(&held) {
            if !buf.is_empty() {
                self.read(cx, s, buf, dir);
            }
        }
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "ldap") {
        return;
    }
    let mut b = data;
    let Some((true, 16, msg)) = tlv(&mut b) else {
        return;
    };
    let mut m = msg;
    let Some((false, 2, _)) = tlv(&mut m) else {
        return;
    };
    if m.len() < 2 || m[0] & 0xc0 != 0x40 {
        return;
    }
    match tlv(&mut m) {
        Some((true, op, _)) if op <= 25 => {}
        _ => return,
    }
    cx.add_protocol(s, "ldap");
    register_parser(
        s,
        Box::new(Ldap {
            ids,
            done: [false; 2],
        }),
    );
}

const LDAP: FieldSpec = FieldSpec::new("ldap", FieldType::StrHash).flags(Flags::CNT);

/// The LDAP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 2] = [
    LDAP.named("ldap.authtype", "ldap.authtype", Kind::TermField)
        .text("Auth Type", "The auth type of ldap bind"),
    LDAP.named("ldap.bindname", "ldap.bindname", Kind::TermField)
        .text("Bind Name", "The bind name of ldap bind"),
];

/// Registers the LDAP fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [auth_type, bind_name] = f.define_all(&FIELDS);
    let ids = Ids {
        auth_type,
        bind_name,
        ntlm: ntlm::fields(f),
    };
    c.register_tcp("ldap", 0, 0, b"\x30", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
    c.register_udp("ldap", 0, 0, b"\x30", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntlm_in_binds() {
        let blob = b"NTLMSSP\0\x01\0\0\0";
        // bindRequest: version 3, empty name, [10] NTLM negotiate.
        let mut bind = vec![0x02, 0x01, 0x03, 0x04, 0x00, 0x8a, blob.len() as u8];
        bind.extend_from_slice(blob);
        let mut msg = vec![
            0x30,
            (bind.len() + 5) as u8,
            0x02,
            0x01,
            0x01,
            0x60,
            bind.len() as u8,
        ];
        msg.extend_from_slice(&bind);
        let m = messages(&msg);
        assert_eq!(
            m.binds,
            [("<ROOT>".to_string(), "ntlmsspNegotiate".to_string())]
        );
        assert_eq!(m.ntlm, [&blob[..]]);
        // A bind response whose matched DN is an NTLM challenge (Active Directory).
        let mut rsp = vec![0x0a, 0x01, 0x00, 0x04, blob.len() as u8];
        rsp.extend_from_slice(blob);
        rsp.extend_from_slice(&[0x04, 0x00]);
        let mut msg = vec![
            0x30,
            (rsp.len() + 5) as u8,
            0x02,
            0x01,
            0x01,
            0x61,
            rsp.len() as u8,
        ];
        msg.extend_from_slice(&rsp);
        assert_eq!(messages(&msg).ntlm, [&blob[..]]);
    }

    #[test]
    fn start_tls_hands_off_what_follows() {
        let oid = b"1.3.6.1.4.1.1466.20037";
        // ExtendedRequest [APPLICATION 23] { requestName [0] oid }, message id 1.
        let mut op = vec![0x77, (oid.len() + 2) as u8, 0x80, oid.len() as u8];
        op.extend_from_slice(oid);
        let mut msg = vec![0x30, (op.len() + 3) as u8, 0x02, 0x01, 0x01];
        msg.extend_from_slice(&op);
        let hello = [0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0];
        let mut buf = msg.clone();
        buf.extend_from_slice(&hello);
        let m = messages(&buf);
        assert_eq!(m.handoff, Some((23, msg.len())));
        assert_eq!(&buf[msg.len()..], &hello);
        // The response [APPLICATION 24] hands on too; nothing after it, nothing to hand.
        let mut rsp = msg.clone();
        rsp[5] = 0x78;
        assert_eq!(messages(&rsp).handoff, None);
        rsp.extend_from_slice(&hello);
        assert_eq!(messages(&rsp).handoff, Some((24, msg.len())));
    }

    #[test]
    fn bind_requests() {
        // bindRequest: version 3, name "cn=admin", simple "secret".
        let mut bind = vec![0x02, 0x01, 0x03, 0x04, 0x08];
        bind.extend_from_slice(b"cn=admin");
        bind.extend_from_slice(&[0x80, 0x06]);
        bind.extend_from_slice(b"secret");
        let mut msg = vec![0x02, 0x01, 0x01, 0x60, bind.len() as u8];
        msg.extend_from_slice(&bind);
        let mut m = vec![0x30, msg.len() as u8];
        m.extend_from_slice(&msg);
        assert_eq!(
            binds(&m),
            vec![("cn=admin".to_string(), "simple".to_string())]
        );
        // Anonymous bind: empty name and password.
        let anon = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00,
        ];
        assert_eq!(
            binds(&anon),
            vec![("<ROOT>".to_string(), "none".to_string())]
        );
        for n in 0..m.len() {
            let _ = binds(&m[..n]);
        }
    }
}
