//! The offline inputs that arrive while capture runs (Arkime's scheme reader "later"
//! list): files a watched directory received (`--monitor`) and files the command
//! socket added (`add-file`, `add-dir`), read in arrival order after the command
//! line's; and the stop that `shutdown` asks for.

use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

static SHUTDOWN: AtomicBool = AtomicBool::new(false);

/// The `shutdown` command: as the first SIGINT/SIGTERM, stops reading; the capture
/// then saves its sessions and exits as usual.
pub fn request_shutdown() {
    SHUTDOWN.store(true, Ordering::SeqCst);
}

/// Whether the capture should stop: a signal or `shutdown`.
pub fn stop_requested() -> bool {
    crate::signals::stop_requested() || SHUTDOWN.load(Ordering::SeqCst)
}

/// A command socket connection: replies and the `file-done`/`file-error` notices of
/// `add-file --notify` go to it.
pub struct Client {
    stream: Mutex<UnixStream>,
}

impl Client {
    pub fn new(stream: UnixStream) -> Self {
        Client {
            stream: Mutex::new(stream),
        }
    }

    /// Writes `text`; a client that went away is only logged at debug level.
    pub fn send(&self, text: &str) {
        if let Ok(mut s) = self.stream.lock() {
            if let Err(e) = s.write_all(text.as_bytes()) {
                tracing::debug!("command client: {e}");
            }
        }
    }

    /// Closes the connection (the `exit` command).
    pub fn close(&self) {
        if let Ok(s) = self.stream.lock() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// A reply: to the client, or to the log for the `--command` commands run at startup
/// (which have none), as Arkime's `arkime_command_respond`.
pub fn respond(client: Option<&Client>, text: &str) {
    match client {
        Some(c) => c.send(text),
        None => {
            for line in text.lines() {
                tracing::info!("{line}");
            }
        }
    }
}

/// One input to read.
pub struct WorkItem {
    /// A path or a URI, as given.
    pub input: String,
    /// `--skip`/`--noskip` of `add-file`; the command line's (or `set skip`) otherwise.
    pub skip: Option<bool>,
    /// `--delete`/`--nodelete` of `add-file`; the command line's otherwise.
    pub delete: Option<bool>,
    /// `--notify`: the connection told when the file is done.
    pub notify: Option<Arc<Client>>,
    /// `--op`s of `add-file`/`add-dir`: run on the input's new sessions after the
    /// command line's `--op` and the input's `filenameOps`.
    pub ops: Option<Arc<Vec<trawl_rules::Op>>>,
}

#[derive(Default)]
struct State {
    items: VecDeque<WorkItem>,
    current: Option<String>,
}

/// The inputs waiting to be read.
#[derive(Default)]
pub struct Queue {
    state: Mutex<State>,
    cv: Condvar,
}

impl Queue {
    pub fn push(&self, item: WorkItem) {
        if let Ok(mut st) = self.state.lock() {
            st.items.push_back(item);
        }
        self.cv.notify_all();
    }

    /// The next input; with `wait`, waits for one until a stop is asked for.
    pub fn next(&self, wait: bool) -> Option<WorkItem> {
        let mut st = self.state.lock().ok()?;
        loop {
            if let Some(i) = st.items.pop_front() {
                st.current = Some(i.input.clone());
                return Some(i);
            }
            if !wait || stop_requested() {
                return None;
            }
            st = self.cv.wait_timeout(st, Duration::from_millis(200)).ok()?.0;
        }
    }

    /// The input taken last is done.
    pub fn done(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.current = None;
        }
    }

    /// The input being read, then those waiting (`file-status`).
    pub fn status(&self) -> Vec<String> {
        let Ok(st) = self.state.lock() else {
            return Vec::new();
        };
        st.current
            .iter()
            .cloned()
            .chain(st.items.iter().map(|i| i.input.clone()))
            .collect()
    }

    /// Inputs still waiting.
    pub fn len(&self) -> usize {
        self.state.lock().map_or(0, |s| s.items.len())
    }
}
