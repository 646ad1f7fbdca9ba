//! Helpers shared by the integration tests that run the `trawl` binary.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub fn trawl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
}

/// `trawl sample` written to `dir/name`.
pub fn sample(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let out = trawl().arg("sample").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    p
}

/// A run's stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
