//! `trawl capture` end to end: documents for the shipped sample, and clear messages
//! (not panics) for bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn trawl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
}

fn sample(dir: &Path) -> PathBuf {
    let p = dir.join("sample.pcap");
    let out = trawl().arg("sample").arg(&p).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    p
}

fn docs(stdout: &[u8]) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(stdout).expect("one JSON object");
    v["sessions3"]
        .as_array()
        .expect("sessions3")
        .iter()
        .map(|s| s["body"].clone())
        .collect()
}

#[test]
fn sample_pcap_gives_arkime_documents() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let out = trawl()
        .args([
            "capture",
            "--tests",
            "-n",
            "n1",
            "-o",
            "saveUnknownPackets=all",
            "-r",
        ])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = docs(&out.stdout);
    let by = |proto: &str| {
        d.iter()
            .find(|b| b["protocol"].as_array().unwrap().iter().any(|p| p == proto))
            .unwrap_or_else(|| panic!("no {proto} session"))
    };
    assert_eq!(d.len(), 4, "arp, dns/udp, http/tcp, icmp");

    let tcp = by("tcp");
    assert_eq!(tcp["source"]["ip"], "10.1.0.10");
    assert_eq!(tcp["source"]["port"], 40123);
    assert_eq!(tcp["destination"]["port"], 80);
    assert_eq!(tcp["source"]["packets"], 6);
    assert_eq!(tcp["destination"]["packets"], 4);
    assert_eq!(tcp["tcpflags"]["syn"], 1);
    assert_eq!(tcp["tcpflags"]["syn-ack"], 1);
    assert_eq!(tcp["tcpflags"]["fin"], 2);
    assert_eq!(tcp["tcpSynValidated"], true);
    assert_eq!(tcp["srcPayload8"], hex(b"GET /ind"));
    assert_eq!(tcp["dstPayload8"], hex(b"HTTP/1.1"));
    assert_eq!(
        tcp["initRTT"], 6,
        "(43 ms ack - 30 ms syn) / 2, as Arkime computes it"
    );
    assert_eq!(tcp["node"], "n1");
    assert_eq!(tcp["network"]["packets"], 10);

    let udp = by("udp");
    assert_eq!(udp["destination"]["port"], 53);
    assert_eq!(udp["client"]["bytes"], 33);

    let icmp = by("icmp");
    assert_eq!(icmp["icmp"]["type"].as_array().unwrap().len(), 2);

    let arp = by("arp");
    assert_eq!(arp["ipProtocol"], 0);
    assert_eq!(arp["arp"]["opcode"].as_array().unwrap().len(), 2);
    assert_eq!(arp["arp"]["ip"][0], "10.1.0.1");

    // Default gapPacketPos: the query is the third record (after two 42-byte ARP
    // frames: 24 + 2 × 58 = 140), the answer 75 + 16 bytes later, written as the gap.
    assert_eq!(udp["packetPos"], serde_json::json!([140, 91]));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn packet_threads_do_not_change_the_documents() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let run = |threads: &str| {
        let out = trawl()
            .args([
                "capture",
                "--tests",
                "-n",
                "n",
                "-o",
                &format!("packetThreads={threads}"),
                "-r",
            ])
            .arg(&pcap)
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut d: Vec<String> = docs(&out.stdout)
            .into_iter()
            .map(|mut b| {
                b.as_object_mut().unwrap().remove("@timestamp");
                b.to_string()
            })
            .collect();
        d.sort();
        d
    };
    assert_eq!(run("1"), run("4"));
}

