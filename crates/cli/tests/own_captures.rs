//! Our own captures (tests/captures): where trawl writes more than Arkime on purpose.
//! (The others are compared with Arkime's documents by compare.py in CI.)

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/captures")
}

fn trawl_docs(pcap: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args([
            "capture",
            "--tests",
            "-n",
            "test",
            "-o",
            "ja4Raw=true",
            "-r",
        ])
        .arg(captures().join(pcap))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["sessions3"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["body"].clone())
        .collect()
}

#[test]
fn quic_v2_gives_what_the_same_client_gives_in_v1() {
    // The same aioquic client and configuration, QUIC v1 then v2, with the server
    // names quic.example and v2.quic.example. Arkime's document of the v1 exchange
    // (written by Arkime itself) holds the JA3/JA4 of that ClientHello; v2 changes
    // only the packet protection, so trawl must find the same hello in v2.
    let arkime_v1: Value =
        serde_json::from_slice(&std::fs::read(captures().join("quic-v1-aioquic.test")).unwrap())
            .unwrap();
    let v1 = &arkime_v1["sessions3"][0]["body"];
    assert_eq!(v1["http"]["host"], serde_json::json!(["quic.example"]));
    let d = trawl_docs("quic-v2-aioquic.pcap");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["protocol"], serde_json::json!(["udp", "quic"]));
    assert_eq!(d[0]["http"]["host"], serde_json::json!(["v2.quic.example"]));
    for k in ["ja3", "ja4", "ja4_r"] {
        assert!(v1["tls"][k].is_array(), "{k} in Arkime's v1 document");
        assert_eq!(d[0]["tls"][k], v1["tls"][k], "{k}");
    }
}
