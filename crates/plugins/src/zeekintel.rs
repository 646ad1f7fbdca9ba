//! zeekintel: Zeek Intel framework files (`zeekIntelFiles`) matched against sessions
//! when they are saved. An address or subnet indicator matches the session's
//! addresses and IP fields; domain, URL, e-mail and hash indicators match the string
//! fields of the matching category. Each match adds `zeekIntelTag` and an object to
//! the `zeekintel` field: indicator, indicator_type, where (the field's expression),
//! source, desc, url (Arkime's `plugins/zeekintel.c`).

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::Path;

use trawl_fields::{flags, FieldId, FieldRegistry, FieldType, FieldValue};
use trawl_session::{Plugin, Session, Shared};

/// Indicator types Arkime can match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntelType {
    /// `Intel::ADDR`
    Addr,
    /// `Intel::SUBNET`
    Subnet,
    /// `Intel::DOMAIN`
    Domain,
    /// `Intel::URL`
    Url,
    /// `Intel::EMAIL`
    Email,
    /// `Intel::FILE_HASH`
    FileHash,
    /// `Intel::CERT_HASH`
    CertHash,
    /// `Intel::PUBKEY_HASH`
    PubkeyHash,
}

impl IntelType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.strip_prefix("Intel::")? {
            "ADDR" => IntelType::Addr,
            "SUBNET" => IntelType::Subnet,
            "DOMAIN" => IntelType::Domain,
            "URL" => IntelType::Url,
            "EMAIL" => IntelType::Email,
            "FILE_HASH" => IntelType::FileHash,
            "CERT_HASH" => IntelType::CertHash,
            "PUBKEY_HASH" => IntelType::PubkeyHash,
            _ => return None,
        })
    }

    /// The name written in `indicator_type`.
    pub fn name(self) -> &'static str {
        match self {
            IntelType::Addr => "addr",
            IntelType::Subnet => "subnet",
            IntelType::Domain => "domain",
            IntelType::Url => "url",
            IntelType::Email => "email",
            IntelType::FileHash => "file_hash",
            IntelType::CertHash => "cert_hash",
            IntelType::PubkeyHash => "pubkey_hash",
        }
    }
}

/// One indicator from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// As written in the file.
    pub indicator: String,
    /// Type.
    pub ty: IntelType,
    /// `meta.source`.
    pub source: Option<String>,
    /// `meta.desc`.
    pub desc: Option<String>,
    /// `meta.url`.
    pub url: Option<String>,
}

/// The indicators, by how they are matched.
#[derive(Debug, Default)]
pub struct IntelDb {
    /// Address/subnet indicators keyed by (prefix length, masked IPv4-mapped address).
    ips: HashMap<(u8, u128), Vec<Item>>,
    ip_lens: BTreeSet<u8>,
    strings: HashMap<(IntelType, String), Vec<Item>>,
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn mask(a: u128, bits: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(bits.min(128))))
    }
}

