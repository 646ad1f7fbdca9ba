//! `trawl capture`, `trawl sessions` and `trawl pcap` against a real OpenSearch node
//! (`tests/opensearch/node.sh start`; skipped without one, failing under CI=true),
//! over Arkime's regression pcaps (skipped when ../shared is not beside the checkout).
//!
//! Each test works under a prefix of its own, so they run side by side on one node;
//! the restart test starts a node of its own, so stopping it disturbs no other test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use trawl_cluster::testing::{self, cleanup, unique_prefix};
use trawl_cluster::Client;

const BIN: &str = env!("CARGO_BIN_EXE_trawl");

/// The tests that run captures against a node take turns: together (three captures,
/// a 300 MB one among them, and a second node) they starved the nodes of a 2-core CI
/// machine into bulk and start-up timeouts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Arkime's regression folder, when this checkout sits beside ../shared.
fn regression_dir() -> Option<PathBuf> {
    let p = root().join("../shared/arkime-regression");
    if p.join("config.test.ini").exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "../shared/arkime-regression is missing under CI"
    );
    eprintln!("SKIPPED: ../shared/arkime-regression is not present");
    None
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> Output {
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    o
}

/// A trawl command run in the regression folder.
fn trawl(reg: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(reg)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG");
    c
}

/// Arkime's test config, writing to the cluster at `url` under `prefix` (or to the
/// embedded store when `url` is empty) with its data under `data`, as `node`.
fn opts(c: &mut Command, url: &str, prefix: &str, data: &Path, node: &str) {
    c.args(["-c", "config.test.ini", "-n", node])
        .args(["-o", &format!("elasticsearch={url}")])
        .args(["-o", &format!("prefix={prefix}")])
        .args(["-o", &format!("dataDir={}", data.display())]);
}

fn db_init(url: &str, prefix: &str) {
    ok(Command::new(BIN)
        .args([
            "db",
            "init",
            "-q",
            "--elasticsearch",
            url,
            "--prefix",
            prefix,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap());
}

/// The regression pcaps (every one Arkime's suite has).
fn regression_pcaps(reg: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(reg.join("pcap"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    v.sort();
    v
}

fn capture(
    reg: &Path,
    url: &str,
    prefix: &str,
    data: &Path,
    node: &str,
    pcaps: &[PathBuf],
) -> Output {
    let mut c = trawl(reg);
    c.arg("capture");
    opts(&mut c, url, prefix, data, node);
    // The regression pcaps span years: a new daily index for most of them, which a
    // node on a loaded 2-core machine takes its time to create.
    // Monthly indices keep the node's shards few.
    c.args([
        "-o",
        "elasticsearchDrainTimeout=600",
        "-o",
        "rotateIndex=monthly",
    ]);
    for p in pcaps {
        c.arg("-r").arg(p);
    }
    c.output().unwrap()
}

/// `trawl sessions --json` ids and sources for `expr` (with extra arguments).
fn search(
    reg: &Path,
    url: &str,
    prefix: &str,
    data: &Path,
    expr: &str,
    extra: &[&str],
) -> BTreeMap<String, serde_json::Value> {
    let mut c = trawl(reg);
    c.args(["sessions", "--json", "--limit", "10000", "-q"]);
    opts(&mut c, url, prefix, data, "test");
    c.args(extra).arg(expr);
    let o = ok(c.output().unwrap());
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["_id"].as_str().unwrap().to_string(), v["_source"].clone())
        })
        .collect()
}

/// How a capture's log sums up its Elasticsearch documents: (sent, accepted).
fn es_line(log: &str) -> Option<(u64, u64)> {
    let l = log.lines().find(|l| l.contains(" documents: "))?;
    let rest = l.split(" documents: ").collect::<Vec<_>>();
    let sent: u64 = rest[0].rsplit(' ').next()?.parse().ok()?;
    let acc: u64 = rest[1].split(' ').next()?.parse().ok()?;
    Some((sent, acc))
}

/// Deletes its prefixes' indices and templates when dropped, a failed test's too.
struct Cleanup(Client, Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.1 {
            let _ = cleanup(&self.0, p);
        }
    }
}

