//! The read-only lookup tables the capture consults when it writes a session document:
//! MAC vendors (`ouiFile`), IPv4 registries (`rirFile`), MaxMind GeoIP country and ASN
//! (`geoLite2Country`, `geoLite2ASN`), and `[override-ips]`. Loaded once, shared
//! read-only by every packet thread.

mod geo;
mod oui;
mod override_ips;
pub mod prefix;
mod rir;
mod source;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub use geo::{GeoAsn, GeoCountry, GeoHit};
pub use oui::OuiTable;
pub use override_ips::{OverrideError, OverrideInfo};
pub use prefix::PrefixTable;
pub use rir::RirTable;
pub use source::LookupSource;

/// Why a table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// A configured file could not be read.
    #[error("cannot read {what} file {path}: {source} - FIX by {}", fix_hint(what))]
    Read {
        /// Which table.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A MaxMind database could not be opened.
    #[error("cannot open {what} database {path}: {message}")]
    Mmdb {
        /// Which table.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An `[override-ips]` entry is malformed.
    #[error(transparent)]
    Override(#[from] OverrideError),
}

/// How to get the file of a table, as Arkime's `arkime_update_geo.sh` does.
fn fix_hint(what: &str) -> &'static str {
    match what {
        "OUI" => {
            "downloading https://www.wireshark.org/download/automated/data/manuf to that \
             path (what Arkime's arkime_update_geo.sh does) OR updating the ouiFile setting \
             (empty: no OUI lookups)"
        }
        "RIR" => {
            "downloading https://www.iana.org/assignments/ipv4-address-space/ipv4-address-space.csv \
             to that path (what Arkime's arkime_update_geo.sh does) OR updating the rirFile \
             setting (empty: no RIR lookups)"
        }
        _ => "updating the setting that names it",
    }
}

/// Which files to load.
pub struct LookupFiles<'a> {
    /// `ouiFile`.
    pub oui_file: Option<&'a Path>,
    /// `rirFile`.
    pub rir_file: Option<&'a Path>,
    /// `geoLite2Country` candidates: the first that exists is used.
    pub geo_country: &'a [PathBuf],
    /// `geoLite2ASN` candidates.
    pub geo_asn: &'a [PathBuf],
    /// `[override-ips]` entries.
    pub override_ips: &'a [(String, String)],
}

/// Everything Arkime writes about one IP address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IpInfo {
    /// ISO country code.
    pub country: Option<String>,
    /// AS number.
    pub asn_number: Option<u32>,
    /// AS organization.
    pub asn_org: Option<String>,
    /// Registry (IPv4 only, unless overridden).
    pub rir: Option<String>,
    /// Tags from override-ips.
    pub tags: Vec<String>,
    /// City (city databases or overrides).
    pub city: Option<String>,
    /// Region (city databases or overrides).
    pub region: Option<String>,
    /// Field values from override-ips (`field:value`).
    pub ops: Vec<(String, String)>,
}

impl IpInfo {
    /// `AS<n> <org>`, as Arkime writes `as.full` and `...ASN`.
    pub fn asn_full(&self) -> Option<String> {
        match (self.asn_number, &self.asn_org) {
            (Some(n), Some(o)) => Some(format!("AS{n} {o}")),
            _ => None,
        }
    }
}

/// The loaded tables.
#[derive(Default)]
pub struct Lookups {
    oui: Option<OuiTable>,
    rir: Option<RirTable>,
    country: Option<GeoCountry>,
    asn: Option<GeoAsn>,
    overrides: PrefixTable<OverrideInfo>,
}

