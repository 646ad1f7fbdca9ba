//! TLS (Arkime's tls.c and certs.c): classifies sessions that start with a TLS
//! handshake record, then reads each direction's handshake records (kept whole by the
//! framework, capped)
//! for the version, cipher, session ids, SNI, JA3/JA3S, JA4 and the server's
//! certificates. DTLS over UDP (dtls.rs) reuses the certificate reading.

pub mod certs;
pub mod ciphers;
pub mod dtls;
pub mod hello;

use std::ops::ControlFlow;

use trawl_config::{Config, ConfigError};
use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
pub use trawl_parser_common::order::hash_order;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use certs::CertInfo;

/// Most bytes buffered per direction (Arkime's parser buffer maximum): a handshake
/// record longer than this is not read.
pub const MAX_BUFFER: usize = 18437;

/// Configuration shared by every TLS parser.
#[derive(Clone, Copy, Debug, Default)]
pub struct TlsConfig {
    /// `ja3Strings`: also store the JA3/JA3S strings.
    pub ja3_strings: bool,
    /// `ja4Raw`: also store ja4_r.
    pub ja4_raw: bool,
}

impl TlsConfig {
    /// Reads `ja3Strings` and `ja4Raw` from the config.
    pub fn from_config(cfg: &Config) -> Result<TlsConfig, ConfigError> {
        Ok(TlsConfig {
            ja3_strings: cfg.get_bool("ja3Strings", false)?,
            ja4_raw: cfg.get_bool("ja4Raw", false)?,
        })
    }
}

/// Field ids the hello readers write (the optional ones only with their option on).
#[derive(Clone, Copy, Debug)]
struct Ids {
    host: FieldId,
    version: FieldId,
    cipher: FieldId,
    ja3: FieldId,
    ja3s: FieldId,
    ja3_str: Option<FieldId>,
    ja3s_str: Option<FieldId>,
    ja4: FieldId,
    ja4_raw: Option<FieldId>,
    src_id: FieldId,
    dst_id: FieldId,
}

/// Field ids of the certificate objects.
#[derive(Clone, Copy, Debug)]
pub struct CertIds {
    /// `cert`: one object per certificate.
    cert: FieldId,
    /// `cert.alt`: the alternative names, kept in the session for rules.
    alt: FieldId,
}

impl CertIds {
    /// The certificate fields, once TLS has defined them.
    pub fn lookup(reg: &FieldRegistry) -> Option<CertIds> {
        Some(CertIds {
            cert: reg.by_expression("cert")?,
            alt: reg.by_expression("cert.alt")?,
        })
    }
}

/// What TLS writes for the hellos and certificates other parsers hand over (OpenVPN,
/// QUIC, OPC UA): the field ids and options, looked up once at registration.
#[derive(Clone, Copy, Debug)]
pub struct TlsFields {
    ids: Ids,
    certs: CertIds,
}

impl TlsFields {
    /// TLS's fields (None before [`register`] defined them), with `cfg`'s options.
    pub fn lookup(reg: &FieldRegistry, cfg: TlsConfig) -> Option<TlsFields> {
        let f = |e: &str| reg.by_expression(e);
        let ids = Ids {
            host: f("host.http")?,
            version: f("tls.version")?,
            cipher: f("tls.cipher")?,
            ja3: f("tls.ja3")?,
            ja3s: f("tls.ja3s")?,
            ja3_str: f("tls.ja3string").filter(|_| cfg.ja3_strings),
            ja3s_str: f("tls.ja3sstring").filter(|_| cfg.ja3_strings),
            ja4: f("tls.ja4")?,
            ja4_raw: f("tls.ja4_r").filter(|_| cfg.ja4_raw),
            src_id: f("tls.sessionid.src")?,
            dst_id: f("tls.sessionid.dst")?,
        };
        Some(TlsFields {
            ids,
            certs: CertIds::lookup(reg)?,
        })
    }

    /// Arkime's `tls_process_client_hello`: `msg` is a ClientHello handshake message
    /// with its 4-byte header.
    pub fn process_client_hello(&self, cx: &mut Cx, s: &mut Session, msg: &[u8]) {
        apply_client_hello(cx, s, &self.ids, msg);
    }

    /// Arkime's `tls_process_server_hello`: `body` is a ServerHello without its
    /// handshake header.
    pub fn process_server_hello(&self, cx: &mut Cx, s: &mut Session, body: &[u8]) {
        apply_server_hello(cx, s, &self.ids, body);
    }

    /// A session's certificate state writing these fields.
    pub fn cert_state(&self) -> CertState {
        CertState::new(self.certs)
    }
}

