//! Retention: the store deletes whole partitions, by age (`storeDays`), by size
//! (`storeMaxG`, in the style of Arkime's `freeSpaceG` for pcap: gigabytes, or a
//! percentage of the disk), or both. The store writer runs it on its own during
//! capture; `trawl db expire` deletes by age on request.
//!
//! Two partitions are never deleted: one the writer has open (it is being written),
//! and the one holding the newest session (deleting it would lose what was just
//! captured; a single partition larger than the cap stays until a newer one exists).

use std::path::Path;

use crate::{sessions_dir, Store, StoreError};

/// A size cap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeCap {
    /// Bytes.
    Bytes(u64),
    /// A percentage of the size of the disk that holds the store.
    PercentOfDisk(f64),
}

impl SizeCap {
    /// Reads `storeMaxG`'s value: gigabytes (`500`, `0.5`) or a percentage of the
    /// disk (`10%`). None when it is neither, or not above zero.
    pub fn parse(v: &str) -> Option<SizeCap> {
        let v = v.trim();
        let (num, pct) = match v.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (v, false),
        };
        let n: f64 = num
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && *n > 0.0)?;
        Some(if pct {
            SizeCap::PercentOfDisk(n.min(100.0))
        } else {
            SizeCap::Bytes((n * 1024.0 * 1024.0 * 1024.0) as u64)
        })
    }

    /// The cap in bytes for a store under `data_dir`.
    pub fn bytes(&self, data_dir: &Path) -> u64 {
        match *self {
            SizeCap::Bytes(b) => b,
            SizeCap::PercentOfDisk(p) => fs4::total_space(data_dir)
                .map(|t| (t as f64 * p / 100.0) as u64)
                .unwrap_or(u64::MAX),
        }
    }
}

/// What the store keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Retention {
    /// `storeMaxG`.
    pub max_size: Option<SizeCap>,
    /// `storeDays`: partitions whose newest session is older go.
    pub max_days: Option<f64>,
}

impl Retention {
    /// Whether nothing is ever deleted.
    pub fn is_off(&self) -> bool {
        self.max_size.is_none() && self.max_days.is_none()
    }
}

/// A partition retention deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    /// Its name.
    pub name: String,
    /// Its documents.
    pub docs: u64,
    /// Its bytes on disk.
    pub bytes: u64,
    /// Why: "age" or "size".
    pub why: &'static str,
}

