//! MaxMind GeoLite2 country (or city) and ASN databases.

use std::net::IpAddr;
use std::path::Path;

use maxminddb::{geoip2, Reader};

/// What a country/city database says of an address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GeoHit {
    /// ISO country code.
    pub country: Option<String>,
    /// First subdivision ISO code (city databases).
    pub region: Option<String>,
    /// English city name (city databases).
    pub city: Option<String>,
}

/// A country or city database.
pub struct GeoCountry {
    reader: Reader<Vec<u8>>,
    is_city: bool,
}

impl GeoCountry {
    /// Opens a database file.
    pub fn open(path: &Path) -> Result<Self, maxminddb::MaxMindDBError> {
        let reader = Reader::open_readfile(path)?;
        let is_city = reader.metadata.database_type.contains("City");
        Ok(GeoCountry { reader, is_city })
    }

    /// Whether this is a city database (it also gives region and city).
    pub fn is_city(&self) -> bool {
        self.is_city
    }

    /// Looks `ip` up.
    pub fn lookup(&self, ip: IpAddr) -> GeoHit {
        if self.is_city {
            match self.reader.lookup::<geoip2::City>(ip) {
                Ok(c) => GeoHit {
                    country: c.country.and_then(|c| c.iso_code).map(str::to_string),
                    region: c
                        .subdivisions
                        .and_then(|s| s.into_iter().next())
                        .and_then(|s| s.iso_code)
                        .map(str::to_string),
                    city: c
                        .city
                        .and_then(|c| c.names)
                        .and_then(|n| n.get("en").map(|s| s.to_string())),
                },
                Err(_) => GeoHit::default(),
            }
        } else {
            match self.reader.lookup::<geoip2::Country>(ip) {
                Ok(c) => GeoHit {
                    country: c.country.and_then(|c| c.iso_code).map(str::to_string),
                    ..GeoHit::default()
                },
                Err(_) => GeoHit::default(),
            }
        }
    }
}

/// An ASN database.
pub struct GeoAsn {
    reader: Reader<Vec<u8>>,
}

impl GeoAsn {
    /// Opens a database file.
    pub fn open(path: &Path) -> Result<Self, maxminddb::MaxMindDBError> {
        Ok(GeoAsn {
            reader: Reader::open_readfile(path)?,
        })
    }

    /// Number and organization of `ip`'s autonomous system (both must be present).
    pub fn lookup(&self, ip: IpAddr) -> Option<(u32, String)> {
        let a = self.reader.lookup::<geoip2::Asn>(ip).ok()?;
        Some((
            a.autonomous_system_number?,
            a.autonomous_system_organization?.to_string(),
        ))
    }
}
