//! MAC vendor names from a Wireshark `manuf`-style file (`ouiFile`): prefix, short name,
//! long name, tab-separated; `/28` and `/36` prefixes for the finer IEEE blocks.

use std::collections::{BTreeSet, HashMap};

/// MAC prefix → vendor name, longest prefix first.
#[derive(Clone, Debug, Default)]
pub struct OuiTable {
    by_len: HashMap<(u8, u64), String>,
    lens: BTreeSet<u8>,
}

fn mask(mac: u64, bits: u8) -> u64 {
    if bits == 0 {
        0
    } else {
        mac & ((u64::MAX << (48 - u32::from(bits.min(48)))) & 0xffff_ffff_ffff)
    }
}

impl OuiTable {
    /// Parses the file's text. Returns the table and the number of lines skipped as
    /// malformed.
    pub fn parse(text: &str) -> (OuiTable, usize) {
        let mut t = OuiTable::default();
        let mut bad = 0;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("");
            if line.len() < 4 {
                continue;
            }
            let line = line.trim_end();
            let parts: Vec<&str> = line.split('\t').collect();
            if parts.len() < 2 {
                bad += 1;
                continue;
            }
            // The long name when there is one (the file sometimes has two tabs in a row).
            let name = match parts.get(2) {
                Some(p) if !p.is_empty() => *p,
                Some(_) => parts.get(3).copied().unwrap_or(""),
                None => parts[1],
            };
            let (hex, bits) = match parts[0].split_once('/') {
                Some((h, b)) => (h, b.trim().parse::<u8>().unwrap_or(24)),
                None => (parts[0], 24),
            };
            let digits: String = hex
                .chars()
                .filter(|c| !matches!(c, ':' | '-' | '.'))
                .collect();
            let mut mac = 0u64;
            let mut n = 0;
            for pair in digits.as_bytes().chunks(2).take(6) {
                let s = std::str::from_utf8(pair).unwrap_or("");
                mac = (mac << 8) | u64::from(u8::from_str_radix(s, 16).unwrap_or(0));
                n += 1;
            }
            if n == 0 {
                bad += 1;
                continue;
            }
            mac <<= 8 * (6 - n);
            let bits = bits.min(48);
            t.by_len.insert((bits, mask(mac, bits)), name.to_string());
            t.lens.insert(bits);
        }
        (t, bad)
    }

    /// The vendor of `mac`.
    pub fn lookup(&self, mac: &[u8; 6]) -> Option<&str> {
        let m = mac.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
        self.lens
            .iter()
            .rev()
            .find_map(|&b| self.by_len.get(&(b, mask(m, b))))
            .map(String::as_str)
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.by_len.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.by_len.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_finer_blocks() {
        let (t, bad) = OuiTable::parse(
            "# comment\n00:00:18\tWebsterC\tWebster Computer Corporation\t# Appletalk\n\
             00:13:72\tDell\tDell Inc.\n00:1B:C5:00:00:00/36\tConverg\tConvergence\n\
             00:1B:C5\tIEEERegi\t\tIEEE Registration\n00:55:DA\tShort\nbroken\n",
        );
        assert_eq!(bad, 1);
        assert_eq!(
            t.lookup(&[0, 0x13, 0x72, 0xc4, 0xf1, 0xe1]),
            Some("Dell Inc.")
        );
        assert_eq!(
            t.lookup(&[0, 0, 0x18, 1, 2, 3]),
            Some("Webster Computer Corporation")
        );
        assert_eq!(t.lookup(&[0, 0x1b, 0xc5, 0, 0, 5]), Some("Convergence"));
        assert_eq!(
            t.lookup(&[0, 0x1b, 0xc5, 1, 0, 5]),
            Some("IEEE Registration")
        );
        assert_eq!(t.lookup(&[0, 0x55, 0xda, 1, 0, 5]), Some("Short"));
        assert_eq!(t.lookup(&[2, 0, 0, 0, 0, 0]), None);
    }
}