impl IntelDb {
    /// Adds an indicator; false for one that cannot match anything (a bad address or
    /// mask, an unsupported type).
    pub fn add(&mut self, item: Item) -> bool {
        match item.ty {
            IntelType::Addr | IntelType::Subnet => {
                let (addr, bits) = match item.indicator.split_once('/') {
                    Some((a, b)) => (a, Some(b)),
                    None => (item.indicator.as_str(), None),
                };
                let Ok(ip) = addr.parse::<IpAddr>() else {
                    return false;
                };
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(b) => match b.parse::<u8>() {
                        Ok(n) if n <= max => n,
                        _ => return false,
                    },
                    None => max,
                };
                // IPv4 lives in the IPv4-mapped range of one 128-bit space.
                let bits = if ip.is_ipv4() { bits + 96 } else { bits };
                self.ips
                    .entry((bits, mask(to_u128(ip), bits)))
                    .or_default()
                    .push(item);
                self.ip_lens.insert(bits);
                true
            }
            IntelType::Url => {
                self.strings
                    .entry((item.ty, item.indicator.clone()))
                    .or_default()
                    .push(item);
                true
            }
            t => {
                self.strings
                    .entry((t, item.indicator.to_ascii_lowercase()))
                    .or_default()
                    .push(item);
                true
            }
        }
    }

    /// Every indicator whose address or subnet contains `ip`.
    pub fn match_ip(&self, ip: IpAddr) -> impl Iterator<Item = &Item> {
        let a = to_u128(ip);
        self.ip_lens
            .iter()
            .filter_map(move |&b| self.ips.get(&(b, mask(a, b))))
            .flatten()
    }

    fn match_str(&self, ty: IntelType, v: &str) -> &[Item] {
        let key = if ty == IntelType::Url {
            v.to_string()
        } else {
            v.to_ascii_lowercase()
        };
        self.strings.get(&(ty, key)).map_or(&[], Vec::as_slice)
    }

    /// Number of indicators loaded.
    pub fn len(&self) -> usize {
        self.ips.values().map(Vec::len).sum::<usize>()
            + self.strings.values().map(Vec::len).sum::<usize>()
    }

    /// Whether none is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads a Zeek intel file: `#separator`, `#fields` (indicator, indicator_type,
    /// meta.source, meta.desc, meta.url in any order), `#unset_field`, `#empty_field`
    /// directives, then one indicator per line. Returns how many were loaded.
    pub fn load_text(&mut self, text: &str) -> usize {
        let mut sep = '\t';
        let (mut unset, mut empty) = ("-".to_string(), "(empty)".to_string());
        let mut cols: [Option<usize>; 5] = [Some(0), Some(1), Some(2), Some(3), Some(4)];
        let mut n = 0;
        for line in text.lines().map(|l| l.trim_end_matches('\r')) {
            if line.is_empty() {
                continue;
            }
            if let Some(d) = line.strip_prefix('#') {
                if let Some(v) = d.strip_prefix("separator") {
                    let v = v.trim_start_matches([' ', '\t']);
                    sep = match v {
                        "\\x09" | "\\t" => '\t',
                        "\\x20" => ' ',
                        "\\x2c" | "," => ',',
                        other => other.chars().next().unwrap_or('\t'),
                    };
                } else if d.starts_with("fields") {
                    let names: Vec<&str> = line.split(sep).skip(1).collect();
                    let at = |want: &str| names.iter().position(|n| *n == want);
                    cols = [
                        at("indicator"),
                        at("indicator_type"),
                        at("meta.source"),
                        at("meta.desc"),
                        at("meta.url"),
                    ];
                } else if d.starts_with("unset_field") {
                    if let Some((_, v)) = line.split_once(sep) {
                        unset = v.to_string();
                    }
                } else if d.starts_with("empty_field") {
                    if let Some((_, v)) = line.split_once(sep) {
                        empty = v.to_string();
                    }
                }
                continue;
            }
            let vals: Vec<&str> = line.split(sep).collect();
            let get = |c: Option<usize>| c.and_then(|i| vals.get(i)).copied();
            let (Some(ind), Some(ty)) = (get(cols[0]), get(cols[1])) else {
                continue;
            };
            if ind.is_empty() || ty.is_empty() {
                continue;
            }
            let Some(ty) = IntelType::parse(ty) else {
                continue;
            };
            let meta = |c| {
                get(c)
                    .filter(|v: &&str| !v.is_empty() && *v != unset && *v != empty)
                    .map(str::to_string)
            };
            let item = Item {
                indicator: ind.to_string(),
                ty,
                source: meta(cols[2]),
                desc: meta(cols[3]),
                url: meta(cols[4]),
            };
            if self.add(item) {
                n += 1;
            }
        }
        n
    }
}

/// The plugin: the indicators, the tag, and the fields to match.
pub struct ZeekIntel {
    db: IntelDb,
    tag: String,
    field: FieldId,
    ip_fields: Vec<FieldId>,
    str_fields: Vec<(FieldId, IntelType)>,
}

/// Problems loading the intel files.
#[derive(Debug, thiserror::Error)]
#[error("zeekIntelFiles {path}: {source}")]
pub struct ZeekIntelError {
    /// The file.
    pub path: String,
    /// Why.
    pub source: std::io::Error,
}