/// Applies `r` to the store under `data_dir` at `now_ms`: first the partitions past
/// the age, then the oldest (by newest session) while the store is over its size,
/// skipping those `busy` says are being written and the newest.
pub fn enforce(
    data_dir: &Path,
    r: &Retention,
    busy: &dyn Fn(&str) -> bool,
    now_ms: i64,
) -> Result<Vec<Expired>, StoreError> {
    if r.is_off() {
        return Ok(Vec::new());
    }
    // By size alone and under the cap, nothing goes: known from the files' sizes,
    // without opening a partition (the writer asks after every commit).
    if r.max_days.is_none() {
        if let Some(cap) = r.max_size.map(|c| c.bytes(data_dir)) {
            if crate::dir_bytes(&sessions_dir(data_dir)) <= cap {
                return Ok(Vec::new());
            }
        }
    }
    let mut parts = Store::open(data_dir)?.info();
    // Oldest first; empty partitions (no span) before any other.
    parts.sort_by_key(|p| (p.span.map_or(i64::MIN, |s| s.1), p.name.clone()));
    let newest = parts
        .iter()
        .rev()
        .find(|p| p.span.is_some())
        .map(|p| p.name.clone());
    let mut total: u64 = parts.iter().map(|p| p.bytes).sum();
    let cap = r.max_size.map(|c| c.bytes(data_dir));
    let cutoff = r.max_days.map(|d| now_ms - (d * 86_400_000.0) as i64);
    let root = sessions_dir(data_dir);
    let mut gone = Vec::new();
    for p in &parts {
        if busy(&p.name) || newest.as_deref() == Some(p.name.as_str()) {
            continue;
        }
        let last = p.span.map_or(i64::MIN, |s| s.1);
        let why = if cutoff.is_some_and(|c| last < c) {
            "age"
        } else if cap.is_some_and(|c| total > c) {
            "size"
        } else {
            continue;
        };
        let dir = root.join(&p.name);
        std::fs::remove_dir_all(&dir).map_err(|e| StoreError::Io(dir.clone(), e))?;
        total = total.saturating_sub(p.bytes);
        gone.push(Expired {
            name: p.name.clone(),
            docs: p.docs,
            bytes: p.bytes,
            why,
        });
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_store::{four_days as store, DAY};
    use crate::{Kind, StoreOutput};
    use trawl_output::{Doc, DocOutput};

    fn names(dir: &Path) -> Vec<String> {
        Store::open(dir)
            .unwrap()
            .info()
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    fn total(dir: &Path) -> u64 {
        Store::open(dir)
            .unwrap()
            .info()
            .iter()
            .map(|p| p.bytes)
            .sum()
    }

    #[test]
    fn size_cap_deletes_the_oldest_whole_partitions() {
        let dir = tempfile::tempdir().unwrap();
        store(dir.path(), 50);
        let info = Store::open(dir.path()).unwrap().info();
        assert_eq!(info.len(), 4);
        // Room for the newest two.
        let cap = info[2].bytes + info[3].bytes;
        let r = Retention {
            max_size: Some(SizeCap::Bytes(cap)),
            max_days: None,
        };
        let gone = enforce(dir.path(), &r, &|_| false, 10 * DAY).unwrap();
        let gone: Vec<_> = gone
            .iter()
            .map(|g| (g.name.as_str(), g.docs, g.why))
            .collect();
        assert_eq!(
            gone,
            [
                ("sessions3-261101", 50, "size"),
                ("sessions3-261102", 50, "size")
            ]
        );
        assert_eq!(names(dir.path()), ["sessions3-261103", "sessions3-261104"]);
        assert!(total(dir.path()) <= cap);
        // Already within the cap: nothing more goes.
        assert!(enforce(dir.path(), &r, &|_| false, 10 * DAY)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn busy_and_newest_partitions_stay() {
        let dir = tempfile::tempdir().unwrap();
        store(dir.path(), 10);
        let r = Retention {
            max_size: Some(SizeCap::Bytes(1)),
            max_days: None,
        };
        // Day 1 is being written: days 2 and 3 go, day 4 (the newest) stays.
        let busy = |n: &str| n == "sessions3-261101";
        let gone = enforce(dir.path(), &r, &busy, 10 * DAY).unwrap();
        assert_eq!(gone.len(), 2);
        assert_eq!(names(dir.path()), ["sessions3-261101", "sessions3-261104"]);
    }

    #[test]
    fn age_deletes_partitions_whose_newest_session_is_older() {
        let dir = tempfile::tempdir().unwrap();
        store(dir.path(), 5);
        // Now is day 5 and a bit; keep 2.5 days: sessions that ended on day 3 or later.
        let r = Retention {
            max_size: None,
            max_days: Some(2.5),
        };
        let gone = enforce(dir.path(), &r, &|_| false, 5 * DAY + DAY / 4).unwrap();
        assert!(gone.iter().all(|g| g.why == "age"));
        assert_eq!(names(dir.path()), ["sessions3-261103", "sessions3-261104"]);
        assert!(enforce(dir.path(), &Retention::default(), &|_| false, 0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_writer_applies_retention_when_it_closes_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let fields = vec![
            ("firstPacket".to_string(), Kind::Int),
            ("lastPacket".to_string(), Kind::Int),
        ];
        let r = Retention {
            max_size: Some(SizeCap::Bytes(1)),
            max_days: None,
        };
        let out = StoreOutput::start_with(dir.path(), fields, r).unwrap();
        for day in 1..=3i64 {
            out.emit(Doc {
                index: format!("sessions3-2611{day:02}"),
                id: Some(format!("s{day}")),
                body: format!(
                    r#"{{"firstPacket":{},"lastPacket":{}}}"#,
                    day * DAY,
                    day * DAY
                ),
            });
        }
        out.finish();
        // Over a 1-byte cap, all but the newest partition go.
        assert_eq!(names(dir.path()), ["sessions3-261103"]);
        let st = &out.stats;
        assert_eq!(
            st.expired_partitions
                .load(std::sync::atomic::Ordering::Relaxed),
            2
        );
        assert_eq!(
            st.expired_docs.load(std::sync::atomic::Ordering::Relaxed),
            2
        );
    }

    #[test]
    fn caps_parse_as_arkime_free_space_does() {
        assert_eq!(SizeCap::parse("2"), Some(SizeCap::Bytes(2 << 30)));
        assert_eq!(SizeCap::parse("0.5"), Some(SizeCap::Bytes(512 << 20)));
        assert_eq!(SizeCap::parse(" 10% "), Some(SizeCap::PercentOfDisk(10.0)));
        for bad in ["", "x", "-1", "0", "%", "NaN"] {
            assert_eq!(SizeCap::parse(bad), None, "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let half = SizeCap::PercentOfDisk(50.0).bytes(dir.path());
        assert!(half > 0 && half < u64::MAX);
    }
}
