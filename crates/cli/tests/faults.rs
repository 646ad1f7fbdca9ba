//! The capture's faults around the store and the pcap writer: a full disk, two captures
//! on one dataDir, a pcapDir that cannot be written, a bad or offline `bpf=`. Each
//! checks by count where every session document went, and that the exit status says
//! whether anything was lost (0 nothing, 1 refused to start, 3 something lost).
//!
//! The full-disk cases mount a small tmpfs in a mount namespace of their own
//! (`unshare -m`, as root, or `unshare -r -m` where user namespaces are allowed).
//! Where neither works they say so on stderr and pass as skipped, except under
//! `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

fn trawl() -> Command {
    Command::new(BIN)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The sample pcap, written by `trawl sample` into `dir`.
fn sample(dir: &Path) -> PathBuf {
    let pcap = dir.join("sample.pcap");
    let o = trawl().arg("sample").arg(&pcap).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    pcap
}

/// The session documents a `--tests` run gives for `pcap` with `opts`.
fn expected_sessions(pcap: &Path, opts: &[&str]) -> Vec<serde_json::Value> {
    let o = trawl()
        .args(["capture", "--tests", "-q", "-n", "test"])
        .args(opts)
        .arg("-r")
        .arg(pcap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["sessions3"].as_array().unwrap().clone()
}

/// How many sessions the store under `data` holds.
fn stored(data: &Path) -> usize {
    let o = trawl()
        .args(["sessions", "-q", "--json", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).lines().count()
}

/// A number the log gives before `suffix` ("12 documents could not be indexed").
fn count_before(log: &str, suffix: &str) -> Option<u64> {
    let i = log.find(suffix)?;
    log[..i].split_whitespace().last()?.parse().ok()
}

#[test]
fn a_second_capture_on_a_held_data_dir_refuses_before_reading() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let data = t.path().join("data");
    // The first capture reads a FIFO: it holds dataDir while it waits for the bytes.
    let fifo = t.path().join("slow.pcap");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let first = trawl()
        .args(["capture", "-q", "-n", "test", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&fifo)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first one holds the lock (it writes its pid).
    let pidfile = data.join("capture.pid");
    for _ in 0..200 {
        if std::fs::read_to_string(&pidfile).is_ok_and(|s| !s.trim().is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let second = trawl()
        .args(["capture", "-q", "-n", "test", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let msg = stderr(&second);
    assert!(
        msg.contains(&format!("pid {}", first.id())) && msg.contains("in use"),
        "{msg}"
    );
    // Now feed the first one its pcap: it finishes with every session, and only its
    // file is registered.
    std::fs::write(&fifo, std::fs::read(&pcap).unwrap()).unwrap();
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stored(&data), expected_sessions(&pcap, &[]).len());
    let files = trawl()
        .args(["db", "info", "-q", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&files.stdout);
    assert!(
        !info.contains("sample.pcap"),
        "the refused capture registered nothing: {info}"
    );
}

#[test]
fn a_pcap_dir_that_is_a_file_is_an_error_before_capture() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let data = t.path().join("data");
    let not_dir = t.path().join("pcapdir");
    std::fs::write(&not_dir, b"a file").unwrap();
    let o = trawl()
        .args(["capture", "-q", "--copy", "-n", "test", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-o")
        .arg(format!("pcapDir={}", not_dir.display()))
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not a directory"), "{}", stderr(&o));
    assert!(
        !trawl_store_has_sessions(&data),
        "nothing was captured before the error"
    );
}

fn trawl_store_has_sessions(data: &Path) -> bool {
    data.join("sessions")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some())
}

#[test]
fn bpf_filters_offline_reads_and_a_bad_one_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let all = expected_sessions(&pcap, &[]);
    let udp = expected_sessions(&pcap, &["-o", "bpf=udp"]);
    let is_udp = |s: &serde_json::Value| s["body"]["ipProtocol"] == 17;
    let want = all.iter().filter(|s| is_udp(s)).count();
    assert!(want > 0 && want < all.len(), "the sample has UDP and more");
    assert_eq!(udp.len(), want);
    assert!(udp.iter().all(is_udp));

    let o = trawl()
        .args([
            "capture",
            "--tests",
            "-q",
            "-n",
            "test",
            "-o",
            "bpf=((garbage",
            "-r",
        ])
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bpf"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "no documents before the error");
}

#[test]
fn config_keys_of_arkimes_test_config_are_known() {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/arkime-regression/config.test.ini");
    if !cfg.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            cfg.display()
        );
        eprintln!("skipped: {} not found", cfg.display());
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let dir = cfg.parent().unwrap();
    let o = trawl()
        .current_dir(dir)
        .args(["capture", "--tests", "-n", "test", "-c"])
        .arg(&cfg)
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let log = stderr(&o);
    for k in ["scrubspi", "rules_communityId", "rules_value_2"] {
        assert!(!log.contains(&format!("'{k}'")), "{k} flagged: {log}");
    }
}

#[test]
fn os_errors_are_printed_once_and_includes_name_their_includer() {
    let t = tempfile::tempdir().unwrap();
    let o = trawl()
        .args([
            "capture",
            "-q",
            "-c",
            "/nonexistent/trawl.ini",
            "-r",
            "x.pcap",
        ])
        .output()
        .unwrap();
    let log = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(log.matches("No such file or directory").count(), 1, "{log}");

    let main = t.path().join("main.ini");
    std::fs::write(&main, "[default]\nincludes=/nonexistent/extra.ini\n").unwrap();
    let o = trawl()
        .args(["capture", "-q", "-c"])
        .arg(&main)
        .args(["-r", "x.pcap"])
        .output()
        .unwrap();
    let log = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        log.contains("/nonexistent/extra.ini") && log.contains(&main.display().to_string()),
        "{log}"
    );
    assert_eq!(log.matches("No such file or directory").count(), 1, "{log}");
}

/// Runs `trawl ARGS` with `dir` replaced by a tmpfs of `kib` KiB, of which all but
/// `room` bytes are taken by a filler file. None when no mount namespace can be made.
fn on_small_disk(dir: &Path, kib: u32, room: u64, args: &[String]) -> Option<Output> {
    std::fs::create_dir_all(dir).unwrap();
    let script = format!(
        "mount -t tmpfs -o size={kib}k tmpfs \"$1\" || exit 97; \
         head -c {} /dev/zero > \"$1/filler\" 2>/dev/null; shift; exec \"$@\"",
        u64::from(kib) * 1024 - room
    );
    for unshare in [&["-m"][..], &["-r", "-m"][..]] {
        let o = Command::new("unshare")
            .args(unshare)
            .args(["sh", "-c", &script, "sh"])
            .arg(dir)
            .arg(BIN)
            .args(args)
            .output()
            .ok()?;
        if o.status.code() != Some(97) && !stderr(&o).starts_with("unshare:") {
            return Some(o);
        }
    }
    None
}

/// `trawl capture --copy` of `pcap` into `data` and `pcap_dir`, with `-o` options.
fn copy_args(data: &Path, pcap_dir: &Path, pcap: &Path, opts: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["capture", "--copy", "-n", "test"]
        .map(String::from)
        .to_vec();
    for o in opts {
        a.extend(["-o".to_string(), o.to_string()]);
    }
    a.extend([
        "-o".to_string(),
        format!("dataDir={}", data.display()),
        "-o".to_string(),
        format!("pcapDir={}", pcap_dir.display()),
        "-r".to_string(),
        pcap.display().to_string(),
    ]);
    a
}

fn skip_or_fail(what: &str) {
    let msg = format!(
        "{what}: no mount namespace for a small tmpfs here (needs root or user namespaces)"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
}

#[test]
fn a_full_store_disk_is_said_once_keeps_pcap_and_exits_3() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let want = expected_sessions(&pcap, &[]).len() as u64;
    let data = t.path().join("data");
    let pcap_dir = t.path().join("pcap");
    let args = copy_args(&data, &pcap_dir, &pcap, &[]);
    let Some(o) = on_small_disk(&data, 256, 8192, &args) else {
        return skip_or_fail("full store disk");
    };
    let log = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{log}");
    assert_eq!(
        log.matches("the disk is full").count(),
        1,
        "said once: {log}"
    );
    assert!(
        log.contains(&data.display().to_string()),
        "says where: {log}"
    );
    assert!(!log.contains("killed"), "no line per batch: {log}");
    // Every document is either indexed or counted as lost.
    let lost = count_before(&log, "documents could not be indexed").unwrap_or(0);
    let indexed = count_before(&log, "documents indexed").unwrap_or(0);
    assert_eq!(lost + indexed, want, "{log}");
    assert!(lost > 0, "{log}");
    // The packets went to pcapDir all the same, byte for byte.
    let written: u64 = std::fs::read_dir(&pcap_dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(written > 0, "pcap written beside the full store");
}

#[test]
fn a_full_pcap_disk_keeps_every_document_and_exits_3() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let want = expected_sessions(&pcap, &[]).len();
    let data = t.path().join("data");
    let pcap_dir = t.path().join("pcap");
    let args = copy_args(
        &data,
        &pcap_dir,
        &pcap,
        &["simpleCompression=none", "freeSpaceG=0"],
    );
    let Some(o) = on_small_disk(&pcap_dir, 64, 0, &args) else {
        return skip_or_fail("full pcap disk");
    };
    let log = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{log}");
    assert!(log.contains("bytes of packets were not written"), "{log}");
    assert_eq!(stored(&data), want, "every document indexed: {log}");
}