/// Defines the `zeekintel` object field (call before the registry is frozen).
pub fn define_fields(r: &mut FieldRegistry) -> FieldId {
    let id = r.define(
        "zeekintel",
        "notreal",
        "zeekintel",
        "Zeek intel matches",
        "zeekintel",
        "Zeek intel matches",
        FieldType::Object,
        flags::CNT,
    );
    for (exp, db) in [
        ("zeekintel.indicator", "zeekintel.indicator"),
        ("zeekintel.type", "zeekintel.indicator_type"),
        ("zeekintel.where", "zeekintel.where"),
        ("zeekintel.source", "zeekintel.source"),
        ("zeekintel.desc", "zeekintel.desc"),
        ("zeekintel.url", "zeekintel.url"),
    ] {
        r.define(
            "zeekintel",
            "lotermfield",
            exp,
            exp,
            db,
            "",
            FieldType::Str,
            flags::FAKE,
        );
    }
    id
}

impl ZeekIntel {
    /// Loads `files` ("-name" files are optional) and picks the fields to match from
    /// the registry, which must hold every parser's fields by now.
    pub fn new(files: &[String], tag: &str, r: &FieldRegistry) -> Result<Self, ZeekIntelError> {
        let mut db = IntelDb::default();
        for f in files {
            let (path, optional) = match f.strip_prefix('-') {
                Some(p) => (p, true),
                None => (f.as_str(), false),
            };
            match std::fs::read(Path::new(path)) {
                Ok(b) => {
                    let n = db.load_text(&String::from_utf8_lossy(&b));
                    tracing::info!("loaded {n} Zeek intel indicators from {path}");
                }
                Err(_) if optional => {}
                Err(source) => {
                    return Err(ZeekIntelError {
                        path: path.to_string(),
                        source,
                    })
                }
            }
        }
        let field = r.by_expression("zeekintel").unwrap_or(0);
        let mut ip_fields = Vec::new();
        let mut str_fields = Vec::new();
        for (id, d) in r.iter() {
            if !d.has_storage() {
                continue;
            }
            match d.ty {
                FieldType::Ip | FieldType::IpGHash => ip_fields.push(id),
                FieldType::Str | FieldType::StrArray | FieldType::StrHash | FieldType::StrGHash => {
                    let mut add = |t| str_fields.push((id, t));
                    if r.has_category(id, "host") {
                        add(IntelType::Domain);
                    }
                    if r.has_category(id, "url") {
                        add(IntelType::Url);
                    }
                    if ["md5", "sha1", "sha256"]
                        .iter()
                        .any(|h| r.has_category(id, h))
                    {
                        add(if d.expression.starts_with("cert.") {
                            if d.expression.contains("pubkey") {
                                IntelType::PubkeyHash
                            } else {
                                IntelType::CertHash
                            }
                        } else {
                            IntelType::FileHash
                        });
                    }
                    if r.has_category(id, "user") {
                        add(IntelType::Email);
                    }
                }
                _ => {}
            }
        }
        Ok(ZeekIntel {
            db,
            tag: tag.to_string(),
            field,
            ip_fields,
            str_fields,
        })
    }

    /// The loaded indicators.
    pub fn db(&self) -> &IntelDb {
        &self.db
    }

