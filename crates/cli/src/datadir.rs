//! One capture per `dataDir`: a capture holds an exclusive lock on `dataDir/capture.pid`
//! (holding its pid) for as long as it runs, so a second capture into the same
//! directory refuses to start, naming the holder, before it reads a packet or
//! registers a file. The lock is the kernel's (flock), so it ends with the process,
//! however the process ends.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, Result};
use fs4::fs_std::FileExt;

/// The name of the lock file in `dataDir`.
pub const LOCK_FILE: &str = "capture.pid";

/// Held while the capture runs.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes `data_dir` for this capture, creating it if needed.
pub fn lock(data_dir: &Path) -> Result<DataDirLock> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create dataDir {}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                " (made by a capture run as another user, e.g. root: run as that user, or \
                 chown dataDir to the user captures run as)"
            } else {
                ""
            };
            anyhow::anyhow!("cannot open {}: {e}{hint}", path.display())
        })?;
    let mine = FileExt::try_lock_exclusive(&file)
        .with_context(|| format!("cannot lock {}", path.display()))?;
    if !mine {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        anyhow::bail!(
            "dataDir {} is in use by another trawl capture ({}); stop it, or give this capture another dataDir",
            data_dir.display(),
            if holder.is_empty() {
                "its pid is not written yet".to_string()
            } else {
                format!("pid {holder}")
            }
        );
    }
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .and_then(|_| file.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(DataDirLock { _file: file })
}

/// Warns when root is about to write into a `dataDir` that belongs to another user
/// (the package's `trawl`, which the capture service runs as): what this run creates
/// there will be root's, and that user's captures could not write it afterwards.
pub fn warn_if_root_on_others(data_dir: &Path) {
    use std::os::unix::fs::MetadataExt;
    if !crate::privileges::is_root() {
        return;
    }
    let Ok(meta) = std::fs::metadata(data_dir) else {
        return;
    };
    if meta.uid() != 0 {
        tracing::warn!(
            "running as root in dataDir {} owned by uid {}: what this capture writes there \
             will be root's, and captures run as that user (the trawlcapture service) will \
             not be able to write it; run as that user instead (sudo -u <user> trawl capture ...)",
            data_dir.display(),
            meta.uid()
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = super::lock(dir.path()).unwrap();
        let e = super::lock(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(first);
        super::lock(dir.path()).expect("free again once the holder is gone");
    }
}
