//! `--monitor`: watches directories with inotify, as Arkime's scheme file reader
//! does, and queues each file closed after writing (IN_CLOSE_WRITE) or moved in
//! (IN_MOVED_TO) whose path matches `offlineFilenameRegex`. With `--recursive`,
//! subdirectories (those there at the start, not hidden, and those created later)
//! are watched too.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
use regex::Regex;

use super::queue::{Queue, WorkItem};

/// What a watch was added with (carried by the files it queues).
#[derive(Clone)]
pub struct WatchFlags {
    pub recursive: bool,
    pub skip: Option<bool>,
    pub delete: Option<bool>,
    pub notify: Option<Arc<super::queue::Client>>,
    /// `add-dir --op`: for the files it queues too (Arkime's watch keeps the actions).
    pub ops: Option<Arc<Vec<trawl_rules::Op>>>,
}

/// The inotify instance's watches, and the directory and flags of each.
type WatchTable = (Watches, HashMap<WatchDescriptor, (PathBuf, WatchFlags)>);

/// The inotify instance's watches, and what each was added for.
pub struct Monitor {
    /// Held while a watch is added and recorded, so that an event for it always finds it.
    watches: Mutex<WatchTable>,
    regex: Regex,
    queue: Arc<Queue>,
}

impl Monitor {
    /// Starts the inotify instance and the thread that reads its events.
    pub fn start(regex: Regex, queue: Arc<Queue>) -> Result<Arc<Monitor>> {
        let inotify = Inotify::init().context("Couldn't init inotify")?;
        let m = Arc::new(Monitor {
            watches: Mutex::new((inotify.watches(), HashMap::new())),
            regex,
            queue,
        });
        let reader = Arc::clone(&m);
        std::thread::Builder::new()
            .name("trawl-monitor".into())
            .spawn(move || reader.run(inotify))
            .context("starting the directory monitor")?;
        Ok(m)
    }

    /// Watches `dir` (and, recursive, its subdirectories but hidden ones).
    pub fn watch(&self, dir: &Path, flags: &WatchFlags) -> Result<()> {
        {
            let mut guard = self
                .watches
                .lock()
                .map_err(|_| anyhow::anyhow!("directory monitor failed"))?;
            let (watches, known) = &mut *guard;
            let wd = watches
                .add(
                    dir,
                    WatchMask::CLOSE_WRITE | WatchMask::MOVED_TO | WatchMask::CREATE,
                )
                .with_context(|| format!("Couldn't watch {}", dir.display()))?;
            known.insert(wd, (dir.to_path_buf(), flags.clone()));
        }
        tracing::info!("monitoring {} for new files", dir.display());
        if flags.recursive {
            let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("Couldn't open pcap directory {}", dir.display()))?
                .flatten()
                .filter(|e| !e.file_name().as_bytes().starts_with(b"."))
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            subdirs.sort();
            for d in subdirs {
                if let Err(e) = self.watch(&d, flags) {
                    tracing::warn!("{e:#}");
                }
            }
        }
        Ok(())
    }

    fn run(&self, mut inotify: Inotify) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match inotify.read_events_blocking(&mut buf) {
                Ok(events) => {
                    for e in events {
                        self.event(e.wd, e.mask, e.name.unwrap_or_default());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::error!("Monitor read failed - {e}");
                    return;
                }
            }
        }
    }

    fn event(&self, wd: WatchDescriptor, mask: EventMask, name: &std::ffi::OsStr) {
        let Ok(mut guard) = self.watches.lock() else {
            return;
        };
        if mask.contains(EventMask::IGNORED) {
            guard.1.remove(&wd);
            return;
        }
        let Some((dir, flags)) = guard.1.get(&wd).cloned() else {
            return;
        };
        drop(guard);
        if name.is_empty() {
            return;
        }
        let full = dir.join(name);
        if mask.contains(EventMask::ISDIR) {
            if flags.recursive && mask.intersects(EventMask::CREATE | EventMask::MOVED_TO) {
                if let Err(e) = self.watch(&full, &flags) {
                    tracing::warn!("{e:#}");
                }
            }
            return;
        }
        if !mask.intersects(EventMask::CLOSE_WRITE | EventMask::MOVED_TO) {
            return;
        }
        // As Arkime's monitor: the regex is matched against the whole path.
        let path = full.display().to_string();
        if !self.regex.is_match(&path) {
            return;
        }
        tracing::debug!("Monitor enqueuing {path}");
        self.queue.push(WorkItem {
            input: path,
            skip: flags.skip,
            delete: flags.delete,
            notify: flags.notify.clone(),
            ops: flags.ops.clone(),
        });
    }
}