fn count(c: &Client, index: &str, query: serde_json::Value) -> u64 {
    c.post(
        &format!("/{index}/_count?ignore_unavailable=true"),
        &serde_json::json!({"query": query}),
    )
    .unwrap()["count"]
        .as_u64()
        .unwrap()
}

/// The expressions both stores must answer alike: ip, CIDR, port ranges, protocols,
/// wildcards, dns, tls ja3/ja4, tags, counts, EXISTS!, negation, regexes and time.
const EXPRESSIONS: &[&str] = &[
    "",
    "ip.src == 10.0.0.0/8",
    "ip.dst == 192.168.0.0/16 || ip.dst == 172.16.0.0/12",
    "ip == 10.0.0.1",
    "ip.src == 2001:16d8:ffce::/48",
    "port.dst == 80",
    "port.dst == 1-1023",
    "port.src >= 49152",
    "port.dst == [25,110,143,587]",
    "ip.protocol == udp",
    "protocols == http",
    "protocols == dns && port.dst == 53",
    "!protocols == tcp",
    "host.http == *.com",
    "host.http == /.*cloudflare.*/",
    "host.dns == *google*",
    "tls.ja3 == 4826a90ec2daf4f7b4b64cc1c8bd343b",
    "tls.ja4 == EXISTS!",
    "tls.ja4 != EXISTS!",
    "tags == zeek:intel",
    "tags == *sample*",
    "packets.src > 10",
    "databytes.dst >= 1000",
    "host.http.cnt >= 2",
    "http.method == GET && http.statuscode == 200",
    "http.uri == EXISTS! && !host.http == *.com",
    "mac.src == EXISTS!",
    "starttime >= 1380000000 && starttime < 1400000000",
];

