//! Longest-prefix match over IPv4 and IPv6 CIDRs (override-ips, and any other CIDR
//! table): one hash map per prefix length, searched from the longest.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// A CIDR table with values of type `T`.
#[derive(Clone, Debug)]
pub struct PrefixTable<T> {
    v4: HashMap<(u8, u32), T>,
    v4_lens: BTreeSet<u8>,
    v6: HashMap<(u8, u128), T>,
    v6_lens: BTreeSet<u8>,
}

impl<T> Default for PrefixTable<T> {
    fn default() -> Self {
        PrefixTable {
            v4: HashMap::new(),
            v4_lens: BTreeSet::new(),
            v6: HashMap::new(),
            v6_lens: BTreeSet::new(),
        }
    }
}

fn mask4(a: u32, bits: u8) -> u32 {
    if bits == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(bits.min(32))))
    }
}

fn mask6(a: u128, bits: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(bits.min(128))))
    }
}

/// Parses `a.b.c.d/n`, a partial `a.b/n` (missing octets are zero, as patricia's parser
/// reads them), `a.b.c.d` (/32), or IPv6 with an optional `/n`.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b.trim().parse::<u8>().ok()?)),
        None => (s, None),
    };
    if addr.contains(':') {
        let ip: std::net::Ipv6Addr = addr.parse().ok()?;
        let bits = bits.unwrap_or(128);
        (bits <= 128).then_some((IpAddr::V6(ip), bits))
    } else {
        let mut oct = [0u8; 4];
        let parts: Vec<&str> = addr.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        for (i, p) in parts.iter().enumerate() {
            oct[i] = p.parse().ok()?;
        }
        let bits = bits.unwrap_or(32);
        (bits <= 32).then_some((IpAddr::V4(oct.into()), bits))
    }
}

impl<T> PrefixTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Adds (or replaces) `ip/bits`.
    pub fn insert(&mut self, ip: IpAddr, bits: u8, value: T) {
        match ip {
            IpAddr::V4(a) => {
                let bits = bits.min(32);
                self.v4.insert((bits, mask4(u32::from(a), bits)), value);
                self.v4_lens.insert(bits);
            }
            IpAddr::V6(a) => {
                let bits = bits.min(128);
                self.v6.insert((bits, mask6(u128::from(a), bits)), value);
                self.v6_lens.insert(bits);
            }
        }
    }

    /// The value of the longest prefix containing `ip`. IPv4-mapped IPv6 addresses are
    /// looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> Option<&T> {
        let ip = match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4_lens
                    .iter()
                    .rev()
                    .find_map(|&b| self.v4.get(&(b, mask4(a, b))))
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6_lens
                    .iter()
                    .rev()
                    .find_map(|&b| self.v6.get(&(b, mask6(a, b))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut t = PrefixTable::new();
        let (ip, b) = parse_cidr("10.180/16").unwrap();
        assert_eq!(ip, "10.180.0.0".parse::<IpAddr>().unwrap());
        t.insert(ip, b, "wide");
        let (ip, b) = parse_cidr("10.180.156.249").unwrap();
        t.insert(ip, b, "host");
        let (ip, b) = parse_cidr("2001:db8::/32").unwrap();
        t.insert(ip, b, "v6");
        assert_eq!(t.lookup("10.180.156.249".parse().unwrap()), Some(&"host"));
        assert_eq!(t.lookup("10.180.1.1".parse().unwrap()), Some(&"wide"));
        assert_eq!(
            t.lookup("::ffff:10.180.1.1".parse().unwrap()),
            Some(&"wide")
        );
        assert_eq!(t.lookup("10.181.0.1".parse().unwrap()), None);
        assert_eq!(t.lookup("2001:db8::5".parse().unwrap()), Some(&"v6"));
        assert!(parse_cidr("10.300.0.0/8").is_none());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("nonsense").is_none());
    }
}