#[test]
fn bad_config_value_names_key_and_value() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let cfg = t.path().join("config.ini");
    std::fs::write(&cfg, "[default]\npacketThreads=lots\n").unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-c"])
        .arg(&cfg)
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("packetThreads") && err.contains("lots"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn truncated_pcap_keeps_what_it_read_and_says_where() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let bytes = std::fs::read(&pcap).unwrap();
    let cut = t.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-n", "n", "-r"])
        .arg(&cut)
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "one good file: success\n{err}");
    assert!(err.contains("truncated at byte"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Sessions from both files: the cut file's packets before the cut are kept.
    let d = docs(&out.stdout);
    let icmp: Vec<_> = d.iter().filter(|b| b["ipProtocol"] == 1).collect();
    assert_eq!(icmp.len(), 1, "both files' ICMP packets are one session");
    assert_eq!(
        icmp[0]["network"]["packets"], 3,
        "the cut file lost only its last packet"
    );
}

#[test]
fn corrupt_packets_are_counted() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("junk.pcap");
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&[
        2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ]);
    for i in 0..5u8 {
        let frame = [i; 40];
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&40u32.to_le_bytes());
        v.extend_from_slice(&40u32.to_le_bytes());
        v.extend_from_slice(&frame);
    }
    std::fs::write(&p, v).unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-n", "n", "-r"])
        .arg(&p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("read 1 files, 5 packets"), "{err}");
    assert!(err.contains("not processed:"), "{err}");
    assert!(!err.contains("panicked"));
    assert_eq!(docs(&out.stdout).len(), 0);
    // With saveUnknownPackets=corrupt they become corrupt-ether sessions.
    let out = trawl()
        .args([
            "capture",
            "--tests",
            "-n",
            "n",
            "-o",
            "saveUnknownPackets=corrupt;all",
            "-r",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert!(!docs(&out.stdout).is_empty());
}

#[test]
fn missing_and_non_pcap_inputs_are_errors_with_the_file_name() {
    let t = tempfile::tempdir().unwrap();
    let txt = t.path().join("notes.pcap");
    std::fs::write(&txt, "not a capture").unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-r"])
        .arg(&txt)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.pcap") && err.contains("magic"), "{err}");
    let out = trawl()
        .args(["capture", "--tests", "-r", "/nonexistent/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.pcap"));
}

#[test]
fn copy_writes_pcap_that_reads_back_to_the_same_sessions() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let data = t.path().join("data");
    let out = trawl()
        .args([
            "capture",
            "--copy",
            "-n",
            "n1",
            "-o",
            "saveUnknownPackets=all",
            "-o",
            "simpleCompression=none",
            "-o",
        ])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw: Vec<_> = std::fs::read_dir(data.join("raw"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(raw.len(), 1, "one packet thread, one file");
    let name = raw[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("n1-231114-") && name.ends_with(".pcap"),
        "{name}"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("files/n1-1.json")).unwrap()).unwrap();
    assert_eq!(doc["num"], 1);
    assert_eq!(doc["packets"], 16);
    assert_eq!(doc["filesize"], std::fs::metadata(&raw[0]).unwrap().len());

    let docs_of = |p: &Path| {
        let o = trawl()
            .args([
                "capture",
                "--tests",
                "-n",
                "n1",
                "-o",
                "saveUnknownPackets=all",
                "-r",
            ])
            .arg(p)
            .output()
            .unwrap();
        let mut d: Vec<String> = docs(&o.stdout)
            .into_iter()
            .map(|mut b| {
                let m = b.as_object_mut().unwrap();
                for k in ["@timestamp", "packetPos"] {
                    m.remove(k);
                }
                b.to_string()
            })
            .collect();
        d.sort();
        d
    };
    assert_eq!(docs_of(&pcap), docs_of(&raw[0]));
}

#[test]
fn reading_in_place_registers_the_input_as_a_locked_file() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let data = t.path().join("data");
    let out = trawl()
        .args(["capture", "-n", "n1", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("files/n1-1.json")).unwrap()).unwrap();
    assert_eq!(doc["locked"], 1);
    assert_eq!(
        doc["name"],
        std::fs::canonicalize(&pcap).unwrap().display().to_string()
    );
    assert!(!data.join("raw").exists(), "nothing copied");
}

