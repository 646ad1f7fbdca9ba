//! Live capture end to end, with each reader (libpcap and TPACKET_V3): two network
//! namespaces joined by a veth pair, a web server in one, a client and a DNS query
//! from the other, `trawl capture -i` on the server's end until SIGINT. The capture
//! must exit 0 after saving every session, and its documents must equal those the
//! same traffic gives offline, read back from the pcap the live capture wrote.
//!
//! Needs root (CAP_NET_ADMIN) and `ip`; without them the test says so on stderr and
//! is skipped.
#![allow(unsafe_code)] // it calls the OS (see the SAFETY notes)

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

fn run(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Two namespaces and a veth pair between them, removed on drop.
struct Net {
    a: String,
    b: String,
    va: String,
}

impl Net {
    fn new(tag: &str) -> Option<Net> {
        let id = format!("{}{tag}", std::process::id() % 100_000);
        let (a, b) = (format!("tra{id}"), format!("trb{id}"));
        let (va, vb) = (format!("va{id}"), format!("vb{id}"));
        if !run(&["ip", "netns", "add", &a]) {
            return None;
        }
        let net = Net {
            a: a.clone(),
            b: b.clone(),
            va: va.clone(),
        };
        let ok = run(&["ip", "netns", "add", &b])
            && run(&[
                "ip", "link", "add", &va, "type", "veth", "peer", "name", &vb,
            ])
            && run(&["ip", "link", "set", &va, "netns", &a])
            && run(&["ip", "link", "set", &vb, "netns", &b])
            && run(&["ip", "-n", &a, "addr", "add", "10.99.0.1/24", "dev", &va])
            && run(&["ip", "-n", &b, "addr", "add", "10.99.0.2/24", "dev", &vb])
            && run(&["ip", "-n", &a, "link", "set", &va, "up"])
            && run(&["ip", "-n", &b, "link", "set", &vb, "up"])
            && run(&["ip", "-n", &a, "link", "set", "lo", "up"]);
        ok.then_some(net)
    }

    fn exec(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        c
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        run(&["ip", "netns", "del", &self.a]);
        run(&["ip", "netns", "del", &self.b]);
    }
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn skip(why: &str) {
    // Straight to the process's stderr, past the test harness's capture.
    let _ = writeln!(std::io::stderr(), "live capture test SKIPPED: {why}");
}

/// The documents of a capture, keyed by session, without what differs between a
/// live and an offline run (where the packets are in which file, the write time).
fn by_session(docs: impl Iterator<Item = Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for mut d in docs {
        if let Some(o) = d.as_object_mut() {
            for k in ["packetPos", "fileId", "@timestamp"] {
                o.remove(k);
            }
        }
        let key = format!(
            "{} {} {} {}",
            d["firstPacket"], d["source"]["ip"], d["source"]["port"], d["destination"]["port"]
        );
        out.insert(key, d);
    }
    out
}

fn live_matches_offline(method: &str, drop_to_nobody: bool) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("not root (needs CAP_NET_ADMIN for network namespaces)");
    }
    if Command::new("python3").arg("--version").output().is_err() {
        return skip("python3 is not installed");
    }
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let tag = N
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        .to_string();
    let Some(net) = Net::new(&tag) else {
        return skip("cannot create network namespaces and a veth pair (ip netns)");
    };
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "hello from the test\n").unwrap();
    let data = dir.path().join("data");
    if drop_to_nobody {
        // The capture runs as nobody once the interface is open: it must be able to
        // reach and write its data directory.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let _web = Kill(
        net.exec(
            &net.a,
            &[
                "python3",
                "-m",
                "http.server",
                "--bind",
                "10.99.0.1",
                "8080",
                "--directory",
                www.to_str().unwrap(),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let data_opt = format!("dataDir={}", data.display());
    let method_opt = format!("pcapReadMethod={method}");
    let mut cap = net
        .exec(
            &net.a,
            &[
                BIN,
                "capture",
                "-i",
                &net.va,
                "-n",
                "test",
                "-o",
                &data_opt,
                "-o",
                &method_opt,
                "-o",
                "simpleCompression=none",
                "-o",
                "packetThreads=2",
                "-o",
                if drop_to_nobody {
                    "dropUser=65534"
                } else {
                    "dropUser="
                },
                "-o",
                if drop_to_nobody {
                    "dropGroup=65534"
                } else {
                    "dropGroup="
                },
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let client = "import urllib.request,socket\n\
for i in range(3):\n    urllib.request.urlopen('http://10.99.0.1:8080/index.html?n=%d' % i, timeout=5).read()\n\
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
s.sendto(bytes.fromhex('123401000001000000000000076578616d706c6503636f6d0000010001'),('10.99.0.1',53))\n";
    let ok = net
        .exec(&net.b, &["python3", "-c", client])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "the test traffic ran");
    std::thread::sleep(Duration::from_millis(800));
    // SAFETY: kill with a child's pid and SIGINT has no memory-safety preconditions.
    unsafe { libc::kill(cap.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    let status = loop {
        if let Some(s) = cap.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "capture stops on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    use std::io::Read;
    let _ = cap.stderr.take().unwrap().read_to_string(&mut log);
    assert!(status.success(), "capture exits 0 after SIGINT: {log}");
    assert!(log.contains("stopped after"), "{log}");
    // The node's stats document, as /api/stats serves it.
    let stats: Value =
        serde_json::from_slice(&std::fs::read(data.join("stats/test.json")).unwrap()).unwrap();
    assert_eq!(stats["nodeName"], "test");
    assert!(stats["totalPackets"].as_u64().unwrap() > 20, "{stats}");
    assert_eq!(stats["totalDropped"], 0);

    // The live documents, from the store.
    let out = Command::new(BIN)
        .args([
            "sessions",
            "-n",
            "test",
            "-o",
            &data_opt,
            "--json",
            "--limit",
            "1000",
            "ip == 10.99.0.2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = by_session(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["_source"].clone()),
    );
    // The same traffic offline, from the pcap the live capture wrote.
    let raw = data.join("raw");
    // A file per packet thread; each session's packets are in one of them.
    let mut pcaps: Vec<String> = std::fs::read_dir(&raw)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    pcaps.sort();
    assert!(!pcaps.is_empty(), "pcap files in {}", raw.display());
    let mut args = vec!["capture", "--tests", "-n", "test", "-o", "packetThreads=2"];
    for p in &pcaps {
        args.extend(["-r", p.as_str()]);
    }
    let out = Command::new(BIN).args(&args).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let offline = by_session(
        v["sessions3"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["body"].clone())
            .filter(|b| b["source"]["ip"] == "10.99.0.2" || b["destination"]["ip"] == "10.99.0.2"),
    );
    let http: Vec<&Value> = live
        .values()
        .filter(|d| d["destination"]["port"] == 8080)
        .collect();
    assert_eq!(http.len(), 3, "three HTTP sessions: {live:#?}");
    for d in &http {
        assert!(
            d["http"]["uri"][0]
                .as_str()
                .unwrap()
                .contains("/index.html?n="),
            "{d}"
        );
        assert_eq!(d["http"]["statuscode"][0], 200);
    }
    let dns: Vec<&Value> = live
        .values()
        .filter(|d| d["destination"]["port"] == 53)
        .collect();
    assert_eq!(dns.len(), 1);
    assert_eq!(dns[0]["dns"][0]["queryHost"], "example.com");
    assert_eq!(live, offline, "live documents equal the offline ones");
    assert!(pcaps.iter().all(|p| Path::new(p).exists()));
    if drop_to_nobody {
        use std::os::unix::fs::MetadataExt;
        for p in &pcaps {
            assert_eq!(
                std::fs::metadata(p).unwrap().uid(),
                65534,
                "{p} written as nobody"
            );
        }
    }
}

#[test]
fn libpcap_live_matches_offline() {
    live_matches_offline("libpcap", false);
}

#[test]
fn live_capture_drops_root_after_opening() {
    live_matches_offline("libpcap", true);
}

#[test]
fn tpacketv3_live_matches_offline() {
    live_matches_offline("tpacketv3", false);
}
