//! `trawl capture` with `elasticsearch=` set: the session documents reach the cluster
//! (a fake one here) in `_bulk` requests, the same documents `--tests` prints.

#[path = "../../es/tests/fake/mod.rs"]
mod fake;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

#[test]
fn capture_sends_its_documents_to_elasticsearch() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pcap = root.join("samples/sample.pcap");
    let cluster = fake::Fake::start(fake::Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let es = format!("elasticsearch={}", cluster.url);
    let data = format!("dataDir={}", dir.path().display());
    let out = Command::new(BIN)
        .args(["capture", "-n", "test", "-o", &es, "-o", &data, "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let tests = Command::new(BIN)
        .args(["capture", "--tests", "-n", "test", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&tests.stdout).unwrap();
    let want = v["sessions3"].as_array().unwrap().len();
    let (mut sessions, mut files, mut stats) = (0, 0, 0);
    for ((id, body), index) in cluster.accepted().iter().zip(cluster.accepted_indexes()) {
        let b: serde_json::Value = serde_json::from_str(body).unwrap();
        if index == "arkime_stats" {
            // The node's stats document, written at the end of an offline capture too.
            assert_eq!(id, "test");
            assert_eq!(b["nodeName"], "test");
            assert!(b["totalPackets"].as_u64().unwrap() > 0, "{b}");
            stats += 1;
        } else if index.starts_with("arkime_sessions3-") {
            sessions += 1;
            assert!(b["firstPacket"].is_u64());
        } else {
            // The pcap file read, for the viewer: Arkime's files index.
            assert_eq!(index, "arkime_files");
            assert_eq!(id, "test-101", "numbered by the sequence index");
            assert!(b["name"].as_str().unwrap().ends_with("sample.pcap"));
            files += 1;
        }
    }
    assert_eq!(sessions, want, "every session document");
    assert_eq!(files, 1);
    assert_eq!(stats, 1);
    assert!(
        log.contains(&format!("{} documents: {} accepted", want + 2, want + 2)),
        "{log}"
    );
}
