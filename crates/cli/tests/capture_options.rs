//! The rest of Arkime capture's command line, run through the real binary: each option
//! does what Arkime's does, or is accepted and said to have no effect.

use std::io::Read;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

mod common;
use common::{sample, stderr, tests_docs, trawl};

/// `capture` with a store under `data` (node n1) and these arguments.
fn capture(data: &Path, args: &[&str], files: &[&Path]) -> Output {
    let mut c = trawl();
    c.args(["capture", "-n", "n1", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .args(args);
    for f in files {
        c.arg("-r").arg(f);
    }
    c.output().unwrap()
}

/// The files registry documents of node n1 under `data`.
fn registry(data: &Path) -> Vec<serde_json::Value> {
    let Ok(rd) = std::fs::read_dir(data.join("files")) else {
        return Vec::new();
    };
    let mut v: Vec<serde_json::Value> = rd
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("n1-") && n.ends_with(".json")
        })
        .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
        .collect();
    v.sort_by_key(|f| f["num"].as_u64());
    v
}

#[test]
fn version_prints_trawl_and_the_arkime_it_follows() {
    for flag in ["-v", "--version"] {
        let out = trawl().args(["capture", flag]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let s = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            s.trim(),
            format!(
                "trawl {} (Arkime capture 6.7.1 compatible)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}

#[test]
fn debug_raises_the_log_level_and_overrides_quiet() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let run = |extra: &[&str]| {
        let mut c = trawl();
        c.args(["capture", "--tests", "-n", "n1"])
            .args(extra)
            .arg("-r")
            .arg(&pcap);
        c.env_remove("RUST_LOG");
        c.output().unwrap()
    };
    let plain = run(&[]);
    assert!(plain.status.success());
    assert!(!stderr(&plain).contains("DEBUG"), "{}", stderr(&plain));
    for args in [&["-d"][..], &["--debug", "-q"][..], &["-dd"][..]] {
        let out = run(args);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("DEBUG"), "{args:?}: {err}");
        assert!(err.contains("nodeName = n1"), "{err}");
        assert!(err.contains("debug = "), "{err}");
        // Documents are unchanged.
        assert_eq!(
            tests_docs(&out.stdout).len(),
            tests_docs(&plain.stdout).len()
        );
    }
    let twice = stderr(&run(&["-d", "-d"]));
    assert!(twice.contains("debug = 2"), "{twice}");
}

#[test]
fn host_is_the_hostname_of_the_stats_document() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let data = t.path().join("data");
    let out = capture(&data, &["--host", "sensor1.example.org"], &[&pcap]);
    assert!(out.status.success(), "{}", stderr(&out));
    let st: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("stats/n1.json")).unwrap()).unwrap();
    assert_eq!(st["hostname"], "sensor1.example.org");
    assert_eq!(st["nodeName"], "n1", "the node name is apart from the host");
    // Without --host: the machine's name.
    let data2 = t.path().join("data2");
    let out = capture(&data2, &[], &[&pcap]);
    assert!(out.status.success(), "{}", stderr(&out));
    let st: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data2.join("stats/n1.json")).unwrap()).unwrap();
    assert_ne!(st["hostname"], "sensor1.example.org");
}

#[test]
fn options_without_meaning_for_trawl_are_accepted_and_explained() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let base = trawl()
        .args(["capture", "--tests", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--libpcap"],
            "--libpcap: trawl reads pcap files itself; ignored",
        ),
        (
            &["--insecure"],
            "--insecure: trawl's cluster client speaks plain http",
        ),
        (&["--provider", "aws"], "--provider aws: trawl has no cloud"),
        (
            &["--profile", "p1"],
            "--profile p1: trawl has no cloud credentials",
        ),
        (
            &["--regressionTests"],
            "--regressionTests: only changes --dumpConfig",
        ),
    ];
    for (args, said) in cases {
        let out = trawl()
            .args(["capture", "--tests"])
            .args(args)
            .arg("-r")
            .arg(&pcap)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.matches(said).count(), 1, "{args:?}: {err}");
        assert_eq!(
            tests_docs(&out.stdout),
            tests_docs(&base.stdout),
            "{args:?} changes nothing"
        );
    }
}

#[test]
fn nolockpcap_registers_the_files_read_unlocked() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let locked = t.path().join("locked");
    assert!(capture(&locked, &[], &[&pcap]).status.success());
    let unlocked = t.path().join("unlocked");
    let out = capture(&unlocked, &["--nolockpcap"], &[&pcap]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (registry(&locked), registry(&unlocked));
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!(a[0]["locked"], 1);
    assert_eq!(b[0]["locked"], 0, "{}", b[0]);
    assert!(b[0]["name"].as_str().unwrap().ends_with("s.pcap"));
}