fn add_str(cx: &Cx, s: &mut Session, id: FieldId, v: &str) {
    s.fields.string_add(&cx.shared.fields, id, v);
}

fn add_opt(cx: &Cx, s: &mut Session, id: Option<FieldId>, v: &Option<String>) {
    if let (Some(id), Some(v)) = (id, v) {
        add_str(cx, s, id, v);
    }
}

/// Per-session TLS state.
#[derive(Debug)]
pub struct TlsParser {
    ids: Ids,
    /// Which direction the server sends in.
    server_dir: Dir,
    /// Per direction: bytes at the front of what the framework holds that a save
    /// already read (Arkime's tls_save empties its buffer).
    flushed: [usize; 2],
    /// Directions that are done (not handshake, or past the server's key exchange).
    done: [bool; 2],
    /// Certificates of the current document.
    certs: CertState,
}

fn apply_server_hello(cx: &mut Cx, s: &mut Session, ids: &Ids, body: &[u8]) {
    let Some(h) = hello::server_hello(body) else {
        return;
    };
    for v in &h.versions {
        add_str(cx, s, ids.version, v);
    }
    if let Some(id) = &h.session_id {
        add_str(cx, s, ids.dst_id, id);
    }
    add_str(cx, s, ids.cipher, &h.cipher);
    if h.http2 {
        cx.add_protocol(s, "http2");
    }
    add_opt(cx, s, ids.ja3s_str, &h.ja3s_string);
    add_opt(cx, s, Some(ids.ja3s), &h.ja3s);
}

fn apply_client_hello(cx: &mut Cx, s: &mut Session, ids: &Ids, msg: &[u8]) {
    let Some(h) = hello::client_hello(msg, s.ip_protocol == 6) else {
        return;
    };
    if let Some(id) = &h.session_id {
        add_str(cx, s, ids.src_id, id);
    }
    if let Some(sni) = &h.sni {
        add_str(cx, s, ids.host, sni);
    }
    for t in &h.tags {
        cx.add_tag(s, t);
    }
    add_opt(cx, s, ids.ja3_str, &h.ja3_string);
    add_opt(cx, s, Some(ids.ja3), &h.ja3);
    add_str(cx, s, ids.ja4, &h.ja4);
    add_opt(cx, s, ids.ja4_raw, &h.ja4_r);
}

/// The certificates a session's current document holds (Arkime keeps them in the
/// `cert` field's hash); a parser that hands certificates over keeps one of these
/// and calls [`CertState::saved`] from its `save`.
///
/// One made with [`CertState::new`] (or [`TlsFields::cert_state`]) writes the ids it
/// was given; a `default()` one finds the certificate fields by name when it first
/// needs them.
#[derive(Debug, Default)]
pub struct CertState {
    ids: Option<CertIds>,
    certs: Vec<(CertInfo, String)>,
}

impl CertState {
    /// A state writing these fields.
    pub fn new(ids: CertIds) -> CertState {
        CertState {
            ids: Some(ids),
            certs: Vec::new(),
        }
    }

    /// Arkime's `tls_process_server_certificate`: `body` is a Certificate handshake
    /// message without its handshake header.
    pub fn process_server_certificate(&mut self, cx: &mut Cx, s: &mut Session, body: &[u8]) {
        for c in certs::parse_certificate_list(body) {
            self.add(cx, s, c);
        }
    }

    /// Arkime's `tls_process_single_certificate` (ISAKMP, OPC UA): one DER
    /// certificate.
    pub fn process_single_certificate(&mut self, cx: &mut Cx, s: &mut Session, der: &[u8]) {
        if der.len() < 10 {
            return;
        }
        if let Some(c) = certs::parse_certificate(der) {
            self.add(cx, s, c);
        }
    }

    /// The document was written: the next one starts without certificates.
    pub fn saved(&mut self) {
        self.certs.clear();
    }

    fn add(&mut self, cx: &mut Cx, s: &mut Session, c: CertInfo) {
        if self.ids.is_none() {
            self.ids = CertIds::lookup(&cx.shared.fields);
        }
        let Some(CertIds { cert: id, alt }) = self.ids else {
            return;
        };
        for t in &c.tags {
            cx.add_tag(s, t);
        }
        if s.fields.get(id).is_none() && c.looks_self_signed() {
            cx.add_tag(s, "cert:self-signed");
        }
        if c.is_ca {
            cx.add_tag(s, "cert:certificate-authority");
        }
        if self.certs.iter().any(|(o, _)| o.same_as(&c)) {
            return;
        }
        for name in &c.alt {
            s.fields.string_add(&cx.shared.fields, alt, name);
        }
        let json = c.to_json(s.first_packet.sec);
        self.certs.push((c, json));
        write_certs(cx, s, id, &self.certs);
    }
}

