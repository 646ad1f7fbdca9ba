//! The documents of every Arkime regression pcap, held still: `trawl capture --tests`
//! on each pcap (as the conformance run does), normalized where a run differs from
//! the next (`@timestamp`, `timestamp`, `rootId`, document ids, session order), must
//! hash to what `tests/regression-documents.sha256` records. The conformance
//! baselines only say whether a pcap matches Arkime; this says that nothing about any
//! pcap's documents changed, matching or not, which is what a refactor of the parsers
//! or sessions must show.
//!
//! A change meant to alter documents rewrites the record with
//! `TRAWL_BLESS=1 cargo test --release -p trawl --test documents`, and says why in its
//! commit. A failure names each pcap that changed and leaves its new documents in
//! `target/regression-documents/<pcap>.json` for `diff` against the previous
//! binary's (`tests/doc-diff.sh REV` runs both sides).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The binary: this build's, or `TRAWL_DOCS_BIN` (another revision's, for
/// `tests/doc-diff.sh`).
fn bin() -> PathBuf {
    std::env::var_os("TRAWL_DOCS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_trawl")))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn record_path() -> PathBuf {
    root().join("tests/regression-documents.sha256")
}

/// A capture's `--tests` output as it is the same from one run to the next: volatile
/// values set to "SET", ids dropped, keys sorted, one session per line, lines sorted.
pub fn normalized(out: &[u8]) -> Result<String, String> {
    let v: Value = serde_json::from_slice(out).map_err(|e| format!("not JSON: {e}"))?;
    let sessions = v
        .get("sessions3")
        .and_then(Value::as_array)
        .ok_or("no sessions3 array")?;
    let mut lines: Vec<String> = sessions
        .iter()
        .map(|s| {
            let mut body = s.get("body").cloned().unwrap_or(Value::Null);
            if let Value::Object(o) = &mut body {
                for k in ["@timestamp", "timestamp", "rootId"] {
                    if o.contains_key(k) {
                        o.insert(k.into(), Value::String("SET".into()));
                    }
                }
            }
            let index = s
                .pointer("/header/index/_index")
                .cloned()
                .unwrap_or(Value::Null);
            sorted(&serde_json::json!({"index": index, "body": body})).to_string()
        })
        .collect();
    lines.sort();
    Ok(lines.join("\n"))
}

/// `v` with every object's keys in order, whatever serde_json's map keeps.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let m: BTreeMap<&String, Value> = o.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(m.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        v => v.clone(),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// (pcap name, hash of its normalized documents) for each pcap of `reg`, or why a
/// capture failed.
fn hashes(reg: &Path, names: &[String]) -> BTreeMap<String, Result<(String, String), String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(name) = names.get(i) else { break };
                let o = Command::new(bin())
                    .current_dir(reg)
                    .args(["capture", "--tests", "-c", "config.test.ini", "-n", "test"])
                    .arg("-r")
                    .arg(format!("pcap/{name}.pcap"))
                    .env_remove("RUST_LOG")
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                let err = String::from_utf8_lossy(&o.stderr);
                // Arkime's test config sets keys only its plugins and rules files read
                // (scrubspi, rules_communityId, rules_value_2): none is unknown.
                let r = if err.contains("unknown config key") {
                    Err(format!("config.test.ini gave a false warning: {err}"))
                } else if o.status.success() {
                    normalized(&o.stdout).map(|n| (hex(&Sha256::digest(n.as_bytes())), n))
                } else {
                    Err(format!("exit {:?}: {}", o.status.code(), err))
                };
                out.lock().unwrap().insert(name.clone(), r);
            });
        }
    });
    out.into_inner().unwrap()
}

#[test]
fn every_regression_pcap_gives_the_documents_recorded() {
    let reg = root().join("../shared/arkime-regression");
    if !reg.join("config.test.ini").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            reg.display()
        );
        eprintln!("skipped: {} not present", reg.display());
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(reg.join("pcap"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".pcap")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() > 100, "{} pcaps", names.len());
    let got = hashes(&reg, &names);

    // `tests/doc-diff.sh`: every pcap's normalized documents into a folder, no verdict.
    if let Some(dir) = std::env::var_os("TRAWL_DOCS_DUMP") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, r) in &got {
            let text = match r {
                Ok((_, docs)) => docs.clone(),
                Err(e) => format!("capture failed: {e}"),
            };
            std::fs::write(dir.join(format!("{name}.json")), text + "\n").unwrap();
        }
        return;
    }
    if std::env::var("TRAWL_BLESS").as_deref() == Ok("1") {
        let mut text = String::new();
        for (name, r) in &got {
            let (h, _) = r.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
            text.push_str(&format!("{h}  {name}\n"));
        }
        std::fs::write(record_path(), text).unwrap();
        eprintln!(
            "recorded {} pcaps in {}",
            got.len(),
            record_path().display()
        );
        return;
    }

    let record = std::fs::read_to_string(record_path()).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (make it with TRAWL_BLESS=1)",
            record_path().display()
        )
    });
    let want: BTreeMap<&str, &str> = record
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(h, n)| (n, h)))
        .collect();
    let dump = root().join("target/regression-documents");
    let mut changed = Vec::new();
    for (name, r) in &got {
        match (r, want.get(name.as_str())) {
            (Ok((h, _)), Some(w)) if h == w => {}
            (Ok((_, docs)), w) => {
                std::fs::create_dir_all(&dump).unwrap();
                std::fs::write(dump.join(format!("{name}.json")), docs).unwrap();
                changed.push(format!(
                    "{name}: {}",
                    if w.is_some() {
                        "changed"
                    } else {
                        "not recorded"
                    }
                ));
            }
            (Err(e), _) => changed.push(format!("{name}: capture failed: {e}")),
        }
    }
    for name in want.keys() {
        if !got.contains_key(*name) {
            changed.push(format!("{name}: recorded but no longer present"));
        }
    }
    assert!(
        changed.is_empty(),
        "documents differ from tests/regression-documents.sha256 for {} pcaps (new \
         documents in {}; TRAWL_BLESS=1 records them if the change is meant):\n{}",
        changed.len(),
        dump.display(),
        changed.join("\n")
    );
}

#[test]
fn normalizing_removes_only_what_differs_between_runs() {
    let a = br#"{"sessions3": [
      {"header":{"index":{"_index":"x-1"}},"body":{"b":2,"@timestamp":1,"rootId":"r1","a":[3,1]}},
      {"header":{"index":{"_index":"x-1"}},"body":{"a":1}}]}"#;
    let b = br#"{"sessions3": [
      {"header":{"index":{"_index":"x-1"}},"body":{"a":1}},
      {"header":{"index":{"_index":"x-1"}},"body":{"a":[3,1],"rootId":"r2","@timestamp":9,"b":2}}]}"#;
    assert_eq!(normalized(a).unwrap(), normalized(b).unwrap());
    // An array's order, a value or an index is a difference.
    for c in [
        &br#"{"sessions3": [{"header":{"index":{"_index":"x-1"}},"body":{"a":[1,3]}}]}"#[..],
        br#"{"sessions3": [{"header":{"index":{"_index":"x-2"}},"body":{"a":[3,1]}}]}"#,
    ] {
        let one = br#"{"sessions3": [{"header":{"index":{"_index":"x-1"}},"body":{"a":[3,1]}}]}"#;
        assert_ne!(normalized(c).unwrap(), normalized(one).unwrap());
    }
    assert!(normalized(b"{}").is_err());
}