#[test]
fn nospi_writes_no_session_documents_but_registers_the_pcap() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let data = t.path().join("data");
    let out = capture(&data, &["--nospi"], &[&pcap]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !data.join("sessions").exists(),
        "no session store: {}",
        stderr(&out)
    );
    assert_eq!(registry(&data).len(), 1, "the pcap is still registered");
    assert!(data.join("stats/n1.json").exists(), "stats still written");
    // The sessions command finds nothing there.
    let s = trawl()
        .args(["sessions", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&s.stdout).contains("10.1.0.10"),
        "{}",
        String::from_utf8_lossy(&s.stdout)
    );
    // --tests still prints them, as Arkime's capture.
    let out = trawl()
        .args(["capture", "--tests", "--nospi", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(tests_docs(&out.stdout).len(), 4);
}

#[test]
fn nostats_writes_no_stats_documents() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let data = t.path().join("data");
    let out = capture(&data, &["--nostats"], &[&pcap]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!data.join("stats").exists());
    assert!(data.join("sessions").exists(), "sessions still written");
    let data2 = t.path().join("data2");
    assert!(capture(&data2, &[], &[&pcap]).status.success());
    assert!(data2.join("stats/n1.json").exists());
}

#[test]
fn missing_inputs_are_not_read_and_the_exit_status_says_so() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let missing = t.path().join("gone.pcap");
    let data = t.path().join("data");
    let out = capture(&data, &[], &[&pcap, &missing]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("gone.pcap: No such file"), "{err}");
    assert!(err.contains("read 1 files"), "{err}");
    assert!(err.contains("1 of 2 inputs could not be read"), "{err}");
    // Only the file read is registered.
    let reg = registry(&data);
    assert_eq!(reg.len(), 1);
    assert!(reg[0]["name"].as_str().unwrap().ends_with("s.pcap"));
    // Nothing there at all: 1, as before.
    let out = trawl()
        .args(["capture", "--tests", "-r"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A file that is not pcap also counts as not read.
    let txt = t.path().join("notes.pcap");
    std::fs::write(&txt, "not a capture").unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-r"])
        .arg(&pcap)
        .arg("-r")
        .arg(&txt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(tests_docs(&out.stdout).len(), 4);
}

#[test]
fn ignoreerrors_goes_on_past_bad_inputs_with_status_0() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let txt = t.path().join("notes.pcap");
    std::fs::write(&txt, "not a capture").unwrap();
    let missing = t.path().join("gone.pcap");
    let mut c = trawl();
    c.args(["capture", "--tests", "--ignoreerrors"]);
    for f in [&pcap, &txt, &missing] {
        c.arg("-r").arg(f);
    }
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("notes.pcap") && err.contains("--ignoreerrors: going on"),
        "{err}"
    );
    assert!(err.contains("gone.pcap"), "{err}");
    assert_eq!(tests_docs(&out.stdout).len(), 4);
    // Every input bad: still 0 with --ignoreerrors, 1 without.
    let out = trawl()
        .args(["capture", "--tests", "--ignoreerrors", "-r"])
        .arg(&txt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = trawl()
        .args(["capture", "--tests", "-r"])
        .arg(&txt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn dump_config_prints_overrides_and_sections_and_regression_tests_exits() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let ini = t.path().join("config.ini");
    std::fs::write(
        &ini,
        "[default]\nsnapLen=2000\nbpf=\n\n[n1]\nmaxStreams=100\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        trawl()
            .args(["capture", "--tests", "-n", "n1", "-c"])
            .arg(&ini)
            .args(["-o", "pcapWriteSize=65536", "--dumpConfig"])
            .args(extra)
            .arg("-r")
            .arg(&pcap)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("OVERRIDE:\npcapWriteSize=65536\nCONFIG:\n[default]\nbpf=\nsnapLen=2000\n\n[n1]\nmaxStreams=100\n"),
        "{err}"
    );
    assert_eq!(tests_docs(&out.stdout).len(), 4, "then it captures");
    // With --regressionTests it stops after the dump.
    let out = run(&["--regressionTests"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("CONFIG:"));
    assert!(out.stdout.is_empty(), "nothing captured");
}

#[test]
fn tags_is_arkimes_other_name_for_tag() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let out = trawl()
        .args([
            "capture", "--tests", "--tags", "a,b", "-t", "c", "--tag", "d",
        ])
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for d in tests_docs(&out.stdout) {
        let tags: Vec<&str> = d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        // In Arkime --tags and --tag fill the same list, one tag per use.
        for want in ["a,b", "c", "d"] {
            assert!(tags.contains(&want), "{tags:?}");
        }
    }
}

#[test]
fn second_processing_warns_skip_skips_and_reprocess_reuses_the_entry() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let other = sample(t.path(), "other.pcap");
    let data = t.path().join("data");
    let first = capture(&data, &[], &[&pcap]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!stderr(&first).contains("already processed"));
    assert_eq!(registry(&data).len(), 1);

    // Again: read, as a new entry, with a warning.
    let again = capture(&data, &[], &[&pcap]);
    let err = stderr(&again);
    assert!(again.status.success(), "{err}");
    assert!(
        err.contains("s.pcap was already processed (files registry entry 1)"),
        "{err}"
    );
    assert!(err.contains("read 1 files"), "{err}");
    assert_eq!(registry(&data).len(), 2);

    // -s: the known file is skipped, a new one read.
    for flag in ["-s", "--skip"] {
        let out = capture(&data, &[flag], &[&pcap]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(
            err.contains("skipping") && err.contains("already processed"),
            "{err}"
        );
        assert!(!err.contains("read 1 files"), "nothing read: {err}");
    }
    assert_eq!(registry(&data).len(), 2);
    let out = capture(&data, &["-s"], &[&pcap, &other]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("read 1 files"), "{err}");
    assert_eq!(registry(&data).len(), 3, "other.pcap registered");

    // --reprocess: read again under the newest entry, no new entry, no warning.
    let out = capture(&data, &["--reprocess"], &[&pcap]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("already processed"), "{err}");
    assert!(err.contains("under its files registry entry 2"), "{err}");
    assert!(err.contains("read 1 files"), "{err}");
    assert_eq!(registry(&data).len(), 3);
    // --reprocess of a file never processed: refused, as Arkime's.
    let new = sample(t.path(), "new.pcap");
    let out = capture(&data, &["--reprocess"], &[&new]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Can't reprocess") && err.contains("new.pcap"),
        "{err}"
    );
    assert_eq!(registry(&data).len(), 3);

    // As in Arkime: not with --copy; not both.
    let out = capture(&data, &["-s", "--copy"], &[&pcap]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Can't skip and copy"),
        "{}",
        stderr(&out)
    );
    let out = capture(&data, &["-s", "--reprocess"], &[&pcap]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn delete_removes_each_file_read_to_its_end_and_requires_copy() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let pcap = sample(t.path(), "s.pcap");
    // Without --copy: refused, as Arkime's capture, and the file stays.
    let out = capture(&data, &["--delete"], &[&pcap]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--delete requires --copy"),
        "{}",
        stderr(&out)
    );
    assert!(pcap.exists());

    // A file cut inside a record is kept; a whole one is deleted.
    let bytes = std::fs::read(&pcap).unwrap();
    let cut = t.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let out = capture(&data, &["--copy", "--delete"], &[&pcap, &cut]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!pcap.exists(), "{err}");
    assert!(
        err.contains("--delete: deleted") && err.contains("s.pcap"),
        "{err}"
    );
    assert!(cut.exists(), "{err}");
    assert!(err.contains("cut.pcap kept"), "{err}");
    // The packets are in pcapDir: the copies are registered.
    let reg = registry(&data);
    assert!(!reg.is_empty());
    for f in &reg {
        let name = f["name"].as_str().unwrap();
        assert!(Path::new(name).exists(), "{name}");
        assert!(name.starts_with(&data.display().to_string()), "{name}");
    }

    // A file that is not pcap is kept, unless --ignoreerrors (Arkime's force delete).
    let txt = t.path().join("notes.pcap");
    std::fs::write(&txt, "not a capture").unwrap();
    let out = capture(&data, &["--copy", "--delete"], &[&txt]);
    assert_eq!(out.status.code(), Some(1));
    assert!(txt.exists());
    let out = capture(&data, &["--copy", "--delete", "--ignoreerrors"], &[&txt]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!txt.exists());
}

/// A cluster as Arkime's capture finds one `db.pl init` made (schema 86): every
/// request is recorded as (method, path, body).
struct FakeCluster {
    url: String,
    requests: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl FakeCluster {
    fn start() -> FakeCluster {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let rec = Arc::clone(&requests);
        std::thread::spawn(move || {
            for mut req in server.incoming_requests() {
                let mut raw = Vec::new();
                let _ = req.as_reader().read_to_end(&mut raw);
                let gzip = req.headers().iter().any(|h| {
                    h.field.equiv("Content-Encoding")
                        && h.value.as_str().eq_ignore_ascii_case("gzip")
                });
                let body = if gzip {
                    let mut s = String::new();
                    flate2::read::GzDecoder::new(&raw[..])
                        .read_to_string(&mut s)
                        .unwrap();
                    s
                } else {
                    String::from_utf8_lossy(&raw).into_owned()
                };
                let path = req.url().split('?').next().unwrap_or("").to_string();
                let answer = if let Some(name) = path.strip_prefix("/_template/") {
                    format!(r#"{{"{name}":{{"mappings":{{"_meta":{{"molochDbVersion":86}}}}}}}}"#)
                } else if path.contains("sequence/_doc/") {
                    r#"{"found":true,"_version":7}"#.to_string()
                } else if path.ends_with("fields/_search") {
                    r#"{"hits":{"total":{"value":0},"hits":[]}}"#.to_string()
                } else if path == "/_bulk" {
                    let mut items = Vec::new();
                    let mut lines = body.lines().filter(|l| !l.trim().is_empty());
                    while let Some(action) = lines.next() {
                        let a: serde_json::Value = serde_json::from_str(action).unwrap();
                        let op = a.as_object().unwrap().keys().next().unwrap().clone();
                        if op != "delete" {
                            lines.next();
                        }
                        items.push(format!(r#"{{"{op}":{{"status":201}}}}"#));
                    }
                    format!(r#"{{"errors":false,"items":[{}]}}"#, items.join(","))
                } else {
                    r#"{"version":{"number":"8.15.0"}}"#.to_string()
                };
                rec.lock()
                    .unwrap()
                    .push((req.method().to_string(), path, body));
                let h = tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
                let _ = req.respond(tiny_http::Response::from_string(answer).with_header(h));
            }
        });
        FakeCluster { url, requests }
    }

    fn paths(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, p, _)| p.clone())
            .collect()
    }

    /// The indices of the documents the bulk requests carried.
    fn bulk_indices(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, p, body) in self.requests.lock().unwrap().iter() {
            if p != "/_bulk" {
                continue;
            }
            for l in body.lines() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(l) {
                    if let Some(i) = v["index"]["_index"].as_str() {
                        out.push(i.to_string());
                    }
                }
            }
        }
        out
    }
}

fn capture_to_cluster(c: &FakeCluster, data: &Path, args: &[&str], pcap: &Path) -> Output {
    let es = format!("elasticsearch={}", c.url);
    capture(
        data,
        &["-o", &es]
            .iter()
            .copied()
            .chain(args.iter().copied())
            .collect::<Vec<_>>(),
        &[pcap],
    )
}

#[test]
fn norefresh_leaves_out_the_refresh_at_exit() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let c = FakeCluster::start();
    let out = capture_to_cluster(&c, &t.path().join("d1"), &[], &pcap);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        c.paths().iter().any(|p| p.ends_with("/_refresh")),
        "{:?}",
        c.paths()
    );
    let c = FakeCluster::start();
    let out = capture_to_cluster(&c, &t.path().join("d2"), &["--norefresh"], &pcap);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(c.paths().iter().any(|p| p == "/_bulk"), "{:?}", c.paths());
    assert!(
        !c.paths().iter().any(|p| p.ends_with("/_refresh")),
        "{:?}",
        c.paths()
    );
}

#[test]
fn nospi_and_nostats_with_a_cluster() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let c = FakeCluster::start();
    let out = capture_to_cluster(&c, &t.path().join("d1"), &["--nospi"], &pcap);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let idx = c.bulk_indices();
    assert!(!idx.iter().any(|i| i.contains("sessions3")), "{idx:?}");
    assert!(idx.iter().any(|i| i == "arkime_files"), "{idx:?}");
    assert!(idx.iter().any(|i| i == "arkime_stats"), "{idx:?}");

    let c = FakeCluster::start();
    let out = capture_to_cluster(&c, &t.path().join("d2"), &["--nostats"], &pcap);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let idx = c.bulk_indices();
    assert!(idx.iter().any(|i| i.contains("sessions3")), "{idx:?}");
    assert!(!idx.iter().any(|i| i.contains("stats")), "{idx:?}");
}