/// Processes one server handshake record's messages; true once the server's key
/// exchange is reached (nothing more to read in that direction).
fn server_record(cx: &mut Cx, s: &mut Session, p: &mut TlsParser, data: &[u8]) -> bool {
    let mut b = data;
    while b.len() >= 4 {
        let l = usize::from(b[1]) << 16 | usize::from(b[2]) << 8 | usize::from(b[3]);
        let hlen = b.len().min(l + 4);
        let (msg, rest) = b.split_at(hlen);
        b = rest;
        let body = &msg[4..];
        match msg[0] {
            2 => apply_server_hello(cx, s, &p.ids, body),
            11 => p.certs.process_server_certificate(cx, s, body),
            14 => return true,
            _ => {}
        }
    }
    false
}

/// Processes a client handshake record (header included) that starts a ClientHello.
fn client_record(cx: &mut Cx, s: &mut Session, p: &TlsParser, rec: &[u8]) {
    let l = usize::from(rec[3]) << 8 | usize::from(rec[4]);
    let body = &rec[5..5 + (rec.len() - 5).min(l)];
    apply_client_hello(cx, s, &p.ids, body);
}

/// TLS record framing: a 5-byte header (type, version, big-endian length) and at most
/// [`MAX_BUFFER`] bytes in all.
pub const RECORD: LengthPrefix = LengthPrefix::be(3, 2).plus(5).range(5, MAX_BUFFER);

