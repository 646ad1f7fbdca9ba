//! SIGINT and SIGTERM for a capture, live or offline: the first asks the readers to
//! stop (the capture then flushes every session, drains its outputs within their
//! deadline, spools what is left and exits as usual: 0 when nothing was lost), a
//! second one exits at once (130), as Arkime does.

use std::sync::atomic::{AtomicUsize, Ordering};

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_sig: libc::c_int) {
    // Only async-signal-safe work here: an atomic add and, the second time, _exit.
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe and ends the process without running
        // anything else.
        unsafe { libc::_exit(130) };
    }
}

/// Installs the handlers.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `on_signal` has the C signature signal() expects and does only
        // async-signal-safe work.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}
