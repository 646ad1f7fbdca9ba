//! `trawl capture` with `elasticsearch=` set: the session documents reach the cluster
//! (a fake one here) in `_bulk` requests, the same documents `--tests` prints.

use std::io::Read;
use std::process::Command;
use std::sync::{Arc, Mutex};

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

#[test]
fn capture_sends_its_documents_to_elasticsearch() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pcap = root.join("samples/sample.pcap");
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr());
    let bodies = Arc::new(Mutex::new(Vec::<String>::new()));
    let b = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for mut req in server.incoming_requests() {
            let gz = req
                .headers()
                .iter()
                .any(|h| h.field.equiv("Content-Encoding") && h.value == "gzip");
            let mut raw = Vec::new();
            req.as_reader().read_to_end(&mut raw).unwrap();
            let mut s = String::new();
            if gz {
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_string(&mut s)
                    .unwrap();
            } else {
                s = String::from_utf8(raw).unwrap();
            }
            b.lock().unwrap().push(s);
            let _ = req.respond(tiny_http::Response::from_string(r#"{"errors":false}"#));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let es = format!("elasticsearch={url}");
    let data = format!("dataDir={}", dir.path().display());
    let out = Command::new(BIN)
        .args(["capture", "-n", "test", "-o", &es, "-o", &data, "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tests = Command::new(BIN)
        .args(["capture", "--tests", "-n", "test", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&tests.stdout).unwrap();
    let want = v["sessions3"].as_array().unwrap().len();
    let lines: Vec<String> = bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| b.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let (mut sessions, mut files) = (0, 0);
    for pair in lines.chunks(2) {
        let h: serde_json::Value = serde_json::from_str(&pair[0]).unwrap();
        let b: serde_json::Value = serde_json::from_str(&pair[1]).unwrap();
        let index = h["index"]["_index"].as_str().unwrap();
        if index.starts_with("arkime_sessions3-") {
            sessions += 1;
            assert!(b["firstPacket"].is_u64());
        } else {
            // The pcap file read, for the viewer: Arkime's files index.
            assert_eq!(index, "arkime_files");
            assert_eq!(h["index"]["_id"], "test-1");
            assert!(b["name"].as_str().unwrap().ends_with("sample.pcap"));
            files += 1;
        }
    }
    assert_eq!(sessions, want, "every session document");
    assert_eq!(files, 1);
}
