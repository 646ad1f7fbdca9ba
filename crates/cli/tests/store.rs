//! One host, nothing else installed: capture the sample into an empty data directory,
//! search it with Arkime expressions (checking exactly which sessions come back), and
//! export the packets of matches, byte for byte as captured.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn trawl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A command's standard output and error.
fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Env {
    _t: tempfile::TempDir,
    pcap: PathBuf,
    data: PathBuf,
}

fn captured(tag: &str) -> Env {
    let t = tempfile::tempdir().unwrap();
    let pcap = t.path().join("sample.pcap");
    ok(trawl().arg("sample").arg(&pcap).output().unwrap());
    let data = t.path().join("data");
    ok(trawl()
        .args(["capture", "-q", "-n", "node1", "--tag", tag, "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap());
    Env { _t: t, pcap, data }
}

/// The sessions an expression finds, as "src:port>dst:port" strings.
fn find(e: &Env, expr: &str, extra: &[&str]) -> BTreeSet<String> {
    let out = ok(trawl()
        .args(["sessions", "-q", "-n", "node1", "--json", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .args(extra)
        .arg(expr)
        .output()
        .unwrap());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let s = &v["_source"];
            format!(
                "{}:{}>{}:{}",
                s["source"]["ip"].as_str().unwrap_or("-"),
                s["source"]["port"],
                s["destination"]["ip"].as_str().unwrap_or("-"),
                s["destination"]["port"]
            )
        })
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const ICMP: &str = "10.1.0.10:0>192.0.2.80:0";
const WEB: &str = "10.1.0.10:40123>192.0.2.80:80";
const DNS: &str = "10.1.0.10:53001>192.0.2.53:53";

#[test]
fn searches_find_exactly_the_matching_sessions() {
    let e = captured("run-1");
    let ip_sessions = set(&[ICMP, WEB, DNS]);
    let all = find(&e, "", &[]);
    assert!(all.is_superset(&ip_sessions), "{all:?}");
    assert_eq!(find(&e, "ip.dst == 192.0.2.80", &[]), set(&[ICMP, WEB]));
    assert_eq!(find(&e, "ip == 192.0.2.53", &[]), set(&[DNS]));
    assert_eq!(find(&e, "ip.src == 10.0.0.0/8", &[]), ip_sessions);
    assert_eq!(find(&e, "ip.src == 10.2.0.0/16", &[]), set(&[]));
    assert_eq!(find(&e, "port.dst == 50-100", &[]), set(&[WEB, DNS]));
    assert_eq!(find(&e, "port.dst >= 80", &[]), set(&[WEB]));
    assert_eq!(find(&e, "port == [53, 443]", &[]), set(&[DNS]));
    assert_eq!(find(&e, "protocols == udp", &[]), set(&[DNS]));
    assert_eq!(find(&e, "protocols == [tcp,icmp]", &[]), set(&[ICMP, WEB]));
    assert_eq!(
        find(&e, "ip.src == 10.1.0.10 && !protocols == tcp", &[]),
        set(&[ICMP, DNS])
    );
    assert_eq!(
        find(&e, "ip.src == 10.1.0.10 && protocols != tcp", &[]),
        set(&[ICMP, DNS])
    );
    assert_eq!(
        find(&e, "tags == run-1 && port.dst == 80", &[]),
        set(&[WEB])
    );
    assert_eq!(find(&e, "tags == run-*", &[]), all);
    assert_eq!(find(&e, "tags == /run-[0-9]/", &[]), all);
    assert_eq!(find(&e, "tags == run-2", &[]), set(&[]));
    assert_eq!(
        find(&e, "port.src == EXISTS! && ip.protocol == udp", &[]),
        set(&[DNS])
    );
    // EXISTS! on a term field, an ip field, and negated.
    assert_eq!(find(&e, "host.http == EXISTS!", &[]), set(&[WEB]));
    assert_eq!(find(&e, "ip.dst == EXISTS!", &[]), ip_sessions);
    // The ARP exchange has no IP addresses.
    assert_eq!(
        find(&e, "ip.dst != EXISTS!", &[]),
        all.difference(&ip_sessions).cloned().collect()
    );
    assert_eq!(all.difference(&ip_sessions).count(), 1);
    assert_eq!(
        find(&e, "ip.src == 10.1.0.10 && host.dns != EXISTS!", &[]),
        set(&[ICMP, WEB])
    );
    // Counts of values (Arkime's `<expression>.cnt` fields, `<dbField>Cnt` or the
    // ECS-style `<dbField>-cnt` in the documents): web and dns carry two protocols,
    // the ARP exchange two source MACs.
    let arp: BTreeSet<String> = all.difference(&ip_sessions).cloned().collect();
    assert_eq!(find(&e, "protocols.cnt == 2", &[]), set(&[WEB, DNS]));
    assert_eq!(
        find(&e, "protocols.cnt == 1", &[]),
        arp.union(&set(&[ICMP])).cloned().collect()
    );
    assert_eq!(find(&e, "host.http.cnt >= 1", &[]), set(&[WEB]));
    assert_eq!(find(&e, "mac.src.cnt == 2", &[]), arp);
    assert_eq!(find(&e, "db:protocolCnt >= 1", &[]), all);
    // Counts show and sort by their expressions too.
    let out = ok(trawl()
        .args(["sessions", "-q", "--csv", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .args([
            "--fields",
            "protocols.cnt,mac.src.cnt",
            "--sort",
            "mac.src.cnt:desc",
        ])
        .arg("")
        .output()
        .unwrap());
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut rows: Vec<&str> = csv.lines().skip(1).collect();
    // The ARP exchange first; the rest tie (broken by id).
    assert_eq!(rows.first(), Some(&"1,2"), "{csv}");
    rows[1..].sort_unstable();
    assert_eq!(rows, ["1,2", "1,1", "2,1", "2,1"], "{csv}");
    // The sample's sessions: dns 10-25 ms, web 30-81 ms, icmp 100-112 ms after
    // 1700000000 (2023-11-14 22:13:20 UTC). With `--bounding either`, a window keeps
    // the sessions overlapping it.
    let w = |a: &str, b: &str| {
        find(
            &e,
            "ip.src == 10.1.0.10",
            &["--start", a, "--stop", b, "--bounding", "either"],
        )
    };
    assert_eq!(w("1700000000.026", "1700000000.05"), set(&[WEB]));
    assert_eq!(w("1700000000", "1700000000.05"), set(&[WEB, DNS]));
    assert_eq!(w("1700000000.082", "1700000001"), set(&[ICMP]));
    assert_eq!(w("2023-11-14T22:13:20", "2023-11-14T22:13:21"), ip_sessions);
    assert_eq!(
        find(&e, "ip.src == 10.1.0.10", &["--start", "2024-01-01"]),
        set(&[])
    );
    // Arkime's default bounding: the last packet is in the window.
    let last = |a: &str, b: &str| find(&e, "ip.src == 10.1.0.10", &["--start", a, "--stop", b]);
    assert_eq!(last("1700000000", "1700000000.05"), set(&[DNS]));
    assert_eq!(last("1700000000.05", "1700000000.09"), set(&[WEB]));
    let first = |a: &str, b: &str| {
        find(
            &e,
            "ip.src == 10.1.0.10",
            &["--start", a, "--stop", b, "--bounding", "first"],
        )
    };
    assert_eq!(first("1700000000.026", "1700000000.05"), set(&[WEB]));
    let both = |a: &str, b: &str| {
        find(
            &e,
            "ip.src == 10.1.0.10",
            &["--start", a, "--stop", b, "--bounding", "both"],
        )
    };
    assert_eq!(both("1700000000.0", "1700000000.05"), set(&[DNS]));
}

#[test]
fn bad_expressions_say_where() {
    let e = captured("x");
    let out = trawl()
        .args(["sessions", "-q", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .arg("ip.src == 10.0.0.1 &&")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at character"), "{err}");
    let out = trawl()
        .args(["sessions", "-q", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .arg("no.such.field == 1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no.such.field"));
}

/// The pcap records of a file (header and data), in order.
fn records(p: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(p).unwrap();
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let mut o = 24;
    let mut out = Vec::new();
    while o + 16 <= b.len() {
        let caplen = u32::from_le_bytes([b[o + 8], b[o + 9], b[o + 10], b[o + 11]]) as usize;
        out.push(b[o..o + 16 + caplen].to_vec());
        o += 16 + caplen;
    }
    out
}

#[test]
fn pcap_export_is_byte_identical_and_reports_missing_files() {
    let e = captured("x");
    let out_pcap = e.data.join("web.pcap");
    ok(trawl()
        .args(["pcap", "-q", "-n", "node1", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .arg("-o")
        .arg(&out_pcap)
        .arg("port.dst == 80 || port.dst == 53")
        .output()
        .unwrap());
    let got = records(&out_pcap);
    let orig = records(&e.pcap);
    assert_eq!(got.len(), 12, "10 web and 2 dns packets");
    assert!(
        got.iter().all(|r| orig.contains(r)),
        "every record as captured"
    );
    let times: Vec<&[u8]> = got.iter().map(|r| &r[..8]).collect();
    let mut sorted = times.clone();
    sorted.sort_by_key(|t| {
        (
            u32::from_le_bytes([t[0], t[1], t[2], t[3]]),
            u32::from_le_bytes([t[4], t[5], t[6], t[7]]),
        )
    });
    assert_eq!(times, sorted, "time order");

    // The input is gone: the export says so and fails, without a panic.
    std::fs::remove_file(&e.pcap).unwrap();
    let out = trawl()
        .args(["pcap", "-q", "-n", "node1", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .args(["-w", "-"])
        .arg("port.dst == 80")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sample.pcap"));
}

#[test]
fn db_info_and_expire() {
    let e = captured("x");
    let info = ok(trawl()
        .args(["db", "info", "-q", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .output()
        .unwrap());
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("sessions3-"), "{text}");
    assert!(text.contains("1 partition,"), "{text}");
    // Keep 100000 days: nothing goes; keep 0 days: the 2023 partition goes.
    let keep = ok(trawl()
        .args(["db", "expire", "-q", "--days", "100000", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .output()
        .unwrap());
    assert!(String::from_utf8_lossy(&keep.stdout).contains("0 partitions deleted"));
    let gone = ok(trawl()
        .args(["db", "expire", "-q", "--days", "0", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .output()
        .unwrap());
    assert!(String::from_utf8_lossy(&gone.stdout).contains("1 partition deleted"));
    assert!(find(&e, "", &[]).is_empty());
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `trawl serve` on the store of `e`: the server and its base URL.
fn serve(e: &Env) -> (Server, String) {
    use std::io::BufRead;
    let mut child = trawl()
        .args(["serve", "-q", "--listen", "127.0.0.1:0", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let guard = Server(child);
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_string();
    (guard, base)
}

#[test]
fn the_http_api_answers_a_real_client() {
    use std::io::Read;
    let e = captured("api");
    let (_guard, base) = serve(&e);
    let get = |path: &str| ureq::get(&format!("{base}{path}")).call().map_err(Box::new);

    let r: serde_json::Value =
        get("/api/sessions?date=-1&expression=port.dst%20%3D%3D%2053&length=10")
            .unwrap()
            .into_json()
            .unwrap();
    assert_eq!(r["recordsFiltered"], 1);
    let d = &r["data"][0];
    assert_eq!(d["destination"]["port"], 53);
    let id = d["id"].as_str().unwrap().to_string();

    let r: serde_json::Value =
        get("/api/sessions?date=-1&expression=ip.src%3D%3D10.1.0.10&fields=port.dst&order=port.dst:desc")
            .unwrap()
            .into_json()
            .unwrap();
    let ports: Vec<u64> = r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["destination"]["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [80, 53, 0], "sorted by port, descending");

    let s: serde_json::Value = get(&format!("/api/session/{id}"))
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(s["destination"]["port"], 53);
    match get("/api/session/nope") {
        Err(e) if matches!(*e, ureq::Error::Status(404, _)) => {}
        other => panic!("{other:?}"),
    }
    match get("/api/sessions?expression=port.dst%20%3D%3D") {
        Err(e) => {
            let ureq::Error::Status(400, resp) = *e else {
                panic!("{e:?}")
            };
            let body: serde_json::Value = resp.into_json().unwrap();
            assert!(
                body["error"].as_str().unwrap().contains("at character"),
                "{body}"
            );
        }
        other => panic!("{other:?}"),
    }

    let mut pcap = Vec::new();
    get("/api/sessions/pcap?date=-1&expression=port.dst%3D%3D80")
        .unwrap()
        .into_reader()
        .read_to_end(&mut pcap)
        .unwrap();
    let p = e.data.join("api.pcap");
    std::fs::write(&p, &pcap).unwrap();
    let got = records(&p);
    assert_eq!(got.len(), 10);
    let orig = records(&e.pcap);
    assert!(got.iter().all(|r| orig.contains(r)));

    // ids= exports exactly that session (the DNS exchange: 2 packets), as does its
    // own pcap route, not the store.
    for path in [
        format!("/api/sessions.pcap?ids={id}"),
        format!("/api/session/node1/{id}.pcap"),
        format!("/node1/{id}.pcap"),
    ] {
        let mut one = Vec::new();
        get(&path)
            .unwrap()
            .into_reader()
            .read_to_end(&mut one)
            .unwrap();
        let p = e.data.join("one.pcap");
        std::fs::write(&p, &one).unwrap();
        let got = records(&p);
        assert_eq!(got.len(), 2, "{path}");
        assert!(got.iter().all(|r| orig.contains(r)), "{path}");
    }

    let st: serde_json::Value = get("/api/stats").unwrap().into_json().unwrap();
    assert!(st["data"].is_array(), "{st}");
}

/// Sends `request` on a new connection to the server at `base` while reading the
/// answer (the server may answer and close before the request is all sent); the
/// status code (0: none) and the bytes read.
fn raw(base: &str, request: Vec<u8>) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for piece in request.chunks(16 * 1024) {
            if w.write_all(piece).is_err() {
                break;
            }
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if got.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    let status = std::str::from_utf8(&got)
        .ok()
        .and_then(|t| t.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, got)
}

/// Whether the server still answers a plain search correctly.
fn still_answers(base: &str) {
    let r: serde_json::Value = ureq::get(&format!(
        "{base}/api/sessions?date=-1&expression=port.dst%20%3D%3D%2053"
    ))
    .call()
    .expect("the server still answers")
    .into_json()
    .unwrap();
    assert_eq!(r["recordsFiltered"], 1, "{r}");
}

/// The status and JSON body of a GET, whatever the status.
fn get_any(url: &str) -> (u16, serde_json::Value) {
    match ureq::get(url).call() {
        Ok(r) => (r.status(), r.into_json().unwrap_or_default()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap_or_default()),
        Err(e) => panic!("{url:.80}: {e}"),
    }
}

#[test]
fn no_request_stops_the_server() {
    let e = captured("api");
    let (mut guard, base) = serve(&e);
    // Lengths that once allocated 32 GB or overflowed a capacity: capped at
    // maxSessionsQueried, answered, twice each.
    for _ in 0..2 {
        for l in ["18446744073709551615", "1000000000", "-1"] {
            for ep in ["/api/sessions", "/api/sessions/pcap"] {
                let r = ureq::get(&format!("{base}{ep}?date=-1&length={l}")).call();
                assert_eq!(r.map(|r| r.status()).ok(), Some(200), "{ep} length={l}");
            }
        }
    }
    still_answers(&base);
    // Expressions deeper or longer than the query crate's limits: 400 naming it.
    let one = "port.dst%20%3D%3D%2080";
    for (expr, limit) in [
        (
            format!("{}{one}{}", "(".repeat(2000), ")".repeat(2000)),
            "levels",
        ),
        (format!("{}{one}", "!".repeat(2000)), "levels"),
        (vec![one; 2000].join("%7C%7C"), "comparisons"),
        (vec![one; 2000].join("%26%26"), "comparisons"),
    ] {
        for ep in ["/api/sessions", "/api/sessions/pcap"] {
            let (code, body) = get_any(&format!("{base}{ep}?expression={expr}"));
            assert_eq!(code, 400, "{body}");
            let msg = body["error"].as_str().unwrap_or_default();
            assert!(msg.contains("at most") && msg.contains(limit), "{msg}");
        }
    }
    still_answers(&base);
    // A 1 MB header: refused (431), and the server goes on.
    let mut req = b"GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.extend(vec![b'a'; 1 << 20]);
    req.extend_from_slice(b"\r\n\r\n");
    let (code, got) = raw(&base, req);
    assert!(
        code == 431 || code == 400,
        "{code}: {}",
        String::from_utf8_lossy(&got[..got.len().min(200)])
    );
    still_answers(&base);
    // A 1 MB id: refused by the head's limit with a short answer; one that fits
    // (60 KB): a short error.
    let (code, got) = raw(
        &base,
        format!(
            "GET /api/session/{} HTTP/1.1\r\nHost: x\r\n\r\n",
            "x".repeat(1 << 20)
        )
        .into_bytes(),
    );
    assert!(code == 431 || code == 400, "{code}");
    assert!(got.len() < 500, "{}", got.len());
    let (code, body) = get_any(&format!("{base}/api/session/{}", "x".repeat(60_000)));
    assert_eq!(code, 404);
    let text = body.to_string();
    assert!(
        text.len() < 500 && text.contains("no session xxxx"),
        "{text:.200}"
    );
    still_answers(&base);
    // Clients that send half a request hold no thread: others are answered, and
    // theirs are closed after a while.
    let slow: Vec<std::net::TcpStream> = (0..8)
        .map(|_| {
            use std::io::Write;
            let mut s =
                std::net::TcpStream::connect(base.strip_prefix("http://").unwrap()).unwrap();
            s.write_all(b"GET /api/stats HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    still_answers(&base);
    for mut s in slow {
        use std::io::Read;
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut buf = [0u8; 256];
        let t = std::time::Instant::now();
        match s.read(&mut buf) {
            Ok(_) => {}
            Err(e) => assert!(
                e.kind() == std::io::ErrorKind::ConnectionReset,
                "not closed: {e}"
            ),
        }
        assert!(t.elapsed().as_secs() < 25);
    }
    still_answers(&base);
    assert!(guard.0.try_wait().unwrap().is_none(), "still running");
}

#[test]
fn pcap_answers_stream_the_same_bytes_as_trawl_pcap() {
    let e = captured("x");
    let expr = "port.dst == 80 || port.dst == 53";
    let out_pcap = e.data.join("cli.pcap");
    ok(trawl()
        .args(["pcap", "-q", "-n", "node1", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .arg("-o")
        .arg(&out_pcap)
        .arg(expr)
        .output()
        .unwrap());
    let want = std::fs::read(&out_pcap).unwrap();
    assert_eq!(records(&out_pcap).len(), 12);
    let (_guard, base) = serve(&e);
    for (method, ep) in [
        ("GET", "/api/sessions/pcap"),
        ("POST", "/api/sessions.pcap"),
    ] {
        let resp = if method == "GET" {
            ureq::get(&format!("{base}{ep}"))
                .query("expression", expr)
                .query("date", "-1")
                .call()
        } else {
            ureq::post(&format!("{base}{ep}")).send_form(&[("expression", expr), ("date", "-1")])
        }
        .unwrap();
        assert_eq!(
            resp.header("Transfer-Encoding"),
            Some("chunked"),
            "{method}"
        );
        assert_eq!(resp.header("Content-Length"), None);
        assert_eq!(
            resp.header("Content-Type"),
            Some("application/vnd.tcpdump.pcap")
        );
        assert_eq!(resp.header("X-Trawl-Unreadable-Sessions"), Some("0"));
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut got).unwrap();
        assert!(
            got == want,
            "{method}: {} bytes, trawl pcap wrote {}",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn serve_refuses_a_missing_data_dir() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("no-such-dir");
    let mut child = trawl()
        .args(["serve", "-q", "--listen", "127.0.0.1:0", "-o"])
        .arg(format!("dataDir={}", missing.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed().as_secs() > 20 {
            let _ = child.kill();
            panic!("trawl serve is serving a directory that does not exist");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-dir"), "{err}");
    assert!(out.stdout.is_empty(), "not listening");
}

#[test]
fn too_deep_or_long_expressions_exit_1_naming_the_limit() {
    let e = captured("x");
    let one = "port.dst == 80";
    for (expr, limit) in [
        (
            format!("{}{one}{}", "(".repeat(2000), ")".repeat(2000)),
            "levels",
        ),
        (format!("{}{one}", "!".repeat(2000)), "levels"),
        (vec![one; 2000].join(" || "), "comparisons"),
        (vec![one; 2000].join(" && "), "comparisons"),
    ] {
        let out = trawl()
            .args(["sessions", "-q", "-o"])
            .arg(format!("dataDir={}", e.data.display()))
            .arg(&expr)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("at most") && err.contains(limit), "{err}");
        assert!(err.len() < 400, "{err}");
    }
    let out = trawl()
        .args(["sessions", "-q", "--sort", "no.such.field", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no.such.field"));
}

#[test]
fn copied_pcap_in_zstd_blocks_exports_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let pcap = t.path().join("sample.pcap");
    ok(trawl().arg("sample").arg(&pcap).output().unwrap());
    let data = t.path().join("data");
    // zstd is the default of simpleCompression, as in Arkime (the writer's own tests
    // cover files of many blocks).
    ok(trawl()
        .args(["capture", "-q", "--copy", "-n", "z1"])
        .args(["-o", "simpleCompressionBlockSize=8191", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&pcap)
        .output()
        .unwrap());
    let raw: Vec<PathBuf> = std::fs::read_dir(data.join("raw"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(raw.len(), 1);
    assert!(raw[0].to_string_lossy().ends_with(".pcap.zst"), "{raw:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("files/z1-1.json")).unwrap()).unwrap();
    assert_eq!(doc["compression"], "zstd");
    assert_eq!(doc["uncompressedBits"], 13);
    // The input is gone: the packets come from the compressed copy.
    std::fs::remove_file(&pcap).unwrap();
    let out = data.join("all.pcap");
    ok(trawl()
        .args(["pcap", "-q", "-n", "z1", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("-o")
        .arg(&out)
        .arg("ip.src == 10.1.0.10")
        .output()
        .unwrap());
    let got = records(&out);
    assert_eq!(got.len(), 14, "dns 2 + web 10 + icmp 2");
    // Rebuild the sample to compare with what was captured.
    let again = t.path().join("again.pcap");
    ok(trawl().arg("sample").arg(&again).output().unwrap());
    let orig = records(&again);
    assert!(got.iter().all(|r| orig.contains(r)));
}

/// A classic pcap of `n` UDP packets over many sessions.
fn many_udp(path: &Path, n: u32) {
    let mut b = Vec::with_capacity(24 + n as usize * 90);
    b.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..n {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let payload = [i as u8; 16];
        let ip_len = 20 + 8 + payload.len() as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            0,
            0,
            0,
            64,
            17,
            0,
            0,
        ]);
        f.extend_from_slice(&[10, 9, (i >> 16) as u8, (i >> 8) as u8]);
        f.extend_from_slice(&[10, 8, 0, 1]);
        let sport = 1024 + (i % 50_000) as u16;
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&53u16.to_be_bytes());
        f.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(&payload);
        b.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        b.extend_from_slice(&(i % 1000 * 1000).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&f);
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn a_killed_capture_leaves_a_store_that_opens_and_pcap_that_reads() {
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("big.pcap");
    many_udp(&input, 400_000);
    let data = t.path().join("data");
    let mut child = trawl()
        .args(["capture", "-q", "--copy", "-n", "k1"])
        .args([
            "-o",
            "simpleCompression=none",
            "-o",
            "pcapWriteSize=65536",
            "-o",
        ])
        .arg(format!("dataDir={}", data.display()))
        .arg("-r")
        .arg(&input)
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    // SIGKILL: nothing gets flushed.
    let _ = child.kill();
    let _ = child.wait();
    // The store opens (whatever was committed, possibly nothing), and searches work.
    ok(trawl()
        .args(["db", "info", "-q", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .output()
        .unwrap());
    ok(trawl()
        .args(["sessions", "-q", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .arg("port.dst == 53")
        .output()
        .unwrap());
    // Every pcap written so far reads back record by record up to where it stops.
    if let Ok(rd) = std::fs::read_dir(data.join("raw")) {
        for f in rd.flatten() {
            let b = std::fs::read(f.path()).unwrap();
            if b.len() < 24 {
                continue;
            }
            assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
            let mut o = 24;
            let mut n = 0;
            while o + 16 <= b.len() {
                let caplen =
                    u32::from_le_bytes([b[o + 8], b[o + 9], b[o + 10], b[o + 11]]) as usize;
                assert_eq!(caplen, 58, "record {n} of {} is intact", f.path().display());
                if o + 16 + caplen > b.len() {
                    break;
                }
                o += 16 + caplen;
                n += 1;
            }
        }
    }
}

/// Arkime's regression folder, when this checkout sits beside ../shared.
fn regression_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/arkime-regression");
    if !p.join("config.test.ini").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing under CI",
            p.display()
        );
        eprintln!("skipped: {} not present", p.display());
        return None;
    }
    Some(p)
}

#[test]
fn regression_pcaps_captured_and_searched() {
    let Some(reg) = regression_dir() else {
        eprintln!("SKIPPED: ../shared/arkime-regression is not present");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let opts = |c: &mut Command| {
        c.current_dir(&reg)
            .args([
                "-q",
                "-c",
                "config.test.ini",
                "-n",
                "test",
                "-o",
                "elasticsearch=",
                "-o",
            ])
            .arg(format!("dataDir={}", data.display()));
    };
    let mut c = trawl();
    c.arg("capture");
    opts(&mut c);
    for p in [
        "http-simple-get",
        "dns-udp",
        "tls13",
        "gre-sample",
        "bigendian",
    ] {
        c.arg("-r").arg(format!("pcap/{p}.pcap"));
    }
    ok(c.output().unwrap());
    let count = |expr: &str| -> usize {
        let mut c = trawl();
        c.args(["sessions", "--json", "--limit", "1000"]);
        opts(&mut c);
        let out = ok(c.arg(expr).output().unwrap());
        String::from_utf8(out.stdout).unwrap().lines().count()
    };
    assert_eq!(count(""), 12);
    // tls13: JA3 and the SNI (written to host.http) from the TLS parser.
    assert_eq!(count("tls.ja3 == 4826a90ec2daf4f7b4b64cc1c8bd343b"), 1);
    assert_eq!(count("host.http == *.cloudflare.com"), 1);
    assert_eq!(count("host.http == blog.cloudflare.*"), 1);
    assert_eq!(count("ip.src == 2001:16d8:ffce::/48"), 1);
    // gre-sample: filenameOps tag every session of the file.
    assert_eq!(count("tags == gretest-sample"), 6);
    assert_eq!(count("tags == gretest-sample && protocols == tcp"), 1);
    assert_eq!(count("tags == gretest-sample && !protocols == udp"), 2);
    // dns-udp has three DNS sessions to port 53 (and the GRE file one more).
    assert_eq!(count("port.dst == 53 && ip.src == 10.0.0.0/8"), 3);
    assert_eq!(count("port.dst == 53"), 4);
    // zeek intel: bigendian's source address is an indicator.
    assert_eq!(count("tags == zeek:intel"), 1);
    assert_eq!(count("tags == zeek:intel && ip.src == 192.168.177.160"), 1);
    // Time window: only the 2013 sessions.
    let mut c = trawl();
    c.args([
        "sessions",
        "--json",
        "--start",
        "2013-01-01",
        "--stop",
        "2013-12-31",
    ]);
    opts(&mut c);
    let out = ok(c.output().unwrap());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);
}

/// Starts `trawl serve` with `args`; the server and the first line it printed, or the
/// failed run's output when it exits instead.
fn serve_with(args: &[String]) -> Result<(Server, String), std::process::Output> {
    use std::io::BufRead;
    let mut child = trawl()
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let _ = std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    if line.is_empty() {
        return Err(child.wait_with_output().unwrap());
    }
    Ok((Server(child), line.trim().to_string()))
}

#[test]
fn users_logins_and_tls() {
    use std::io::Write;
    let e = captured("auth");
    let data = format!("dataDir={}", e.data.display());
    let user = |args: &[&str], stdin: &str| {
        let mut c = trawl()
            .arg("user")
            .args(args)
            .args(["-q", "-o", &data])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        c.wait_with_output().unwrap()
    };

    // Anywhere but loopback needs users: refused while there are none.
    let open = vec![
        "-q".to_string(),
        "-o".into(),
        data.clone(),
        "--listen".into(),
        "0.0.0.0:0".into(),
    ];
    let out = serve_with(&open).err().expect("refused without users");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs authentication") && err.contains("trawl user add"),
        "{err}"
    );

    let added = user(&["add", "alice"], "s3cret\n");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let listed = user(&["list"], "");
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "alice\n");
    let users_file = std::fs::read_to_string(e.data.join("users")).unwrap();
    assert!(users_file.contains("alice:$argon2id$") && !users_file.contains("s3cret"));

    let (_guard, line) = serve_with(&open).expect("serving with users");
    let port = line.rsplit(':').next().unwrap().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let basic = |u: &str, p: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        )
    };
    let status = |r: Result<ureq::Response, ureq::Error>| match r {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(c, _)) => c,
        Err(e) => panic!("{e}"),
    };
    let url = format!("{base}/api/sessions?date=-1");
    assert_eq!(status(ureq::get(&url).call()), 401);
    assert_eq!(
        status(
            ureq::get(&url)
                .set("Authorization", &basic("alice", "wrong"))
                .call()
        ),
        401
    );
    assert_eq!(
        status(
            ureq::get(&url)
                .set("Authorization", &basic("alice", "s3cret"))
                .call()
        ),
        200
    );
    assert_eq!(
        status(
            ureq::post(&format!("{base}/api/login"))
                .send_form(&[("username", "alice"), ("password", "nope")])
        ),
        401
    );

    // TLS from certFile and keyFile (a certificate made here for 127.0.0.1).
    let cert = e.data.join("cert.pem");
    let key = e.data.join("key.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let tls = vec![
        "-q".to_string(),
        "-o".into(),
        data.clone(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "-o".into(),
        format!("certFile={}", cert.display()),
        "-o".into(),
        format!("keyFile={}", key.display()),
    ];
    let (_tls_guard, line) = serve_with(&tls).expect("serving TLS");
    assert!(
        line.starts_with("listening on https://127.0.0.1:"),
        "{line}"
    );
    let https = line.strip_prefix("listening on ").unwrap();
    let curl = |extra: &[&str], url: &str| {
        let o = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "10",
            ])
            .args(extra)
            .arg(url)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let ca = cert.display().to_string();
    let stats = format!("{https}/api/stats");
    assert_eq!(
        curl(&["--cacert", &ca, "-u", "alice:s3cret"], &stats),
        "200"
    );
    assert_eq!(curl(&["--cacert", &ca, "-u", "alice:bad"], &stats), "401");
    assert_eq!(curl(&["--cacert", &ca], &stats), "401");
    // Plain HTTP to the TLS port gets no answer.
    assert_eq!(curl(&[], &stats.replace("https://", "http://")), "000");

    let deleted = user(&["del", "alice"], "");
    assert!(deleted.status.success());
    assert_eq!(String::from_utf8_lossy(&user(&["list"], "").stdout), "");
    assert!(
        !user(&["del", "alice"], "").status.success(),
        "no such user"
    );
}

#[test]
fn a_store_knows_the_fields_its_capture_defined() {
    let t = tempfile::tempdir().unwrap();
    let pcap = t.path().join("sample.pcap");
    ok(trawl().arg("sample").arg(&pcap).output().unwrap());
    let cfg = t.path().join("config.ini");
    std::fs::write(
        &cfg,
        "[default]\n\n[headers-http-response]\nserver=type:string\n",
    )
    .unwrap();
    let data = format!("dataDir={}", t.path().join("data").display());
    let other = format!("dataDir={}", t.path().join("other").display());
    ok(trawl()
        .args(["capture", "-q", "-c"])
        .arg(&cfg)
        .args(["-o", &data, "-r"])
        .arg(&pcap)
        .output()
        .unwrap());
    let search = |dir: &str| {
        trawl()
            .args([
                "sessions",
                "-q",
                "-o",
                dir,
                "http.response.server == \"*\" || port.dst == 80",
            ])
            .output()
            .unwrap()
    };
    // Without the config: the store's own record of its fields.
    let found = ok(search(&data));
    assert!(text(&found).contains("1 of 1 matching"), "{}", text(&found));
    // A store (empty) whose captures defined no such field.
    std::fs::create_dir_all(t.path().join("other").join("sessions")).unwrap();
    let unknown = search(&other);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown).contains("unknown field 'http.response.server'"),
        "{}",
        text(&unknown)
    );
}

#[test]
fn file_finds_the_sessions_of_the_pcap_files_it_names() {
    let e = captured("f");
    let other = e.pcap.with_file_name("other.pcap");
    std::fs::copy(&e.pcap, &other).unwrap();
    ok(trawl()
        .args(["capture", "-q", "-n", "node1", "-o"])
        .arg(format!("dataDir={}", e.data.display()))
        .arg("-r")
        .arg(&other)
        .output()
        .unwrap());
    let rows = |expr: &str| -> Output {
        trawl()
            .args(["sessions", "-q", "-n", "node1", "--json", "-o"])
            .arg(format!("dataDir={}", e.data.display()))
            .arg(expr)
            .output()
            .unwrap()
    };
    let count = |expr: &str| {
        String::from_utf8_lossy(&ok(rows(expr)).stdout)
            .lines()
            .count()
    };
    let first = count(&format!("file == \"{}\"", e.pcap.display()));
    let all = count("");
    assert!(first > 0 && all == 2 * first, "{first} of {all}");
    assert_eq!(count("file == *other.pcap"), first);
    assert_eq!(count("file == *.pcap"), all);
    assert_eq!(count(&format!("file != \"{}\"", other.display())), first);
    assert_eq!(count("file == /.*sample.*/ && port.dst == 80"), 1);
    let missing = rows("file == /nowhere/x.pcap");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing).contains("file '/nowhere/x.pcap' not found"),
        "{}",
        text(&missing)
    );
}

/// A pcap with one UDP session on each of three days (2023-11-14, 15 and 16).
fn three_days(dir: &Path) -> PathBuf {
    use trawl_testkit::{pcap, wire, Frame};
    let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
    let frames: Vec<Frame> = (0..3u32)
        .map(|d| {
            let u = wire::udp(a, 5000 + d as u16, b, 53, b"abcd");
            let ip = wire::ip(a, b, 17, 1, &u);
            Frame::ethernet(
                1_699_963_200 + d * 86_400,
                0,
                wire::ethernet([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], 0x0800, &ip),
            )
        })
        .collect();
    let p = dir.join("days.pcap");
    std::fs::write(&p, pcap(&frames)).unwrap();
    p
}

fn partitions(data: &Path) -> String {
    let info = ok(trawl()
        .args(["db", "info", "-q", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .output()
        .unwrap());
    String::from_utf8_lossy(&info.stdout).into_owned()
}

#[test]
fn capture_keeps_the_store_within_store_max_g() {
    let t = tempfile::tempdir().unwrap();
    let pcap = three_days(t.path());
    let run = |data: &Path, opt: &str| {
        trawl()
            .args(["capture", "-n", "node1", "-o"])
            .arg(format!("dataDir={}", data.display()))
            .args(["-o", opt, "-r"])
            .arg(&pcap)
            .output()
            .unwrap()
    };
    // Kept 100000 days, without a cap: three daily partitions.
    let data = t.path().join("all");
    ok(run(&data, "storeDays=100000"));
    let all = partitions(&data);
    for d in ["231114", "231115", "231116"] {
        assert!(all.contains(&format!("sessions3-{d}")), "{all}");
    }
    // A cap of about a kilobyte: the two older partitions go, whole; the newest stays
    // however large it is.
    let data = t.path().join("capped");
    let out = ok(run(&data, "storeMaxG=0.000001"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("retention deleted 2 partitions (2 documents)"),
        "{err}"
    );
    let left = partitions(&data);
    assert!(left.contains("sessions3-231116"), "{left}");
    assert!(
        !left.contains("sessions3-231114") && !left.contains("sessions3-231115"),
        "{left}"
    );
    // Bad values name the key.
    for (opt, key) in [
        ("storeMaxG=lots", "storeMaxG"),
        ("storeDays=-2", "storeDays"),
    ] {
        let out = run(&data, opt);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(key) && err.contains(&opt[key.len() + 1..]),
            "{err}"
        );
    }
}

#[test]
fn sessions_says_what_is_wrong_and_shows_what_was_asked() {
    let e = captured("x");
    let sessions = |args: &[&str]| {
        trawl()
            .args(["sessions", "-q", "-n", "node1", "-o"])
            .arg(format!("dataDir={}", e.data.display()))
            .args(args)
            .output()
            .unwrap()
    };
    // Headers as asked (not database names), times with their zone, counts in the
    // singular for one.
    let out = ok(sessions(&[
        "--fields",
        "starttime,ip.src,port.dst",
        "protocols == icmp",
    ]));
    let table = String::from_utf8_lossy(&out.stdout);
    let mut lines = table.lines();
    let head: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["starttime", "ip.src", "port.dst"]);
    assert!(lines.next().unwrap().contains(" UTC "), "{table}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "1 of 1 matching session"
    );
    // An unknown field to show is an error, as in an expression.
    let out = sessions(&["--fields", "ip.src,nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("cannot show 'nosuch': no such field"),
        "{}",
        text(&out)
    );
    // A bad value is pointed at: "ip.src == " is 10 characters.
    let out = sessions(&["ip.src == 1.2.3.999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("at character 10:"), "{}", text(&out));
    // A dataDir without a store says so and exits 1.
    let empty = e.data.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = trawl()
        .args(["sessions", "-q", "-o"])
        .arg(format!("dataDir={}", empty.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no session store in dataDir"),
        "{}",
        text(&out)
    );
}