/// What the front of a direction's bytes holds, in Arkime's order of checks: a header
/// first (5 bytes); a record that is not handshake stops the direction whatever its
/// length, so its header alone is handed on as a whole "record"; a handshake record
/// longer than [`MAX_BUFFER`] is [`Frame::Bad`].
pub fn record_frame(b: &[u8]) -> Frame {
    match b.first() {
        Some(&t) if t != 0x16 && b.len() >= 5 => Frame::Whole(5),
        _ => RECORD.frame(b),
    }
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

impl TlsParser {
    /// Marks `dir` done; the parser unregisters once both are.
    fn finish(&mut self, dir: Dir) -> Parsed {
        self.done[dir] = true;
        if self.done[0] && self.done[1] {
            Parsed::Skip
        } else {
            Parsed::Done(0)
        }
    }

    /// One whole record of `dir`, header included.
    fn record(
        &mut self,
        cx: &mut Cx,
        s: &mut Session,
        rec: &[u8],
        dir: Dir,
    ) -> ControlFlow<Parsed> {
        if rec[0] != 0x16 {
            // Not handshake: stop looking in this direction.
            return ControlFlow::Break(self.finish(dir));
        }
        if dir == self.server_dir {
            if server_record(cx, s, self, &rec[5..]) {
                return ControlFlow::Break(self.finish(dir));
            }
        } else if rec.len() >= 6 && rec[5] == 1 {
            // (6 bytes at least: a zero-length record has no message type.)
            client_record(cx, s, self, rec);
        }
        ControlFlow::Continue(())
    }
}

impl Parser for TlsParser {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn max_held(&self) -> usize {
        MAX_BUFFER
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        if self.done[dir] {
            return Parsed::Done(0);
        }
        // Bytes a mid-session save already processed (and Arkime dropped) are still
        // at the front of what the framework held: skip them.
        let flushed = std::mem::take(&mut self.flushed[dir]).min(data.len());
        let data = &data[flushed..];
        // As in Arkime (arkime_parser_buf_add), held and new bytes together longer
        // than the buffer end the parsing, before any record in them is read.
        if data.len() > MAX_BUFFER {
            cx.add_tag(s, "tls:record-too-long");
            return Parsed::Skip;
        }
        let r = for_each_frame(data, record_frame, |rec| self.record(cx, s, rec, dir));
        match r {
            // A handshake record longer than the buffer.
            Parsed::Error => {
                cx.add_tag(s, "tls:record-too-long");
                Parsed::Error
            }
            // Like Arkime, claim nothing: later parsers see the same bytes. The
            // server's side is called at every segment (needed 0): a save may process
            // and drop what is held, and Arkime then checks its buffer cap segment by
            // segment from there.
            Parsed::Incomplete { consumed, needed } => Parsed::Incomplete {
                consumed: consumed + flushed,
                needed: if dir == self.server_dir { 0 } else { needed },
            },
            r => r,
        }
    }

    fn save(&mut self, cx: &mut Cx, s: &mut Session, _final: bool) {
        // Arkime's tls_save: a server record not whole yet is read as far as it goes,
        // and dropped.
        let d = self.server_dir;
        let held = held_while_saving(s, d);
        let rest = held.get(self.flushed[d]..).unwrap_or(&[]);
        if rest.len() > 5 && rest[0] == 0x16 {
            let rec = rest[5..].to_vec();
            self.flushed[d] = held.len();
            server_record(cx, s, self, &rec);
        }
        // The certificates already are in the field; a new document starts afresh.
        self.certs.saved();
    }
}

/// Rewrites the `cert` field from `certs` in Arkime's order (see [`hash_order`]).
fn write_certs(cx: &Cx, s: &mut Session, id: FieldId, certs: &[(CertInfo, String)]) {
    let hashes: Vec<u32> = certs.iter().map(|(c, _)| c.order_hash()).collect();
    let _ = s.fields.take(id);
    for i in hash_order(&hashes) {
        if let Some((_, json)) = certs.get(i) {
            s.fields.object_add(&cx.shared.fields, id, json.clone());
        }
    }
}

fn classify(t: &TlsFields, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) {
    if data.len() < 6 || data[2] > 0x03 || cx.has_protocol(s, "tls") {
        return;
    }
    if data[5] != 1 && data[5] != 2 {
        return;
    }
    cx.add_protocol(s, "tls");
    let p = TlsParser {
        ids: t.ids,
        server_dir: if data[5] == 1 { dir.other() } else { dir },
        flushed: [0, 0],
        done: [false, false],
        certs: t.cert_state(),
    };
    register_parser(s, Box::new(p));
}

/// `host.http`, which HTTP defines first when it is registered.
const HOST: FieldSpec = FieldSpec::new("http", FieldType::StrHash)
    .named("host.http", "http.host", Kind::LoTermField)
    .text("HTTP Host", "HTTP host header field")
    .flags(Flags::CNT)
    .category("host");

const TLS: FieldSpec = FieldSpec::new("tls", FieldType::StrGHash).flags(Flags::CNT);

/// tls.c's fields, in its order.
const FIELDS: [FieldSpec; 8] = [
    TLS.named("tls.version", "tls.version", Kind::TermField)
        .text("Version", "SSL/TLS version field"),
    TLS.named("tls.cipher", "tls.cipher", Kind::UpTermField)
        .text("Cipher", "SSL/TLS cipher field"),
    TLS.named("tls.ja3", "tls.ja3", Kind::LoTermField)
        .text("JA3", "SSL/TLS JA3 field"),
    TLS.named("tls.ja4", "tls.ja4", Kind::LoTermField)
        .text("JA4", "SSL/TLS JA4 field"),
    TLS.named("tls.ja4_r", "tls.ja4_r", Kind::LoTermField)
        .text("JA4_r", "SSL/TLS JA4_r field"),
    TLS.named("tls.ja3s", "tls.ja3s", Kind::LoTermField)
        .text("JA3S", "SSL/TLS JA3S field"),
    TLS.named("tls.sessionid.dst", "tls.dstSessionId", Kind::LoTermField)
        .text("Dst Session Id", "SSL/TLS Dst Session Id")
        .flags(Flags::NONE),
    TLS.named("tls.sessionid.src", "tls.srcSessionId", Kind::LoTermField)
        .text("Src Session Id", "SSL/TLS Src Session Id")
        .flags(Flags::NONE),
];

/// The viewer's shorthand for either session id.
const SESSION_ID: FieldSpec = FieldSpec::new("general", FieldType::StrGHash)
    .named("tls.sessionid", "tlsidall", Kind::LoTermField)
    .text(
        "Src or Dst Session Id",
        "Shorthand for tls.sessionid.src or tls.sessionid.dst",
    )
    .flags(Flags::FAKE);

/// With `ja3Strings`: the JA3S and JA3 strings.
const JA3_STRINGS: [FieldSpec; 2] = [
    TLS.named("tls.ja3sstring", "tls.ja3sstring", Kind::LoTermField)
        .text("JA3SSTR", "SSL/TLS JA3S String field"),
    TLS.named("tls.ja3string", "tls.ja3string", Kind::LoTermField)
        .text("JA3STR", "SSL/TLS JA3 String field"),
];

const CERT: FieldSpec = FieldSpec::new("cert", FieldType::StrGHash).flags(Flags::FAKE);

/// certs.c's fields after the `cert` object: the viewer's names for the objects'
/// members (FAKE), and `cert.alt`.
const CERT_FIELDS: [FieldSpec; 18] = [
    CERT.named("cert.cnt", "certCnt", Kind::Integer)
        .text("Cert Cnt", "Count of certificates"),
    // Kept in the session (not written: the names are inside the cert objects) for
    // rules and plugins, as Arkime's internal cert.alt field.
    CERT.named("cert.alt", "cert.alt", Kind::LoTermField)
        .text("Alt Name", "Certificate alternative names")
        .flags(Flags::CNT.and(Flags::NOSAVE))
        .category("host"),
    CERT.named("cert.serial", "cert.serial", Kind::LoTermField)
        .text("Serial Number", "Serial Number"),
    CERT.named("cert.issuer.cn", "cert.issuerCN", Kind::LoTermField)
        .text("Issuer CN", "Issuer's common name"),
    CERT.named("cert.subject.cn", "cert.subjectCN", Kind::LoTermField)
        .text("Subject CN", "Subject's common name"),
    CERT.named("cert.issuer.on", "cert.issuerON", Kind::TermField)
        .text("Issuer ON", "Issuer's organization name"),
    CERT.named("cert.subject.on", "cert.subjectON", Kind::TermField)
        .text("Subject ON", "Subject's organization name"),
    CERT.named("cert.issuer.ou", "cert.issuerOU", Kind::TermField)
        .text("Issuer Org Unit", "Issuer's organizational unit"),
    CERT.named("cert.subject.ou", "cert.subjectOU", Kind::TermField)
        .text("Subject Org Unit", "Subject's organizational unit"),
    CERT.named("cert.hash", "cert.hash", Kind::LoTermField)
        .text("Hash", "SHA1 hash of entire certificate"),
    CERT.named("cert.notbefore", "cert.notBefore", Kind::Date)
        .text("Not Before", "Certificate is not valid before this date"),
    CERT.named("cert.notafter", "cert.notAfter", Kind::Date)
        .text("Not After", "Certificate is not valid after this date"),
    CERT.named("cert.validfor", "cert.validDays", Kind::Integer)
        .text(
            "Days Valid For",
            "Certificate is valid for this many days total",
        ),
    CERT.named("cert.remainingDays", "cert.remainingDays", Kind::Integer)
        .text(
            "Days remaining",
            "Certificate is still valid for this many days",
        ),
    CERT.named("cert.validforSeconds", "cert.validSeconds", Kind::Integer)
        .text(
            "Seconds Valid For",
            "Certificate is valid for this many seconds total",
        ),
    CERT.named(
        "cert.remainingSeconds",
        "cert.remainingSeconds",
        Kind::Integer,
    )
    .text(
        "Seconds remaining",
        "Certificate is still valid for this many seconds",
    ),
    CERT.named("cert.curve", "cert.curve", Kind::TermField)
        .text("Curve", "Curve Algorithm"),
    CERT.named(
        "cert.publicAlgorithm",
        "cert.publicAlgorithm",
        Kind::TermField,
    )
    .text("Public Algorithm", "Public Key Algorithm"),
];

/// Registers the TLS and DTLS classifiers and fields.
pub fn register(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    let st = TlsConfig::from_config(cfg)?;
    let host = match f.by_expression("host.http") {
        Some(id) => id,
        None => f.define_spec(&HOST),
    };
    let [version, cipher, ja3, ja4, ja4_r, ja3s, dst_id, src_id] = f.define_all(&FIELDS);
    f.define_spec(&SESSION_ID);
    let (ja3_str, ja3s_str) = if st.ja3_strings {
        let [ja3s_str, ja3_str] = f.define_all(&JA3_STRINGS);
        (Some(ja3_str), Some(ja3s_str))
    } else {
        (None, None)
    };
    // certs.c. The object field's kind ("notreal") has no `Kind`, so it is defined
    // the long way. Arkime's object field is also NODB (no viewer definition), but
    // its writer still saves it; here NODB would keep the writer from saving it.
    let cert = f.define(
        "cert",
        "notreal",
        "cert",
        "cert",
        "cert",
        "Certificates info",
        FieldType::Object,
        Flags::CNT.0,
    );
    let [_, alt, ..] = f.define_all(&CERT_FIELDS);

    let t = TlsFields {
        ids: Ids {
            host,
            version,
            cipher,
            ja3,
            ja3s,
            ja3_str,
            ja3s_str,
            ja4,
            ja4_raw: st.ja4_raw.then_some(ja4_r),
            src_id,
            dst_id,
        },
        certs: CertIds { cert, alt },
    };
    c.register_tcp("tls", 0, 0, b"\x16\x03", move |cx, s, data, dir, _| {
        classify(&t, cx, s, data, dir)
    });
    dtls::register(c, &t);
    Ok(())
}

#[cfg(test)]
mod tests;