/// Arkime's own `release/config.ini.sample`, unchanged, from an Arkime source tree:
/// `$ARKIME_SRC`, else `../arkime-src` beside the workspace (where
/// tests/tools/arkime/build.sh's source is kept). The project ships no copy of
/// Arkime's files, so without a source tree this test says it was skipped.
fn arkime_config_sample() -> Option<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let src = std::env::var_os("ARKIME_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../arkime-src"));
    let p = src.join("release/config.ini.sample");
    std::fs::read(&p).ok().map(|b| (p, b))
}

#[test]
fn arkime_config_sample_unchanged_says_what_to_fix() {
    let Some((from, text)) = arkime_config_sample() else {
        eprintln!("skipped: no Arkime source tree (set ARKIME_SRC) for release/config.ini.sample");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path());
    let cfg = t.path().join("config.ini.sample");
    std::fs::write(&cfg, &text).unwrap();
    let run = |cfg: &Path, extra: &[&str]| {
        let mut c = trawl();
        c.args(["capture", "--tests", "-c"])
            .arg(cfg)
            .arg("-r")
            .arg(&pcap)
            .args(extra);
        c.output().unwrap()
    };

    // Unchanged: refused, every placeholder line listed, the fix given.
    let out = run(&cfg, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{from:?}: {err}");
    assert!(out.stdout.is_empty());
    for line in [
        "still holds the placeholders Arkime's Configure script replaces",
        "\n  elasticsearch=ARKIME_ELASTICSEARCH\n",
        "\n  passwordSecret=ARKIME_PASSWORD\n",
        "\n  interface=ARKIME_INTERFACE\n",
        "\n  pcapDir=ARKIME_INSTALL_DIR/raw   (no such file or directory)\n",
        "\n  ouiFile=ARKIME_INSTALL_DIR/etc/oui.txt   (no such file or directory)\n",
        "FIX: write a config with your values in their place",
        "sed -e 's,ARKIME_INSTALL_DIR,/opt/trawl,g' -e 's,ARKIME_ELASTICSEARCH,http://localhost:9200,g' \
         -e 's,ARKIME_INTERFACE,eth0,g' -e 's,ARKIME_PASSWORD,CHANGE_ME,g' config.ini.sample > config.ini",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    // Commented-out lines are not listed.
    assert!(!err.contains("rulesFiles"), "{err}");

    // Filled in as the message says (with a real install dir): the next missing
    // file is named with where to get it.
    let install = t.path().join("arkime");
    std::fs::create_dir_all(install.join("etc")).unwrap();
    std::fs::create_dir_all(install.join("raw")).unwrap();
    let filled = String::from_utf8(text)
        .unwrap()
        .replace("ARKIME_INSTALL_DIR", install.to_str().unwrap())
        .replace("ARKIME_ELASTICSEARCH", "http://127.0.0.1:9")
        .replace("ARKIME_INTERFACE", "eth0")
        .replace("ARKIME_PASSWORD", "CHANGE_ME");
    let cfg = install.join("etc/config.ini");
    std::fs::write(&cfg, filled).unwrap();
    let out = run(&cfg, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "cannot read OUI file {}/etc/oui.txt",
            install.display()
        )) && err
            .contains("FIX by downloading https://www.wireshark.org/download/automated/data/manuf"),
        "{err}"
    );

    // With the two files arkime_update_geo.sh downloads in place, the sample runs:
    // every key it sets is one trawl knows (no unknown-key warning), and the sample
    // pcap's four sessions come out.
    std::fs::write(
        install.join("etc/oui.txt"),
        "00:00:0C\tCisco\tCisco Systems, Inc\n",
    )
    .unwrap();
    std::fs::write(
        install.join("etc/ipv4-address-space.csv"),
        "Prefix,Designation,Date,WHOIS,RDAP,Status [1],Note\n192/8,Administered by ARIN,1993-05,whois.arin.net,,LEGACY,\n",
    )
    .unwrap();
    let out = run(&cfg, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("unknown config key"), "{err}");
    assert_eq!(docs(&out.stdout).len(), 4, "{err}");
}
