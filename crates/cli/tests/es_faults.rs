//! `trawl capture` with a failing Elasticsearch (the fake cluster of the es crate's
//! tests): SIGTERM during an outage spools what is left within the drain deadline and
//! exits 0; a cluster unreachable at start, or a bad URL, stops the capture before it
//! reads anything (exit 1); documents that cannot even be spooled give exit 3.

#[path = "../../es/tests/fake/mod.rs"]
mod fake;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fake::{Fake, Mode};

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/sample.pcap")
}

/// Sessions a `--tests` run of the sample gives.
fn sessions_of_sample() -> usize {
    let out = Command::new(BIN)
        .args(["capture", "--tests", "-n", "test", "-r"])
        .arg(sample())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["sessions3"].as_array().unwrap().len()
}

fn capture(url: &str, data: &Path, opts: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["capture", "-n", "test"])
        .arg("-o")
        .arg(format!("elasticsearch={url}"))
        .arg("-o")
        .arg(format!("dataDir={}", data.display()));
    for o in opts {
        c.args(["-o", o]);
    }
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Waits up to `limit` for `child` to exit (killing it after that), then gives its
/// exit status (None when it had to be killed) and its stderr.
fn finish(mut child: Child, limit: Duration) -> (Option<ExitStatus>, String) {
    let status = wait(&mut child, limit);
    if status.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    (status, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn count(indexes: &[String], prefix: &str) -> usize {
    indexes.iter().filter(|i| i.starts_with(prefix)).count()
}

#[test]
fn sigterm_while_the_cluster_hangs_spools_within_the_deadline_and_exits_0() {
    let want = sessions_of_sample();
    let cluster = Fake::start(Mode::Normal);
    // `GET /` is still answered; bulk requests hang.
    cluster.set(Mode::Hang);
    let dir = tempfile::tempdir().unwrap();
    let child = capture(&cluster.url, dir.path(), &["elasticsearchDrainTimeout=2"])
        .arg("-r")
        .arg(sample())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while cluster.bulk_requests() == 0 && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(cluster.bulk_requests() > 0, "a bulk request was sent");
    sigterm(&child);
    let signalled = Instant::now();
    let (status, log) = finish(child, Duration::from_secs(10));
    let took = signalled.elapsed();
    let status = status.expect("capture exited");
    assert_eq!(status.code(), Some(0), "{status:?} {log}");
    assert!(
        took < Duration::from_secs(5),
        "exited {took:?} after SIGTERM"
    );
    let spooled = fake::spool_indexes(&dir.path().join("es-spool"));
    let accepted = cluster.accepted_indexes();
    assert_eq!(
        count(&spooled, "arkime_sessions3-") + count(&accepted, "arkime_sessions3-"),
        want,
        "{log}"
    );
    assert_eq!(
        count(&spooled, "arkime_files") + count(&accepted, "arkime_files"),
        1
    );
}

/// `n` Ethernet frames of an ethertype nothing decodes (no session), as pcap records.
fn filler(ts: &[u8], n: usize) -> Vec<u8> {
    let mut frame = vec![2u8; 6];
    frame.extend([4u8; 6]);
    frame.extend([0x88, 0xb5]);
    frame.extend([0u8; 1400]);
    let mut out = Vec::new();
    for _ in 0..n {
        out.extend_from_slice(ts);
        out.extend((frame.len() as u32).to_le_bytes());
        out.extend((frame.len() as u32).to_le_bytes());
        out.extend(&frame);
    }
    out
}

#[test]
fn sigterm_while_reading_stops_reading_flushes_and_spools() {
    let want = sessions_of_sample();
    let cluster = Fake::start(Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("in.pcap");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let child = capture(&cluster.url, dir.path(), &["elasticsearchDrainTimeout=2"])
        .arg("-r")
        .arg(&fifo)
        .spawn()
        .unwrap();
    // The capture opens its input after checking the cluster (a blocking open,
    // hence the thread).
    let (tx, rx) = std::sync::mpsc::channel();
    let f = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::OpenOptions::new().write(true).open(f).unwrap());
    });
    let mut w = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the capture opened its input");
    assert_eq!(cluster.get_requests(), 1);
    // The cluster goes away; the capture goes on reading.
    cluster.set(Mode::Refuse);
    // The sample, then more than the reader's 1 MiB chunk of frames that make no
    // session, so that the sample's packets are processed while the input is open.
    let pcap = std::fs::read(sample()).unwrap();
    let ts = pcap[24..32].to_vec();
    w.write_all(&pcap).unwrap();
    w.write_all(&filler(&ts, 1000)).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    sigterm(&child);
    std::thread::sleep(Duration::from_millis(300));
    // More packets arrive, and the input stays open: only the stop ends the read
    // (the capture may close its end while this is written).
    let _ = w.write_all(&filler(&ts, 1000));
    let (status, log) = finish(child, Duration::from_secs(10));
    drop(w);
    let status = status.expect("capture stopped reading");
    assert_eq!(status.code(), Some(0), "{status:?} {log}");
    assert!(log.contains("stop requested"), "{log}");
    let spooled = fake::spool_indexes(&dir.path().join("es-spool"));
    assert_eq!(count(&spooled, "arkime_sessions3-"), want, "{log}");
    assert_eq!(count(&spooled, "arkime_files"), 1);
    assert!(cluster.accepted_ids().is_empty());
}

#[test]
fn a_cluster_unreachable_at_start_exits_1_before_reading() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    let child = capture(&dead, dir.path(), &[])
        .arg("-r")
        .arg(sample())
        .spawn()
        .unwrap();
    let (status, log) = finish(child, Duration::from_secs(10));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(log.contains(&dead), "{log}");
    assert!(!log.contains("packets"), "nothing read: {log}");
    assert!(!dir.path().join("es-spool").exists());

    // Unless the operator asks to spool from the start.
    let child = capture(
        &dead,
        dir.path(),
        &[
            "elasticsearchSpoolWhenUnreachable=true",
            "elasticsearchDrainTimeout=1",
        ],
    )
    .arg("-r")
    .arg(sample())
    .spawn()
    .unwrap();
    let (status, log) = finish(child, Duration::from_secs(10));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{log}");
    assert!(!log.contains("unknown config key"), "{log}");
    let spooled = fake::spool_indexes(&dir.path().join("es-spool"));
    assert_eq!(count(&spooled, "arkime_sessions3-"), sessions_of_sample());
}

#[test]
fn a_bad_url_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let child = capture("http://[::1", dir.path(), &[])
        .arg("-r")
        .arg(sample())
        .spawn()
        .unwrap();
    let (status, log) = finish(child, Duration::from_secs(10));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(log.contains("'http://[::1'"), "{log}");
}

#[test]
fn documents_that_cannot_be_spooled_exit_3() {
    let cluster = Fake::start(Mode::Normal);
    cluster.set(Mode::Status(503));
    let dir = tempfile::tempdir().unwrap();
    // The spool directory cannot be made: a file is in its place.
    std::fs::write(dir.path().join("es-spool"), b"not a directory").unwrap();
    let child = capture(&cluster.url, dir.path(), &["elasticsearchDrainTimeout=1"])
        .arg("-r")
        .arg(sample())
        .spawn()
        .unwrap();
    let (status, log) = finish(child, Duration::from_secs(15));
    assert_eq!(status.and_then(|s| s.code()), Some(3), "{log}");
    // The sessions, the files document and the stats document.
    let lost = sessions_of_sample() + 2;
    assert!(
        log.contains(&format!("{lost} lost"))
            && log.contains(&format!("exit status 3: {lost} session documents")),
        "{log}"
    );
}