#[test]
fn capture_into_the_cluster_and_search_it_as_the_embedded_store() {
    let _turn = one_at_a_time();
    let Some(url) = testing::node_url() else {
        return;
    };
    let Some(reg) = regression_dir() else { return };
    let c = testing::client(&url);
    let (cap, copy) = (unique_prefix("cap"), unique_prefix("copy"));
    let _gone = Cleanup(testing::client(&url), vec![cap.clone(), copy.clone()]);
    let t = tempfile::tempdir().unwrap();
    let pcaps = regression_pcaps(&reg);

    // The embedded store, and the cluster after `trawl db init`.
    let embedded = t.path().join("embedded");
    ok(capture(&reg, "", "arkime_", &embedded, "test", &pcaps));
    db_init(&url, &cap);
    let data = t.path().join("cluster");
    let o = capture(&reg, &url, &cap, &data, "test", &pcaps);
    let log = text(&o);
    assert_eq!(o.status.code(), Some(0), "{log}");
    // Every document accepted: none retried without a field, dead-lettered or spooled.
    let (sent, accepted) = es_line(&log).unwrap_or_else(|| panic!("{log}"));
    assert_eq!(sent, accepted, "{log}");
    assert!(!log.contains("refused field"), "{log}");
    assert!(!data.join("es-dead-letter").exists(), "{log}");
    assert!(
        !data.join("es-spool").exists()
            || std::fs::read_dir(data.join("es-spool"))
                .unwrap()
                .next()
                .is_none()
    );

    let all_embedded = search(&reg, "", "arkime_", &embedded, "", &[]);
    assert!(all_embedded.len() > 500, "{}", all_embedded.len());
    let captured = count(
        &c,
        &format!("{cap}sessions3-*"),
        serde_json::json!({"match_all": {}}),
    );
    assert_eq!(captured, all_embedded.len() as u64);
    // One files document per pcap read, numbered from the sequence index (101, ...).
    let files = count(
        &c,
        &format!("{cap}files"),
        serde_json::json!({"term": {"node": "test"}}),
    );
    assert_eq!(files, pcaps.len() as u64);
    let fnv = c.get(&format!("/{cap}sequence/_doc/fn-test")).unwrap();
    assert_eq!(fnv["_version"].as_u64(), Some(100 + pcaps.len() as u64));

    // The embedded store's own documents, ids and all, into a second prefix: each
    // expression must give the very same session ids from both.
    db_init(&url, &copy);
    let mut bulk = String::new();
    let mut n = 0;
    for (id, src) in &all_embedded {
        let suffix = src["lastPacket"].as_i64().map_or_else(String::new, |ms| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .format("%ym%m")
                .to_string()
        });
        bulk.push_str(&serde_json::json!({"index": {"_index": format!("{copy}sessions3-{suffix}"), "_id": id}}).to_string());
        bulk.push('\n');
        bulk.push_str(&src.to_string());
        bulk.push('\n');
        n += 1;
        if n % 2000 == 0 || n == all_embedded.len() {
            let r = c
                .send(
                    "POST",
                    "/_bulk?refresh=true",
                    Some(&serde_json::Value::String(std::mem::take(&mut bulk))),
                )
                .unwrap();
            assert_eq!(
                r.body["errors"],
                false,
                "{}",
                r.body.to_string().chars().take(2000).collect::<String>()
            );
        }
    }

    let mut nonempty = 0;
    for expr in EXPRESSIONS {
        let want: BTreeSet<String> = search(&reg, "", "arkime_", &embedded, expr, &[])
            .into_keys()
            .collect();
        let got: BTreeSet<String> = search(&reg, &url, &copy, &data, expr, &[])
            .into_keys()
            .collect();
        assert_eq!(got, want, "same ids for '{expr}'");
        // And the documents the capture itself wrote to the cluster: as many.
        let captured = search(&reg, &url, &cap, &data, expr, &[]).len();
        assert_eq!(
            captured,
            want.len(),
            "as many captured sessions for '{expr}'"
        );
        nonempty += usize::from(!want.is_empty());
    }
    assert!(
        nonempty >= 22,
        "most expressions match something: {nonempty}"
    );

    // `file` names a pcap by its files document in the cluster, as Arkime's viewer.
    // Files are named by their real path, as Arkime names offline files.
    let one = pcaps[pcaps.len() / 2].canonicalize().unwrap();
    let stem = one.file_stem().unwrap().to_str().unwrap();
    for expr in [
        format!("file == \"{}\"", one.display()),
        format!("file == \"*/{stem}.pcap\""),
    ] {
        let want = search(&reg, "", "arkime_", &embedded, &expr, &[]);
        assert!(!want.is_empty(), "{expr}");
        let got = search(&reg, &url, &cap, &data, &expr, &[]);
        assert_eq!(got.len(), want.len(), "{expr}");
    }

    // A field the capture's config defined is searchable with a config that does not
    // define it: its definition comes from the cluster's fields index.
    {
        let expr = "http.response.location == EXISTS!";
        let want = search(&reg, &url, &cap, &data, expr, &[]);
        assert!(!want.is_empty());
        let bare = t.path().join("bare.ini");
        std::fs::write(&bare, "[default]\n").unwrap();
        let mut cmd = trawl(&reg);
        cmd.args([
            "sessions", "--json", "--limit", "10000", "-q", "-n", "test", "-c",
        ])
        .arg(&bare)
        .args(["-o", &format!("elasticsearch={url}")])
        .args(["-o", &format!("prefix={cap}")])
        .args([
            "-o",
            &format!("dataDir={}", t.path().join("bare").display()),
        ])
        .arg(expr);
        let o = ok(cmd.output().unwrap());
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            want.len()
        );
    }

    // `trawl serve` on the cluster answers as `trawl sessions` does, and exports.
    {
        use std::io::{BufRead, Read};
        let mut cmd = trawl(&reg);
        cmd.args(["serve", "-q", "--listen", "127.0.0.1:0"]);
        opts(&mut cmd, &url, &cap, &data, "test");
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .map(str::to_string);
        let answer = |path: &str| {
            ureq::get(&format!("{}{path}", base.clone().unwrap_or_default()))
                .call()
                .map_err(|e| e.to_string())
        };
        // Both bodies are read in full before the server stops: the pcap
        // answer is streamed, and a server killed mid-body cuts it short.
        let sessions =
            answer("/api/sessions?date=-1&expression=port.dst%20%3D%3D%2053&length=10000")
                .and_then(|r| {
                    r.into_json::<serde_json::Value>()
                        .map_err(|e| e.to_string())
                });
        let pcap =
            answer("/api/sessions/pcap?date=-1&expression=port.dst%20%3D%3D%2053").and_then(|r| {
                let mut bytes = Vec::new();
                r.into_reader()
                    .read_to_end(&mut bytes)
                    .map(|_| bytes)
                    .map_err(|e| e.to_string())
            });
        let _ = child.kill();
        let _ = child.wait();
        let r = sessions.unwrap();
        let want = search(&reg, &url, &cap, &data, "port.dst == 53", &[]);
        assert!(!want.is_empty());
        assert_eq!(r["recordsFiltered"].as_u64(), Some(want.len() as u64));
        let ids: BTreeSet<String> = r["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, want.into_keys().collect::<BTreeSet<_>>());
        let bytes = pcap.unwrap();
        assert!(bytes.len() > 24 + 16, "packets in the pcap answer");
    }

    // Time windows, with each bounding.
    for bounding in ["last", "first", "both", "either"] {
        let w = [
            "--start",
            "2013-06-01",
            "--stop",
            "2014-06-01",
            "--bounding",
            bounding,
        ];
        let want: BTreeSet<String> = search(&reg, "", "arkime_", &embedded, "", &w)
            .into_keys()
            .collect();
        let got: BTreeSet<String> = search(&reg, &url, &copy, &data, "", &w)
            .into_keys()
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want, "bounding {bounding}");
    }
}

