//! IPv4 /8 → Regional Internet Registry, from IANA's ipv4-address-space.csv (`rirFile`):
//! the registry is the second label of the WHOIS column, upper-cased ("whois.arin.net"
//! → "ARIN").

/// The registry of each first octet.
#[derive(Clone, Debug)]
pub struct RirTable {
    names: Vec<Option<String>>,
}

impl Default for RirTable {
    fn default() -> Self {
        RirTable {
            names: vec![None; 256],
        }
    }
}

/// Splits a CSV line on commas outside double quotes.
fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote) = (0, false);
    for (i, c) in line.char_indices() {
        match c {
            '"' => quote = !quote,
            ',' if !quote => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

fn leading_int(s: &str) -> Option<u32> {
    let digits: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

impl RirTable {
    /// Parses the CSV text (the header line yields nothing).
    pub fn parse(text: &str) -> RirTable {
        let mut t = RirTable::default();
        for line in text.lines() {
            let f = fields(line);
            let Some(n) = f.first().and_then(|s| leading_int(s)).filter(|n| *n <= 255) else {
                continue;
            };
            let Some(whois) = f.get(3).filter(|w| !w.is_empty()) else {
                continue;
            };
            if let Some(label) = whois.split('.').nth(1).filter(|l| !l.is_empty()) {
                t.names[n as usize] = Some(label.to_ascii_uppercase());
            }
        }
        t
    }

    /// The registry of an IPv4 address's first octet.
    pub fn lookup(&self, first_octet: u8) -> Option<&str> {
        self.names
            .get(usize::from(first_octet))
            .and_then(|n| n.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_from_whois() {
        let t = RirTable::parse(
            "Prefix,Designation,Date,WHOIS,RDAP,Status [1],Note\n000/8,IANA,1981-09,,,RESERVED,[2]\n\
             003/8,\"Administered by ARIN, Inc\",1994-05,whois.arin.net,https://x,LEGACY,\n\
             041/8,AFRINIC,2014-04,whois.afrinic.net,https://y,ALLOCATED,\n",
        );
        assert_eq!(t.lookup(3), Some("ARIN"));
        assert_eq!(t.lookup(41), Some("AFRINIC"));
        assert_eq!(t.lookup(0), None);
        assert_eq!(t.lookup(200), None);
    }
}