fn read(what: &'static str, p: &Path) -> Result<String, LookupError> {
    let bytes = std::fs::read(p).map_err(|source| LookupError::Read {
        what,
        path: p.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl Lookups {
    /// No tables.
    pub fn empty() -> Lookups {
        Lookups::default()
    }

    /// Loads the configured tables. As in Arkime, an explicitly configured OUI or RIR
    /// file that cannot be read is an error; of the GeoIP candidate lists the first file
    /// that exists is used and none existing means no GeoIP.
    pub fn load(files: &LookupFiles) -> Result<Lookups, LookupError> {
        let mut l = Lookups::default();
        if let Some(p) = files.oui_file {
            let (t, bad) = OuiTable::parse(&read("OUI", p)?);
            if bad > 0 {
                tracing::warn!("{}: {bad} malformed lines skipped", p.display());
            }
            l.oui = Some(t);
        }
        if let Some(p) = files.rir_file {
            l.rir = Some(RirTable::parse(&read("RIR", p)?));
        }
        if let Some(p) = files.geo_country.iter().find(|p| p.exists()) {
            l.country = Some(GeoCountry::open(p).map_err(|e| LookupError::Mmdb {
                what: "GeoIP country",
                path: p.clone(),
                message: e.to_string(),
            })?);
        }
        if let Some(p) = files.geo_asn.iter().find(|p| p.exists()) {
            l.asn = Some(GeoAsn::open(p).map_err(|e| LookupError::Mmdb {
                what: "GeoIP ASN",
                path: p.clone(),
                message: e.to_string(),
            })?);
        }
        l.overrides = override_ips::build(files.override_ips)?;
        Ok(l)
    }

    /// Vendor name for a MAC, as Arkime writes it in srcOui/dstOui.
    pub fn oui(&self, mac: &[u8; 6]) -> Option<&str> {
        self.oui.as_ref()?.lookup(mac)
    }

    /// Everything Arkime writes about `ip`: override-ips values first, the databases
    /// for whatever they leave unset; the RIR only for IPv4.
    pub fn ip_info(&self, ip: IpAddr) -> IpInfo {
        let ip = match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        let mut info = IpInfo::default();
        if let Some(o) = self.overrides.lookup(ip) {
            info.country = o.country.clone();
            info.region = o.region.clone();
            info.city = o.city.clone();
            info.asn_number = o.asn_number;
            info.asn_org = o.asn_org.clone();
            info.rir = o.rir.clone();
            info.tags = o.tags.clone();
            info.ops = o.ops.clone();
        }
        if let IpAddr::V4(v4) = ip {
            if info.rir.is_none() {
                info.rir = self
                    .rir
                    .as_ref()
                    .and_then(|r| r.lookup(v4.octets()[0]))
                    .map(str::to_string);
            }
        }
        if let Some(c) = &self.country {
            if info.country.is_none()
                || (c.is_city() && (info.city.is_none() || info.region.is_none()))
            {
                let hit = c.lookup(ip);
                info.country = info.country.or(hit.country);
                info.region = info.region.or(hit.region);
                info.city = info.city.or(hit.city);
            }
        }
        if info.asn_org.is_none() {
            if let Some((n, o)) = self.asn.as_ref().and_then(|a| a.lookup(ip)) {
                info.asn_number = Some(n);
                info.asn_org = Some(o);
            }
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regression() -> Option<PathBuf> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/arkime-regression");
        if p.join("oui.txt").exists() {
            Some(p)
        } else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "../shared/arkime-regression is missing under CI"
            );
            eprintln!("skipped: ../shared/arkime-regression not present");
            None
        }
    }

    #[test]
    fn regression_tables_match_arkime_documents() {
        let Some(dir) = regression() else { return };
        let overrides = vec![
            (
                "10.0.0.1".to_string(),
                "tag:srcip;asn:AS0000 This is neat;country:RU".to_string(),
            ),
            ("10.180/16".to_string(), "country:US".to_string()),
        ];
        let country = vec![dir.join("GeoLite2-Country.mmdb")];
        let l = Lookups::load(&LookupFiles {
            oui_file: Some(&dir.join("oui.txt")),
            rir_file: Some(&dir.join("ipv4-address-space.csv")),
            geo_country: &country,
            geo_asn: &[],
            override_ips: &overrides,
        })
        .unwrap();
        // Values from pcap/http-simple-get.test.
        assert_eq!(
            l.oui(&[0x00, 0x13, 0x72, 0xc4, 0xf1, 0xe1]),
            Some("Dell Inc.")
        );
        assert_eq!(
            l.oui(&[0x00, 0x1f, 0x5b, 0xff, 0x51, 0xcb]),
            Some("Apple, Inc.")
        );
        let i = l.ip_info("10.180.156.249".parse().unwrap());
        assert_eq!(i.country.as_deref(), Some("US"));
        let o = l.ip_info("10.0.0.1".parse().unwrap());
        assert_eq!(o.tags, vec!["srcip"]);
        assert_eq!(o.asn_full().as_deref(), Some("AS0 This is neat"));
        assert_eq!(
            l.ip_info("8.8.8.8".parse().unwrap()).rir.as_deref(),
            Some("ARIN")
        );
        assert_eq!(
            l.ip_info("8.8.8.8".parse().unwrap()).country.as_deref(),
            Some("US")
        );
        assert!(l.ip_info("2001:db8::1".parse().unwrap()).rir.is_none());
    }

    #[test]
    fn missing_configured_file_is_an_error() {
        let r = Lookups::load(&LookupFiles {
            oui_file: Some(Path::new("/nonexistent/oui.txt")),
            rir_file: None,
            geo_country: &[],
            geo_asn: &[],
            override_ips: &[],
        });
        assert!(matches!(r, Err(LookupError::Read { what: "OUI", .. })));
        // The message says what to do about it.
        let msg = r.err().unwrap().to_string();
        assert!(
            msg.contains(
                "FIX by downloading https://www.wireshark.org/download/automated/data/manuf"
            ) && msg.contains("ouiFile setting"),
            "{msg}"
        );
    }
}
