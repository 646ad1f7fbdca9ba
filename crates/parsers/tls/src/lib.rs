//! TLS (Arkime's tls.c and certs.c): classifies sessions that start with a TLS
//! handshake record, then reads each direction's handshake records (buffered, capped)
//! for the version, cipher, session ids, SNI, JA3/JA3S, JA4 and the server's
//! certificates. DTLS over UDP (dtls.rs) reuses the certificate reading.

pub mod bsb;
pub mod certs;
pub mod ciphers;
pub mod dtls;
pub mod hello;

use trawl_config::{Config, ConfigError};
use trawl_fields::{flags, FieldId, FieldRegistry, FieldType};
pub use trawl_parser_common::order::hash_order;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Session};

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

/// Field ids the parser writes.
#[derive(Clone, Copy, Debug)]
struct Ids {
    host: Option<FieldId>,
    version: Option<FieldId>,
    cipher: Option<FieldId>,
    ja3: Option<FieldId>,
    ja3s: Option<FieldId>,
    ja3_str: Option<FieldId>,
    ja3s_str: Option<FieldId>,
    ja4: Option<FieldId>,
    ja4_raw: Option<FieldId>,
    src_id: Option<FieldId>,
    dst_id: Option<FieldId>,
}

impl Ids {
    fn lookup(reg: &FieldRegistry, cfg: TlsConfig) -> Self {
        let f = |e: &str| reg.by_expression(e);
        Ids {
            host: f("host.http"),
            version: f("tls.version"),
            cipher: f("tls.cipher"),
            ja3: f("tls.ja3"),
            ja3s: f("tls.ja3s"),
            ja3_str: if cfg.ja3_strings {
                f("tls.ja3string")
            } else {
                None
            },
            ja3s_str: if cfg.ja3_strings {
                f("tls.ja3sstring")
            } else {
                None
            },
            ja4: f("tls.ja4"),
            ja4_raw: if cfg.ja4_raw { f("tls.ja4_r") } else { None },
            src_id: f("tls.sessionid.src"),
            dst_id: f("tls.sessionid.dst"),
        }
    }
}

fn add_str(cx: &Cx, s: &mut Session, id: Option<FieldId>, v: &str) {
    if let Some(id) = id {
        s.fields.string_add(&cx.shared.fields, id, v);
    }
}

fn add_opt(cx: &Cx, s: &mut Session, id: Option<FieldId>, v: &Option<String>) {
    if let Some(v) = v {
        add_str(cx, s, id, v);
    }
}

/// Per-session TLS state.
#[derive(Debug)]
pub struct TlsParser {
    ids: Ids,
    /// Which direction the server sends in.
    server_dir: usize,
    /// Buffered bytes of each direction (at most [`MAX_BUFFER`]).
    buf: [Records; 2],
    /// Directions that are done (not handshake, or past the server's key exchange).
    done: [bool; 2],
    /// Certificates of the current document.
    certs: CertState,
}

/// The TLS settings registered with the classifiers.
pub(crate) fn config_of(cx: &Cx) -> TlsConfig {
    cx.shared
        .classifiers
        .config::<TlsConfig>("tls")
        .copied()
        .unwrap_or_default()
}

fn ids_of(cx: &Cx) -> Ids {
    Ids::lookup(&cx.shared.fields, config_of(cx))
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
    add_opt(cx, s, ids.ja3s, &h.ja3s);
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
    add_opt(cx, s, ids.ja3, &h.ja3);
    add_str(cx, s, ids.ja4, &h.ja4);
    add_opt(cx, s, ids.ja4_raw, &h.ja4_r);
}

/// Arkime's `tls_process_client_hello` for other parsers (QUIC, OpenVPN): `msg` is a
/// ClientHello handshake message with its 4-byte header.
pub fn process_client_hello(cx: &mut Cx, s: &mut Session, msg: &[u8]) {
    let ids = ids_of(cx);
    apply_client_hello(cx, s, &ids, msg);
}

