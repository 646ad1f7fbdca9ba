//! Dropping root after the interfaces are open (`dropUser`, `dropGroup`), as Arkime
//! does: the group first (and the supplementary groups with it), then the user.

use std::ffi::CString;

use anyhow::{bail, Context, Result};

/// Switches to `group` and `user` (names or numbers); nothing when neither is set.
pub fn drop_to(user: Option<&str>, group: Option<&str>) -> Result<()> {
    if let Some(g) = group {
        let gid = match g.parse::<libc::gid_t>() {
            Ok(n) => n,
            Err(_) => {
                let name = CString::new(g).context("dropGroup")?;
                // SAFETY: getgrnam reads a NUL-terminated name; the result, if any, is
                // read at once, before another call could overwrite it.
                let gr = unsafe { libc::getgrnam(name.as_ptr()) };
                if gr.is_null() {
                    bail!("dropGroup: no group '{g}'");
                }
                // SAFETY: `gr` is non-null and points to libc's group record.
                unsafe { (*gr).gr_gid }
            }
        };
        // SAFETY: plain system calls with a valid one-element group list.
        unsafe {
            if libc::setgroups(1, &gid) != 0 || libc::setgid(gid) != 0 {
                bail!("dropGroup {g}: {}", std::io::Error::last_os_error());
            }
        }
    }
    if let Some(u) = user {
        let uid = match u.parse::<libc::uid_t>() {
            Ok(n) => n,
            Err(_) => {
                let name = CString::new(u).context("dropUser")?;
                // SAFETY: as for getgrnam above.
                let pw = unsafe { libc::getpwnam(name.as_ptr()) };
                if pw.is_null() {
                    bail!("dropUser: no user '{u}'");
                }
                // SAFETY: `pw` is non-null and points to libc's passwd record.
                unsafe { (*pw).pw_uid }
            }
        };
        // SAFETY: a plain system call.
        if unsafe { libc::setuid(uid) } != 0 {
            bail!("dropUser {u}: {}", std::io::Error::last_os_error());
        }
    }
    if user.is_some() || group.is_some() {
        tracing::info!(
            "running as user {} group {}",
            user.unwrap_or("(unchanged)"),
            group.unwrap_or("(unchanged)")
        );
    }
    Ok(())
}

/// Whether the process runs as root (effective uid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
