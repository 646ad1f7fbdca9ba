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

/// The session documents of a `--tests` run, without `@timestamp` (when each was
/// written: it differs from run to run).
pub fn tests_docs(stdout: &[u8]) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("one JSON object: {e}: {}", String::from_utf8_lossy(stdout)));
    v["sessions3"]
        .as_array()
        .expect("sessions3")
        .iter()
        .map(|s| {
            let mut b = s["body"].clone();
            b.as_object_mut().map(|o| o.remove("@timestamp"));
            b
        })
        .collect()
}