/// Arkime's `tls_process_server_hello` for other parsers: `body` is a ServerHello
/// without its handshake header.
pub fn process_server_hello(cx: &mut Cx, s: &mut Session, body: &[u8]) {
    let ids = ids_of(cx);
    apply_server_hello(cx, s, &ids, body);
}

/// The certificates a session's current document holds (Arkime keeps them in the
/// `cert` field's hash); a parser that hands certificates over keeps one of these
/// and calls [`CertState::saved`] from its `save`.
#[derive(Debug, Default)]
pub struct CertState {
    certs: Vec<(CertInfo, String)>,
}

impl CertState {
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
        let Some(id) = cx.shared.fields.by_expression("cert") else {
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
        if let Some(alt) = cx.shared.fields.by_expression("cert.alt") {
            for name in &c.alt {
                s.fields.string_add(&cx.shared.fields, alt, name);
            }
        }
        let json = c.to_json(u64::from(s.first_packet.sec));
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

/// One direction's buffered bytes, cut into TLS records (pure, capped).
#[derive(Debug, Default)]
pub struct Records {
    buf: Vec<u8>,
}

/// What [`Records::next_record`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A complete handshake record, header included.
    Record(Vec<u8>),
    /// The next record is not complete yet.
    Incomplete,
    /// The next record is not a handshake record.
    NotHandshake,
    /// The next record is longer than [`MAX_BUFFER`].
    TooLong,
}

impl Records {
    /// Appends as much of `data` as fits under [`MAX_BUFFER`]; returns how much.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let n = MAX_BUFFER.saturating_sub(self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        n
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drops what is held.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// What is held.
    pub fn held(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the next complete handshake record.
    pub fn next_record(&mut self) -> Next {
        if self.buf.len() < 5 {
            return Next::Incomplete;
        }
        if self.buf[0] != 0x16 {
            return Next::NotHandshake;
        }
        let need = (usize::from(self.buf[3]) << 8 | usize::from(self.buf[4])) + 5;
        if need > MAX_BUFFER {
            return Next::TooLong;
        }
        if need > self.buf.len() {
            return Next::Incomplete;
        }
        let rest = self.buf.split_off(need);
        Next::Record(std::mem::replace(&mut self.buf, rest))
    }
}

impl TlsParser {
    /// Processes the complete records buffered for `dir`; false when the session
    /// should drop the parser.
    fn drain(&mut self, cx: &mut Cx, s: &mut Session, dir: usize) -> bool {
        loop {
            match self.buf[dir].next_record() {
                Next::Incomplete => return true,
                Next::TooLong => {
                    cx.add_tag(s, "tls:record-too-long");
                    return false;
                }
                Next::NotHandshake => {
                    self.buf[dir].clear();
                    self.done[dir] = true;
                    return !(self.done[0] && self.done[1]);
                }
                Next::Record(rec) => {
                    if dir == self.server_dir {
                        if server_record(cx, s, self, &rec[5..]) {
                            self.buf[dir].clear();
                            self.done[dir] = true;
                            return !(self.done[0] && self.done[1]);
                        }
                    } else if rec.len() >= 6 && rec[5] == 1 {
                        client_record(cx, s, self, &rec);
                    }
                }
            }
        }
    }
}

impl Parser for TlsParser {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize) -> Parsed {
        let dir = dir.min(1);
        if self.done[dir] {
            return Parsed::Consumed(0);
        }
        // As in Arkime, bytes that do not fit in the buffer end the parsing.
        if self.buf[dir].push(data) < data.len() {
            cx.add_tag(s, "tls:record-too-long");
            return Parsed::Unregister;
        }
        if !self.drain(cx, s, dir) {
            return Parsed::Unregister;
        }
        // Like Arkime, report nothing consumed: later parsers see the same bytes.
        Parsed::Consumed(0)
    }

