//! `freeSpaceG`: when the file system of the pcap directories has less free space
//! than this (`5%` of its size by default, or a number of GB), the oldest pcap files
//! that are neither locked nor still being written are deleted, with their files
//! documents, until there is enough (what Arkime's viewer does every minute).

use std::path::{Path, PathBuf};

use crate::files::FilesRegistry;

/// How much space must stay free.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FreeSpace {
    /// A percentage of the file system's size.
    Percent(f64),
    /// GiB.
    Gigabytes(f64),
}

impl FreeSpace {
    /// Parses `freeSpaceG` (`"5%"`, `"200"`).
    pub fn parse(v: &str) -> Option<FreeSpace> {
        let v = v.trim();
        match v.strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| (0.0..=100.0).contains(x))
                .map(FreeSpace::Percent),
            None => v
                .parse()
                .ok()
                .filter(|x: &f64| *x >= 0.0)
                .map(FreeSpace::Gigabytes),
        }
    }

    /// The bytes that must stay free on a file system of `total` bytes.
    pub fn bytes(self, total: u64) -> u64 {
        match self {
            FreeSpace::Percent(p) => (total as f64 * p / 100.0) as u64,
            FreeSpace::Gigabytes(g) => (g * 1024.0 * 1024.0 * 1024.0) as u64,
        }
    }
}

/// Free and total bytes of the file system holding a path.
pub type SpaceFn = dyn Fn(&Path) -> std::io::Result<(u64, u64)> + Send + Sync;

/// The real file system.
pub fn disk_space(p: &Path) -> std::io::Result<(u64, u64)> {
    let s = fs4::statvfs(p)?;
    Ok((s.available_space(), s.total_space()))
}

/// Deletes the oldest unlocked, closed files of `registry` that live under `dirs`
/// while the space under `dirs` is below `need`; returns the deleted paths.
pub fn expire(
    registry: &FilesRegistry,
    dirs: &[PathBuf],
    need: FreeSpace,
    space: &SpaceFn,
) -> Vec<String> {
    let mut deleted = Vec::new();
    let Some(probe) = dirs.iter().find(|d| d.exists()) else {
        return deleted;
    };
    let low = |p: &Path| match space(p) {
        Ok((free, total)) => free < need.bytes(total),
        Err(e) => {
            tracing::warn!(
                "freeSpaceG: cannot read the free space of {}: {e}",
                p.display()
            );
            false
        }
    };
    if !low(probe) {
        return deleted;
    }
    for f in registry.list() {
        if f.locked != 0
            || f.filesize.is_none()
            || !dirs.iter().any(|d| Path::new(&f.name).starts_with(d))
        {
            continue;
        }
        match std::fs::remove_file(&f.name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::error!("freeSpaceG: cannot delete {}: {e}", f.name);
                continue;
            }
        }
        if let Err(e) = registry.remove(f.num) {
            tracing::error!("{e}");
        }
        tracing::info!("freeSpaceG: deleted {} to free space", f.name);
        deleted.push(f.name);
        if !low(probe) {
            break;
        }
    }
    deleted
}
