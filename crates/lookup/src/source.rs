//! Where the tables come from, so they can be loaded again when a file changes (Arkime
//! reloads its OUI, RIR and GeoIP files the same way). The capture swaps the new
//! [`Lookups`] in whole; packet threads keep reading the old one until they next look.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::{LookupError, LookupFiles, Lookups};

/// The configured files and the modification times they were loaded at.
#[derive(Clone, Debug, Default)]
pub struct LookupSource {
    /// `ouiFile`.
    pub oui_file: Option<PathBuf>,
    /// `rirFile`.
    pub rir_file: Option<PathBuf>,
    /// `geoLite2Country` candidates.
    pub geo_country: Vec<PathBuf>,
    /// `geoLite2ASN` candidates.
    pub geo_asn: Vec<PathBuf>,
    /// `[override-ips]`.
    pub override_ips: Vec<(String, String)>,
    stamps: Vec<Option<SystemTime>>,
}

impl LookupSource {
    /// A source over these files.
    pub fn new(
        oui_file: Option<PathBuf>,
        rir_file: Option<PathBuf>,
        geo_country: Vec<PathBuf>,
        geo_asn: Vec<PathBuf>,
        override_ips: Vec<(String, String)>,
    ) -> Self {
        LookupSource {
            oui_file,
            rir_file,
            geo_country,
            geo_asn,
            override_ips,
            stamps: Vec::new(),
        }
    }

    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.oui_file
            .iter()
            .chain(self.rir_file.iter())
            .chain(self.geo_country.iter())
            .chain(self.geo_asn.iter())
    }

    fn current_stamps(&self) -> Vec<Option<SystemTime>> {
        self.paths()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect()
    }

    /// Loads every table and remembers the files' modification times.
    pub fn load(&mut self) -> Result<Lookups, LookupError> {
        let stamps = self.current_stamps();
        let l = Lookups::load(&LookupFiles {
            oui_file: self.oui_file.as_deref(),
            rir_file: self.rir_file.as_deref(),
            geo_country: &self.geo_country,
            geo_asn: &self.geo_asn,
            override_ips: &self.override_ips,
        })?;
        self.stamps = stamps;
        Ok(l)
    }

    /// Whether a file appeared, disappeared or was modified since the last load.
    pub fn changed(&self) -> bool {
        self.current_stamps() != self.stamps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewritten_file_is_noticed_and_reloaded() {
        let t = tempfile::tempdir().unwrap();
        let oui = t.path().join("oui.txt");
        std::fs::write(&oui, "00:11:22\tOld\tOld Vendor\n").unwrap();
        let mut src = LookupSource::new(Some(oui.clone()), None, vec![], vec![], vec![]);
        let l = src.load().unwrap();
        assert_eq!(l.oui(&[0, 0x11, 0x22, 0, 0, 1]), Some("Old Vendor"));
        assert!(!src.changed());
        std::fs::write(&oui, "00:11:22\tNew\tNew Vendor\n").unwrap();
        let f = std::fs::File::options().write(true).open(&oui).unwrap();
        f.set_modified(SystemTime::now() + std::time::Duration::from_secs(5))
            .unwrap();
        assert!(src.changed());
        let l = src.load().unwrap();
        assert_eq!(l.oui(&[0, 0x11, 0x22, 0, 0, 1]), Some("New Vendor"));
        assert!(!src.changed());
        std::fs::remove_file(&oui).unwrap();
        assert!(src.changed());
        assert!(
            src.load().is_err(),
            "a configured file that is gone is an error; the old tables stay"
        );
    }
}