    fn apply(
        &self,
        shared: &Shared,
        s: &mut Session,
        items: &[Item],
        where_: &str,
        seen: &mut BTreeSet<String>,
    ) {
        for it in items {
            let key = format!(
                "{}\u{0}{}\u{0}{}\u{0}{:?}",
                it.ty.name(),
                it.indicator,
                where_,
                it.source
            );
            if !seen.insert(key) {
                continue;
            }
            s.fields
                .string_add(&shared.fields, shared.core.tags, &self.tag);
            let mut o = String::from("{");
            let mut kv = |k: &str, v: &str| {
                if o.len() > 1 {
                    o.push(',');
                }
                o.push_str(&json_str(k));
                o.push(':');
                o.push_str(&json_str(v));
            };
            kv("indicator", &it.indicator);
            kv("indicator_type", it.ty.name());
            kv("where", where_);
            for (k, v) in [("source", &it.source), ("desc", &it.desc), ("url", &it.url)] {
                if let Some(v) = v {
                    kv(k, v);
                }
            }
            o.push('}');
            s.fields.object_add(&shared.fields, self.field, o);
        }
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Plugin for ZeekIntel {
    fn name(&self) -> &'static str {
        "zeekintel"
    }

    fn save(&self, shared: &Shared, s: &mut Session, _final: bool) {
        if self.db.is_empty() {
            return;
        }
        let mut seen = BTreeSet::new();
        if s.ip_protocol != 0 {
            let (src, dst) = (s.src_ip(), s.dst_ip());
            let a: Vec<Item> = self.db.match_ip(src).cloned().collect();
            self.apply(shared, s, &a, "ip.src", &mut seen);
            let b: Vec<Item> = self.db.match_ip(dst).cloned().collect();
            self.apply(shared, s, &b, "ip.dst", &mut seen);
        }
        for &id in &self.ip_fields {
            let ips: Vec<IpAddr> = match s.fields.get(id) {
                Some(FieldValue::Ip(ip)) => vec![*ip],
                Some(FieldValue::IpSet(v)) => v.as_slice().to_vec(),
                _ => continue,
            };
            let where_ = shared
                .fields
                .get(id)
                .map_or("", |d| d.expression.as_str())
                .to_string();
            for ip in ips {
                let m: Vec<Item> = self.db.match_ip(ip).cloned().collect();
                self.apply(shared, s, &m, &where_, &mut seen);
            }
        }
        for &(id, ty) in &self.str_fields {
            let vals: Vec<String> = match s.fields.get(id) {
                Some(FieldValue::Str(v)) => vec![v.clone()],
                Some(FieldValue::StrList(v)) => v.clone(),
                Some(FieldValue::StrSet(v)) => v.as_slice().to_vec(),
                _ => continue,
            };
            let where_ = shared
                .fields
                .get(id)
                .map_or("", |d| d.expression.as_str())
                .to_string();
            for v in vals {
                let m = self.db.match_str(ty, &v).to_vec();
                self.apply(shared, s, &m, &where_, &mut seen);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARKIME_TEST_INTEL: &str =
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n\
#types\tstring\tenum\tstring\tstring\tstring\n\
10.0.0.3\tIntel::ADDR\tarkime-test\tsrc ip\t-\n\
10.0.0.0/24\tIntel::SUBNET\tarkime-test\tsubnet\t-\n\
www.Example.com\tIntel::DOMAIN\tarkime-test\thost\thttps://example.com\n\
10.0.0.0/xx\tIntel::SUBNET\tarkime-test\tinvalid mask\t-\n\
2001:6f8:900:7c0::/64\tIntel::SUBNET\tarkime-test\tv6 subnet\t-\n\
bob\tIntel::USER_NAME\tarkime-test\tunsupported\t-\n";

    #[test]
    fn loads_and_matches_like_arkime() {
        let mut db = IntelDb::default();
        assert_eq!(
            db.load_text(ARKIME_TEST_INTEL),
            4,
            "bad mask and unsupported type skipped"
        );
        let m: Vec<&str> = db
            .match_ip("10.0.0.3".parse().unwrap())
            .map(|i| i.indicator.as_str())
            .collect();
        assert_eq!(m.len(), 2);
        assert!(m.contains(&"10.0.0.3") && m.contains(&"10.0.0.0/24"));
        assert_eq!(db.match_ip("10.0.0.200".parse().unwrap()).count(), 1);
        assert_eq!(db.match_ip("10.0.1.1".parse().unwrap()).count(), 0);
        assert_eq!(
            db.match_ip("::ffff:10.0.0.3".parse().unwrap()).count(),
            2,
            "mapped IPv6 is IPv4"
        );
        assert_eq!(
            db.match_ip("2001:6f8:900:7c0::2".parse().unwrap()).count(),
            1
        );
        assert_eq!(
            db.match_str(IntelType::Domain, "WWW.EXAMPLE.COM").len(),
            1,
            "domains ignore case"
        );
        let d = &db.match_str(IntelType::Domain, "www.example.com")[0];
        assert_eq!(
            (d.desc.as_deref(), d.url.as_deref()),
            (Some("host"), Some("https://example.com"))
        );
        let s = &db.match_ip("10.0.0.3".parse().unwrap()).next().unwrap();
        assert_eq!(s.url, None, "'-' is unset");
    }

    #[test]
    fn separator_and_field_order_directives() {
        let mut db = IntelDb::default();
        let n = db.load_text(
            "#separator \\x2c\n#fields,indicator_type,indicator\nIntel::ADDR,192.0.2.1\n",
        );
        assert_eq!(n, 1);
        assert_eq!(db.match_ip("192.0.2.1".parse().unwrap()).count(), 1);
    }
}