/// The number of packets in a pcap file.
fn pcap_packets(p: &Path) -> u64 {
    let b = std::fs::read(p).unwrap();
    assert!(b.len() >= 24, "a pcap header");
    let le = b[..4] == [0xd4, 0xc3, 0xb2, 0xa1] || b[..4] == [0x4d, 0x3c, 0xb2, 0xa1];
    let (mut at, mut n) = (24usize, 0u64);
    while at + 16 <= b.len() {
        let f = |o: usize| {
            let x: [u8; 4] = b[at + o..at + o + 4].try_into().unwrap();
            if le {
                u32::from_le_bytes(x)
            } else {
                u32::from_be_bytes(x)
            }
        };
        at += 16 + f(8) as usize;
        n += 1;
    }
    n
}

#[test]
fn two_sensors_share_a_cluster() {
    let _turn = one_at_a_time();
    let Some(url) = testing::node_url() else {
        return;
    };
    let Some(reg) = regression_dir() else { return };
    let c = testing::client(&url);
    let p = unique_prefix("two");
    let _gone = Cleanup(testing::client(&url), vec![p.clone()]);
    db_init(&url, &p);
    let t = tempfile::tempdir().unwrap();
    let pcaps = regression_pcaps(&reg);
    // Each sensor reads every other pcap, both at once.
    let halves: [Vec<PathBuf>; 2] = [
        pcaps.iter().step_by(2).cloned().collect(),
        pcaps.iter().skip(1).step_by(2).cloned().collect(),
    ];
    let nodes = ["sensora", "sensorb"];
    let children: Vec<Child> = (0..2)
        .map(|i| {
            let data = t.path().join(nodes[i]);
            let mut cmd = trawl(&reg);
            cmd.arg("capture");
            opts(&mut cmd, &url, &p, &data, nodes[i]);
            for f in &halves[i] {
                cmd.arg("-r").arg(f);
            }
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for ch in children {
        ok(ch.wait_with_output().unwrap());
    }
    for (i, node) in nodes.iter().enumerate() {
        // File numbers: one per pcap, unique within the node, from its sequence.
        let r = c
            .post(
                &format!("/{p}files/_search"),
                &serde_json::json!({"size": 1000, "query": {"term": {"node": node}}}),
            )
            .unwrap();
        let nums: Vec<u64> = r["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["_source"]["num"].as_u64().unwrap())
            .collect();
        let unique: BTreeSet<u64> = nums.iter().copied().collect();
        assert_eq!(nums.len(), halves[i].len(), "{node}");
        assert_eq!(unique.len(), nums.len(), "{node}: {nums:?}");
        assert_eq!(
            unique,
            (101..101 + halves[i].len() as u64).collect::<BTreeSet<_>>()
        );

        // Its sessions are searchable from either side...
        let data = t.path().join(node);
        let expr = format!("node == {node}");
        let mine = search(&reg, &url, &p, &data, &expr, &[]);
        let embedded = t.path().join(format!("{node}-embedded"));
        ok(capture(&reg, "", "arkime_", &embedded, node, &halves[i]));
        assert_eq!(
            mine.len(),
            search(&reg, "", "arkime_", &embedded, "", &[]).len()
        );
        let other = t.path().join(nodes[1 - i]);
        assert_eq!(search(&reg, &url, &p, &other, &expr, &[]).len(), mine.len());

        // ...and exportable on its own node: every packet of its sessions, while the
        // other node's sessions are named, not read.
        let out = t.path().join(format!("{node}.pcap"));
        let mut cmd = trawl(&reg);
        cmd.args(["pcap", "--limit", "100000"]);
        opts(&mut cmd, &url, &p, &data, node);
        cmd.arg("-w").arg(&out).arg("");
        let o = cmd.output().unwrap();
        let log = text(&o);
        assert!(matches!(o.status.code(), Some(0 | 2)), "{log}");
        assert!(
            log.contains(&format!("live on node {}", nodes[1 - i])),
            "{log}"
        );
        // The same packets as the embedded store exports for the same pcaps.
        let alone = t.path().join(format!("{node}-embedded.pcap"));
        let mut cmd = trawl(&reg);
        cmd.args(["pcap", "--limit", "100000"]);
        opts(&mut cmd, "", "arkime_", &embedded, node);
        let o = cmd.arg("-w").arg(&alone).arg("").output().unwrap();
        assert!(matches!(o.status.code(), Some(0 | 2)), "{}", text(&o));
        let got = pcap_packets(&out);
        assert!(got > 1000, "{got}");
        assert_eq!(got, pcap_packets(&alone), "{log}");
    }
}

/// A node of this test's own on another port, for stopping and starting.
struct OwnNode {
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnNode {
    fn run(&self, what: &str) -> Output {
        Command::new(root().join("tests/opensearch/node.sh"))
            .arg(what)
            .env("TRAWL_OS_DIR", self.dir.path())
            .env("TRAWL_OS_PORT", self.port.to_string())
            .output()
            .unwrap()
    }
}

impl Drop for OwnNode {
    fn drop(&mut self) {
        let _ = self.run("stop");
    }
}

#[test]
fn a_node_restarted_mid_capture_loses_nothing() {
    let _turn = one_at_a_time();
    if testing::node_url().is_none() {
        return;
    }
    let Some(reg) = regression_dir() else { return };
    let t = tempfile::tempdir().unwrap();
    let pcap = t.path().join("bench.pcap");
    ok(Command::new("python3")
        .arg(reg.join("../bench/mkbench.py"))
        .arg(&pcap)
        .args(["--mb", "300"])
        .output()
        .unwrap());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let node = OwnNode {
        dir: tempfile::tempdir().unwrap(),
        port,
    };
    ok(node.run("start"));
    let url = format!("http://127.0.0.1:{port}");
    let c = testing::client(&url);
    let p = "arkime_";
    db_init(&url, p);

    // What the capture saves, from a dry run.
    let mut dry = trawl(&reg);
    dry.args(["capture", "--dryrun"]);
    opts(&mut dry, "", p, &t.path().join("dry"), "test");
    let o = ok(dry.arg("-r").arg(&pcap).output().unwrap());
    let log = text(&o);
    let saved: u64 = log
        .split("saved ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{log}"));
    assert!(saved > 2000, "{saved}");

    let data = t.path().join("data");
    let mut cmd = trawl(&reg);
    cmd.arg("capture");
    opts(&mut cmd, &url, p, &data, "test");
    // Room to wait for the node to come back. Ids of trawl's own: with the cluster's
    // (autoGenerateId, as Arkime's test config has it) a bulk the node took in part
    // before it went away is indexed twice when sent again, in Arkime as here.
    cmd.args([
        "-o",
        "elasticsearchDrainTimeout=240",
        "-o",
        "autoGenerateId=false",
    ]);
    let mut child = cmd
        .arg("-r")
        .arg(&pcap)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the node once documents arrive, while the capture still sends.
    let t0 = Instant::now();
    loop {
        // Indexed, before any refresh shows them.
        let n = c
            .send("GET", &format!("/{p}sessions3-*/_stats/indexing"), None)
            .map_or(0, |r| {
                r.body["_all"]["primaries"]["indexing"]["index_total"]
                    .as_u64()
                    .unwrap_or(0)
            });
        if n > 0 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no document arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the capture was still running"
    );
    ok(node.run("stop"));
    std::thread::sleep(Duration::from_secs(3));
    ok(node.run("start"));
    let o = child.wait_with_output().unwrap();
    let log = text(&o);
    assert_eq!(o.status.code(), Some(0), "{log}");
    let n = count(
        &c,
        &format!("{p}sessions3-*"),
        serde_json::json!({"match_all": {}}),
    );
    assert_eq!(n, saved, "{log}");
    // The node's stats while it ran: the last document holds every packet read.
    let read: u64 = log
        .split("files, ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{log}"));
    let st = c.get(&format!("/{p}stats/_doc/test")).unwrap();
    assert_eq!(st["_source"]["totalPackets"].as_u64(), Some(read));
}

#[test]
fn a_field_the_mapping_refuses_is_dropped_and_counted() {
    let Some(url) = testing::node_url() else {
        return;
    };
    let c = testing::client(&url);
    let p = unique_prefix("map");
    let _gone = Cleanup(testing::client(&url), vec![p.clone()]);
    db_init(&url, &p);
    // The sample's sessions are of 2023-11-14: that day's index, made first with a
    // mapping that cannot hold the HTTP host names the capture writes.
    c.put(
        &format!("/{p}sessions3-231114"),
        &serde_json::json!({"mappings": {"properties": {"http": {"properties": {"host": {"type": "long"}}}}}}),
    )
    .unwrap();
    let t = tempfile::tempdir().unwrap();
    let sample = root().join("samples/sample.pcap");
    let o = Command::new(BIN)
        .args(["capture", "-n", "test"])
        .args(["-o", &format!("elasticsearch={url}")])
        .args(["-o", &format!("prefix={p}")])
        .args(["-o", &format!("dataDir={}", t.path().display())])
        .arg("-r")
        .arg(&sample)
        .output()
        .unwrap();
    let log = text(&o);
    assert_eq!(o.status.code(), Some(0), "{log}");
    let tests = ok(Command::new(BIN)
        .args(["capture", "--tests", "-n", "test", "-r"])
        .arg(&sample)
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_slice(&tests.stdout).unwrap();
    let want = v["sessions3"].as_array().unwrap();
    let with_host = want
        .iter()
        .filter(|d| d["body"]["http"]["host"].is_array())
        .count();
    assert!(with_host > 0);
    // Every session landed; those with HTTP host names without them, counted.
    let idx = format!("{p}sessions3-231114");
    assert_eq!(
        count(&c, &idx, serde_json::json!({"match_all": {}})),
        want.len() as u64
    );
    assert_eq!(
        count(
            &c,
            &idx,
            serde_json::json!({"exists": {"field": "http.host"}})
        ),
        0
    );
    assert!(log.contains("http.host"), "{log}");
    assert!(
        log.contains(&format!(
            "{with_host} documents re-sent without a refused field"
        )),
        "the count: {log}"
    );
}