    fn save(&mut self, cx: &mut Cx, s: &mut Session, _final: bool) {
        let d = self.server_dir;
        let held = self.buf[d].held();
        if held.len() > 5 && held[0] == 0x16 {
            let rec = held.to_vec();
            self.buf[d].clear();
            server_record(cx, s, self, &rec[5..]);
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

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize, _uw: u32) {
    if data.len() < 6 || data[2] > 0x03 || cx.has_protocol(s, "tls") {
        return;
    }
    if data[5] != 1 && data[5] != 2 {
        return;
    }
    cx.add_protocol(s, "tls");
    let p = TlsParser {
        ids: ids_of(cx),
        server_dir: if data[5] == 1 {
            (dir + 1) % 2
        } else {
            dir.min(1)
        },
        buf: [Records::default(), Records::default()],
        done: [false, false],
        certs: CertState::default(),
    };
    register_parser(s, Box::new(p));
}

#[allow(clippy::too_many_arguments)]
fn def(
    f: &mut FieldRegistry,
    group: &str,
    kind: &str,
    exp: &str,
    friendly: &str,
    db: &str,
    help: &str,
    ty: FieldType,
    fl: u32,
) -> FieldId {
    f.define(group, kind, exp, friendly, db, help, ty, fl)
}

/// Registers the TLS classifiers and fields.
pub fn register(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    let st = TlsConfig::from_config(cfg)?;
    use FieldType::StrGHash;
    if f.by_expression("host.http").is_none() {
        let id = def(
            f,
            "http",
            "lotermfield",
            "host.http",
            "HTTP Host",
            "http.host",
            "HTTP host header field",
            FieldType::StrHash,
            flags::CNT,
        );
        f.set_category(id, "host");
    }
    let cnt = flags::CNT;
    def(
        f,
        "tls",
        "termfield",
        "tls.version",
        "Version",
        "tls.version",
        "SSL/TLS version field",
        StrGHash,
        cnt,
    );
    def(
        f,
        "tls",
        "uptermfield",
        "tls.cipher",
        "Cipher",
        "tls.cipher",
        "SSL/TLS cipher field",
        StrGHash,
        cnt,
    );
    def(
        f,
        "tls",
        "lotermfield",
        "tls.ja3",
        "JA3",
        "tls.ja3",
        "SSL/TLS JA3 field",
        StrGHash,
        cnt,
    );
    def(
        f,
        "tls",
        "lotermfield",
        "tls.ja4",
        "JA4",
        "tls.ja4",
        "SSL/TLS JA4 field",
        StrGHash,
        cnt,
    );
    def(
        f,
        "tls",
        "lotermfield",
        "tls.ja4_r",
        "JA4_r",
        "tls.ja4_r",
        "SSL/TLS JA4_r field",
        StrGHash,
        cnt,
    );
    def(
        f,
        "tls",
        "lotermfield",
        "tls.ja3s",
        "JA3S",
        "tls.ja3s",
        "SSL/TLS JA3S field",
        StrGHash,
        cnt,
    );
    def(
        f,
        "tls",
        "lotermfield",
        "tls.sessionid.dst",
        "Dst Session Id",
        "tls.dstSessionId",
        "SSL/TLS Dst Session Id",
        StrGHash,
        0,
    );
    def(
        f,
        "tls",
        "lotermfield",
        "tls.sessionid.src",
        "Src Session Id",
        "tls.srcSessionId",
        "SSL/TLS Src Session Id",
        StrGHash,
        0,
    );
    def(
        f,
        "general",
        "lotermfield",
        "tls.sessionid",
        "Src or Dst Session Id",
        "tlsidall",
        "Shorthand for tls.sessionid.src or tls.sessionid.dst",
        StrGHash,
        flags::FAKE,
    );
    if st.ja3_strings {
        def(
            f,
            "tls",
            "lotermfield",
            "tls.ja3sstring",
            "JA3SSTR",
            "tls.ja3sstring",
            "SSL/TLS JA3S String field",
            StrGHash,
            cnt,
        );
        def(
            f,
            "tls",
            "lotermfield",
            "tls.ja3string",
            "JA3STR",
            "tls.ja3string",
            "SSL/TLS JA3 String field",
            StrGHash,
            cnt,
        );
    }

    // certs.c. Arkime's object field is also NODB (no viewer definition), but its
    // writer still saves it; here NODB would keep the writer from saving it.
    def(
        f,
        "cert",
        "notreal",
        "cert",
        "cert",
        "cert",
        "Certificates info",
        FieldType::Object,
        cnt,
    );
    let fake = flags::FAKE;
    let fakes: &[(&str, &str, &str, &str, &str, u32)] = &[
        (
            "integer",
            "cert.cnt",
            "Cert Cnt",
            "certCnt",
            "Count of certificates",
            fake,
        ),
        (
            "lotermfield",
            "cert.alt",
            "Alt Name",
            "cert.alt",
            "Certificate alternative names",
            // Kept in the session (not written: the names are inside the cert objects)
            // for rules and plugins, as Arkime's internal cert.alt field.
            cnt | flags::NOSAVE,
        ),
        (
            "lotermfield",
            "cert.serial",
            "Serial Number",
            "cert.serial",
            "Serial Number",
            fake,
        ),
        (
            "lotermfield",
            "cert.issuer.cn",
            "Issuer CN",
            "cert.issuerCN",
            "Issuer's common name",
            fake,
        ),
        (
            "lotermfield",
            "cert.subject.cn",
            "Subject CN",
            "cert.subjectCN",
            "Subject's common name",
            fake,
        ),
        (
            "termfield",
            "cert.issuer.on",
            "Issuer ON",
            "cert.issuerON",
            "Issuer's organization name",
            fake,
        ),
        (
            "termfield",
            "cert.subject.on",
            "Subject ON",
            "cert.subjectON",
            "Subject's organization name",
            fake,
        ),
        (
            "termfield",
            "cert.issuer.ou",
            "Issuer Org Unit",
            "cert.issuerOU",
            "Issuer's organizational unit",
            fake,
        ),
        (
            "termfield",
            "cert.subject.ou",
            "Subject Org Unit",
            "cert.subjectOU",
            "Subject's organizational unit",
            fake,
        ),
        (
            "lotermfield",
            "cert.hash",
            "Hash",
            "cert.hash",
            "SHA1 hash of entire certificate",
            fake,
        ),
        (
            "date",
            "cert.notbefore",
            "Not Before",
            "cert.notBefore",
            "Certificate is not valid before this date",
            fake,
        ),
        (
            "date",
            "cert.notafter",
            "Not After",
            "cert.notAfter",
            "Certificate is not valid after this date",
            fake,
        ),
        (
            "integer",
            "cert.validfor",
            "Days Valid For",
            "cert.validDays",
            "Certificate is valid for this many days total",
            fake,
        ),
        (
            "integer",
            "cert.remainingDays",
            "Days remaining",
            "cert.remainingDays",
            "Certificate is still valid for this many days",
            fake,
        ),
        (
            "integer",
            "cert.validforSeconds",
            "Seconds Valid For",
            "cert.validSeconds",
            "Certificate is valid for this many seconds total",
            fake,
        ),
        (
            "integer",
            "cert.remainingSeconds",
            "Seconds remaining",
            "cert.remainingSeconds",
            "Certificate is still valid for this many seconds",
            fake,
        ),
        (
            "termfield",
            "cert.curve",
            "Curve",
            "cert.curve",
            "Curve Algorithm",
            fake,
        ),
        (
            "termfield",
            "cert.publicAlgorithm",
            "Public Algorithm",
            "cert.publicAlgorithm",
            "Public Key Algorithm",
            fake,
        ),
    ];
    for &(kind, exp, friendly, db, help, fl) in fakes {
        def(f, "cert", kind, exp, friendly, db, help, StrGHash, fl);
    }
    if let Some(alt) = f.by_expression("cert.alt") {
        f.set_category(alt, "host");
    }

    c.set_config("tls", st);
    c.register_tcp("tls", 0, 0, b"\x16\x03", classify);
    dtls::register(c);
    Ok(())
}

#[cfg(test)]
mod tests;
