//! `[override-ips]`: per-address (or CIDR) values that replace the lookups, and tags or
//! field values added to sessions that have the address.

use std::net::IpAddr;

use crate::prefix::{parse_cidr, PrefixTable};

/// One override entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverrideInfo {
    /// `country:`
    pub country: Option<String>,
    /// `region:`
    pub region: Option<String>,
    /// `city:`
    pub city: Option<String>,
    /// `asn:AS<n> <org>` number.
    pub asn_number: Option<u32>,
    /// `asn:` organization.
    pub asn_org: Option<String>,
    /// `rir:`
    pub rir: Option<String>,
    /// `tag:` (at most 10, as Arkime keeps).
    pub tags: Vec<String>,
    /// Any other `field:value`: set on the session when the field exists.
    pub ops: Vec<(String, String)>,
}

/// A problem with one entry.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OverrideError {
    /// The key is not an address or CIDR.
    #[error("[override-ips] '{0}' is not an IP address or CIDR")]
    BadAddress(String),
    /// An `asn:` value not of the form `AS<number> <name>`.
    #[error("[override-ips] {0}: asn value '{1}' does not match AS<number> <name>")]
    BadAsn(String, String),
}

/// Parses one entry's value (`;`-separated `name:value` items).
pub fn parse_value(key: &str, value: &str) -> Result<OverrideInfo, OverrideError> {
    let mut ii = OverrideInfo::default();
    for item in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(v) = item.strip_prefix("asn:") {
            let bad = || OverrideError::BadAsn(key.to_string(), v.to_string());
            let rest = v.strip_prefix("AS").ok_or_else(bad)?;
            let (num, org) = rest.split_once(' ').ok_or_else(bad)?;
            if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) || org.is_empty() {
                return Err(bad());
            }
            ii.asn_number = Some(num.parse().map_err(|_| bad())?);
            ii.asn_org = Some(org.to_string());
        } else if let Some(v) = item.strip_prefix("rir:") {
            ii.rir = Some(v.to_string());
        } else if let Some(v) = item.strip_prefix("tag:") {
            if ii.tags.len() < 10 {
                ii.tags.push(v.to_string());
            }
        } else if let Some(v) = item.strip_prefix("country:") {
            ii.country = Some(v.to_string());
        } else if let Some(v) = item.strip_prefix("region:") {
            ii.region = Some(v.to_string());
        } else if let Some(v) = item.strip_prefix("city:") {
            ii.city = Some(v.to_string());
        } else if let Some((f, v)) = item.split_once(':') {
            ii.ops.push((f.to_string(), v.to_string()));
        }
    }
    Ok(ii)
}

/// Builds the override table from `(key, value)` pairs.
pub fn build(entries: &[(String, String)]) -> Result<PrefixTable<OverrideInfo>, OverrideError> {
    let mut t = PrefixTable::new();
    for (k, v) in entries {
        let (ip, bits): (IpAddr, u8) =
            parse_cidr(k).ok_or_else(|| OverrideError::BadAddress(k.clone()))?;
        t.insert(ip, bits, parse_value(k, v)?);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arkime_test_entries() {
        let t = build(&[
            (
                "10.0.0.1".into(),
                "tag:srcip;asn:AS0000 This is neat;country:RU".into(),
            ),
            (
                "10.0.0.2".into(),
                "tag:dstip;asn:AS0001 Cool Beans!;rir:TEST;country:CA".into(),
            ),
            ("10.180/16".into(), "country:US".into()),
            (
                "192.168.177.160".into(),
                "region:REG;city:City;sample.md5:abc".into(),
            ),
        ])
        .unwrap();
        let a = t.lookup("10.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(a.tags, vec!["srcip"]);
        assert_eq!(
            (a.asn_number, a.asn_org.as_deref()),
            (Some(0), Some("This is neat"))
        );
        assert_eq!(a.country.as_deref(), Some("RU"));
        let b = t.lookup("10.0.0.2".parse().unwrap()).unwrap();
        assert_eq!(b.rir.as_deref(), Some("TEST"));
        assert_eq!(
            t.lookup("10.180.9.9".parse().unwrap())
                .unwrap()
                .country
                .as_deref(),
            Some("US")
        );
        let c = t.lookup("192.168.177.160".parse().unwrap()).unwrap();
        assert_eq!(c.ops, vec![("sample.md5".to_string(), "abc".to_string())]);
    }

    #[test]
    fn malformed_entries_are_errors() {
        assert!(matches!(
            build(&[("10.0.0.x".into(), "tag:a".into())]),
            Err(OverrideError::BadAddress(_))
        ));
        assert!(matches!(
            parse_value("k", "asn:15169 Google"),
            Err(OverrideError::BadAsn(..))
        ));
        assert!(matches!(
            parse_value("k", "asn:ASx Google"),
            Err(OverrideError::BadAsn(..))
        ));
    }
}
