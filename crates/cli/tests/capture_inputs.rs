//! Capture's inputs that arrive while it runs, through the real binary: `-m/--monitor`
//! (new files in watched directories), URIs for `-r` (file://, http://, https://;
//! s3:// refused) and the command socket (`--command-socket`, `--command-wait`,
//! `--command`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{sample, stderr, tests_docs, trawl};

/// The `--tests` documents of reading `files` with -r (and `extra`).
fn docs_of(files: &[&str], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut c = trawl();
    c.args(["capture", "--tests", "-n", "n1"]).args(extra);
    for f in files {
        c.arg("-r").arg(f);
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    tests_docs(&out.stdout)
}

/// A capture running in the background, its stderr collected as it comes.
struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Running {
    /// `trawl capture --tests -n n1` with `extra`.
    fn capture(extra: &[&str]) -> Running {
        let mut args = vec!["capture", "--tests", "-n", "n1"];
        args.extend_from_slice(extra);
        Running::start(&args)
    }

    fn start(args: &[&str]) -> Running {
        let mut child = trawl()
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let l = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut g = l.lock().unwrap();
                g.push_str(&line);
                g.push('\n');
            }
        });
        Running { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log holds `what` `times` times.
    fn wait_for(&self, what: &str, times: usize) {
        let t = Instant::now();
        while self.log().matches(what).count() < times {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no '{what}' (x{times}) in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the exit: status code and stdout.
    fn finish(mut self) -> (Option<i32>, Vec<u8>, String) {
        let mut out = Vec::new();
        let mut so = self.child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let _ = so.read_to_end(&mut out);
            out
        });
        let t = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if t.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("capture did not exit:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = reader.join().unwrap();
        // The stderr thread ends with the pipe.
        std::thread::sleep(Duration::from_millis(100));
        (status.code(), out, self.log())
    }
}

#[test]
fn monitor_reads_files_closed_or_moved_in_after_start_until_sigterm() {
    let t = tempfile::tempdir().unwrap();
    let watched = t.path().join("watched");
    std::fs::create_dir_all(watched.join("sub")).unwrap();
    let first = sample(&watched, "a.pcap");
    let src = sample(t.path(), "src.pcap");
    let dir = watched.to_str().unwrap();
    let run = Running::capture(&["--flush", "-m", "--recursive", "-R", dir]);
    run.wait_for("then waiting for new files", 1);
    // Copied in: closed after writing.
    std::fs::copy(&src, watched.join("b.pcap")).unwrap();
    run.wait_for("b.pcap: ", 1);
    // Written under a name the regex does not take, then moved in.
    std::fs::copy(&src, watched.join("c.tmp")).unwrap();
    std::fs::rename(watched.join("c.tmp"), watched.join("c.pcap")).unwrap();
    run.wait_for("c.pcap: ", 1);
    // In a subdirectory created after the start (--recursive).
    std::fs::create_dir(watched.join("new")).unwrap();
    run.wait_for(
        &format!("monitoring {} for new files", watched.join("new").display()),
        1,
    );
    std::fs::copy(&src, watched.join("new/d.pcap")).unwrap();
    run.wait_for("d.pcap: ", 1);
    // Not a pcap name: not read.
    std::fs::write(watched.join("notes.txt"), "x").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    run.signal("-TERM");
    let (code, stdout, log) = run.finish();
    assert_eq!(code, Some(0), "{log}");
    assert!(!log.contains("notes.txt"), "{log}");
    let want = docs_of(
        &[
            first.to_str().unwrap(),
            src.to_str().unwrap(),
            src.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
        &["--flush"],
    );
    assert_eq!(want.len(), 16);
    assert_eq!(tests_docs(&stdout), want);
}

#[test]
fn monitor_refuses_what_arkime_refuses() {
    let t = tempfile::tempdir().unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-m", "-r"])
        .arg(sample(t.path(), "s.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Must specify directories to monitor with -R"),
        "{}",
        stderr(&out)
    );
    let out = trawl()
        .args(["capture", "--tests", "-m", "--sorted", "-R"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--sorted cannot be used with --monitor"),
        "{}",
        stderr(&out)
    );
}

/// How the test server answers.
#[derive(Clone, Copy)]
enum Serve {
    /// The whole body.
    Whole,
    /// 404.
    Missing,
    /// Says the whole length, sends this many bytes, closes.
    Cut(usize),
}

/// A one-thread HTTP server of `body` on 127.0.0.1; its base URL.
fn http_server(body: Vec<u8>, how: Serve) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut b = [0u8; 1];
            while !req.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                req.push(b[0]);
            }
            match how {
                Serve::Missing => {
                    let _ = s.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
                Serve::Whole | Serve::Cut(_) => {
                    let n = match how {
                        Serve::Cut(n) => n,
                        _ => body.len(),
                    };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/vnd.tcpdump.pcap\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(head.as_bytes());
                    // In pieces, as a network delivers it.
                    for piece in body[..n].chunks(1000) {
                        let _ = s.write_all(piece);
                    }
                }
            }
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn http_inputs_give_the_documents_of_the_same_file_read_from_disk() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let bytes = std::fs::read(&pcap).unwrap();
    let want = docs_of(&[pcap.to_str().unwrap()], &[]);
    assert!(!want.is_empty());
    let url = format!(
        "{}/captures/s.pcap",
        http_server(bytes.clone(), Serve::Whole)
    );
    assert_eq!(docs_of(&[&url], &[]), want);
    // gzip over http, as for files.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).unwrap();
    let gurl = format!(
        "{}/s.pcap.gz",
        http_server(gz.finish().unwrap(), Serve::Whole)
    );
    assert_eq!(docs_of(&[&gurl], &[]), want);
    // file:// is the local file.
    let furl = format!("file://{}", pcap.display());
    assert_eq!(docs_of(&[&furl], &[]), want);
    // With a store: the files registry holds the URL as written (Arkime's inplace
    // writer registers the scheme reader's URI).
    let data = t.path().join("data");
    let out = trawl()
        .args(["capture", "-n", "n1", "-o"])
        .arg(format!("dataDir={}", data.display()))
        .args(["-r", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reg: Vec<serde_json::Value> = std::fs::read_dir(data.join("files"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("n1-"))
        .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
        .collect();
    assert_eq!(reg.len(), 1, "{reg:?}");
    assert_eq!(reg[0]["name"], url.as_str());
    assert_eq!(reg[0]["locked"], 1);
}

#[test]
fn http_failures_are_said_and_the_exit_status_says_input_failed() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let bytes = std::fs::read(&pcap).unwrap();
    // 404: nothing read, status 1; with a good file beside it, 4.
    let missing = format!("{}/gone.pcap", http_server(Vec::new(), Serve::Missing));
    let out = trawl()
        .args(["capture", "--tests", "-r", &missing])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP status 404"), "{}", stderr(&out));
    let out = trawl()
        .args(["capture", "--tests", "-r", &missing, "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(tests_docs(&out.stdout).len(), 4);
    // The server closes mid-file: what was read is kept and said, status 1.
    let cut = bytes.len() / 2;
    let url = format!("{}/s.pcap", http_server(bytes.clone(), Serve::Cut(cut)));
    let out = trawl()
        .args(["capture", "--tests", "-r", &url])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("packets read from http://"), "{err}");
    assert!(err.contains("before the error"), "{err}");
    assert!(!err.contains("0 packets read from"), "{err}");
    assert!(err.contains("read 0 files, "), "{err}");
    tests_docs(&out.stdout);
    // s3:// is not read: said, status 1 (4 beside a file that is).
    let out = trawl()
        .args(["capture", "--tests", "-r", "s3://bucket/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("s3://bucket/x.pcap: s3:// inputs are not supported"),
        "{}",
        stderr(&out)
    );
    let out = trawl()
        .args(["capture", "--tests", "-r", "s3://bucket/x.pcap", "-r"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

/// A command socket connection with a read timeout.
struct Conn {
    w: UnixStream,
    r: BufReader<UnixStream>,
}

impl Conn {
    fn open(path: &Path) -> Conn {
        let t = Instant::now();
        let s = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) => {
                    assert!(t.elapsed() < Duration::from_secs(30), "{e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Conn {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
        }
    }

    fn send(&mut self, line: &str) {
        self.w.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).unwrap();
        l
    }

    /// Lines until one that starts with `last`, included.
    fn until(&mut self, last: &str) -> Vec<String> {
        let mut v = Vec::new();
        loop {
            let l = self.line();
            assert!(!l.is_empty(), "connection closed after {v:?}");
            let done = l.starts_with(last);
            v.push(l);
            if done {
                return v;
            }
        }
    }
}

#[test]
fn command_socket_answers_adds_files_and_shutdown_ends_a_command_wait_run() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let sock = t.path().join("cmd.sock");
    let run = Running::capture(&["--command-wait", "--command-socket", sock.to_str().unwrap()]);
    let mut c = Conn::open(&sock);
    c.send("help");
    let help = c.until("version");
    let names: Vec<&str> = help
        .iter()
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "add-dir",
            "add-file",
            "exit",
            "file-status",
            "help",
            "packet-stats",
            "plugins-list",
            "set",
            "shutdown",
            "version"
        ]
    );
    // Arkime's layout: names padded to the longest name or option + 2.
    assert!(
        help.contains(&format!("version {} - Arkime Version\n", " ".repeat(22))),
        "{help:?}"
    );
    assert!(
        help.contains(&format!("  <file> {}   File to process\n", " ".repeat(23))),
        "{help:?}"
    );
    c.send("help version");
    assert_eq!(
        c.line(),
        format!("version {} - Arkime Version\n", " ".repeat(22))
    );
    c.send("version");
    assert_eq!(
        c.line(),
        format!(
            "trawl {} (Arkime capture 6.7.1 compatible)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    c.send("bogus x");
    assert_eq!(c.line(), "Unknown command bogus\n");
    c.send("set flush");
    assert_eq!(c.line(), "0\n");
    c.send("set nothing");
    assert_eq!(c.line(), "Unknown variable: nothing\n");
    c.send("plugins-list");
    assert_eq!(c.line(), "No plugins loaded\n");
    c.send("add-file --bogus x.pcap");
    assert_eq!(c.line(), "Unknown option --bogus\n");
    let p = pcap.to_str().unwrap();
    c.send(&format!("add-file --notify {p}"));
    assert_eq!(c.line(), "Added file\n");
    let done = c.line();
    let size = std::fs::metadata(&pcap).unwrap().len();
    assert!(
        done.starts_with(&format!("file-done filename={p} packets="))
            && done.ends_with(&format!(" bytes={size}\n")),
        "{done}"
    );
    c.send("add-file --notify /nowhere/x.pcap");
    assert_eq!(c.line(), "Added file\n");
    assert_eq!(c.line(), "file-error filename=/nowhere/x.pcap\n");
    c.send("file-status");
    assert_eq!(c.line(), "file-status done\n");
    c.send("packet-stats");
    let stats = c.until("Packets Duplicate Dropped");
    assert!(stats[0].starts_with("Arkime Version: "), "{stats:?}");
    assert!(
        stats
            .iter()
            .any(|l| l.starts_with("Packets Received: ") && l != "Packets Received: 0\n"),
        "{stats:?}"
    );
    c.send("shutdown");
    let (code, stdout, log) = run.finish();
    // The file that could not be read says so in the exit status.
    assert_eq!(code, Some(4), "{log}");
    assert_eq!(tests_docs(&stdout), docs_of(&[p], &[]));
    assert!(!sock.exists(), "the socket is removed at exit");
}

#[test]
fn exit_closes_the_connection_and_sigterm_ends_a_command_wait_run() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let sock = t.path().join("cmd.sock");
    let run = Running::capture(&[
        "--command-wait",
        "--command-socket",
        sock.to_str().unwrap(),
        "-r",
        pcap.to_str().unwrap(),
    ]);
    let mut c = Conn::open(&sock);
    c.send("exit");
    assert_eq!(c.line(), "", "closed");
    run.wait_for("then waiting for commands", 1);
    run.signal("-TERM");
    let (code, stdout, log) = run.finish();
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(tests_docs(&stdout).len(), 4);
}

#[test]
fn command_runs_commands_at_startup() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let p = pcap.to_str().unwrap();
    let out = trawl()
        .args(["capture", "--tests", "-n", "n1", "--command", "version"])
        .args(["--command", &format!("add-file {p}")])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("(Arkime capture 6.7.1 compatible)"), "{err}");
    assert!(err.contains("Added file"), "{err}");
    assert_eq!(tests_docs(&out.stdout), docs_of(&[p], &[]));
}

/// A test CA, and a server certificate it signed for 127.0.0.1 and localhost (valid
/// until 2125; made with openssl for these tests only).
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBlzCCAT2gAwIBAgIUIbtKYwLRSy8t3X8ndYZ2WpYOCDkwCgYIKoZIzj0EAwIw\nGDEWMBQGA1UEAwwNdHJhd2wgdGVzdCBDQTAgFw0yNjEyMDcxODM3MjhaGA8yMTI2\nMTExMzE4MzcyOFowGDEWMBQGA1UEAwwNdHJhd2wgdGVzdCBDQTBZMBMGByqGSM49\nAgEGCCqGSM49AwEHA0IABAqfBjRniUdkD3zuaUX7KFeMqXKHLoap45xCG+lMx3P2\nfFUMTsp2Fjg4kOdEB1FhlLOPe8/Jfpy0pp+pPjFBzUSjYzBhMB0GA1UdDgQWBBQa\n7QbJUILZG6h23sUsFoRdQdkMiDAfBgNVHSMEGDAWgBQa7QbJUILZG6h23sUsFoRd\nQdkMiDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICBDAKBggqhkjOPQQD\nAgNIADBFAiEAoSpfX2ugL3VJ17OqQvivK6yoFoEvsaIU0GR4mprLiwwCIGk1CvIe\nw+Tk1r0Lyqov8AD9cQ9LH5EJJl7oNBaclUId\n-----END CERTIFICATE-----\n";
const TEST_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBxDCCAWmgAwIBAgIUfoCE7pR/eLvu+n9np0Rlr0WxW+0wCgYIKoZIzj0EAwIw\nGDEWMBQGA1UEAwwNdHJhd2wgdGVzdCBDQTAgFw0yNjEyMDcxODM3MjhaGA8yMTI2\nMTExMzE4MzcyOFowFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYI\nKoZIzj0DAQcDQgAELYHwqLkAlaxDc8JbzXdDFbt7Xb4Fyo0B1vijtegf5kDbLzK3\ni4nMCkzuXxvfkFYJLPh0U9LFIMnZMuujRwXq46OBkjCBjzAaBgNVHREEEzARggls\nb2NhbGhvc3SHBH8AAAEwDAYDVR0TAQH/BAIwADATBgNVHSUEDDAKBggrBgEFBQcD\nATAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFGpzYEMWQpPnsrZ8UqOS99J9zm1G\nMB8GA1UdIwQYMBaAFBrtBslQgtkbqHbexSwWhF1B2QyIMAoGCCqGSM49BAMCA0kA\nMEYCIQCKUv7m58qr+LUd18mMcZ/ztX3qiWxGQJUAy9svKU0j8QIhAIyHo4ik0P2K\nboiR2x0N3gCqd20y+hRLY/jO0Rwtn8m8\n-----END CERTIFICATE-----\n";
const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgDnjAMA3cuXpo8h8t\nDM7Nj9q2FRdnudPT6Ag2E2M92nChRANCAAQtgfCouQCVrENzwlvNd0MVu3tdvgXK\njQHW+KO16B/mQNsvMreLicwKTO5fG9+QVgks+HRT0sUgydky66NHBerj\n-----END PRIVATE KEY-----\n";

/// A one-thread HTTPS server of `body` on 127.0.0.1 with the test certificate.
fn https_server(body: Vec<u8>) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert = CertificateDer::from_pem_slice(TEST_CERT.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(TEST_KEY.as_bytes()).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let cfg = Arc::new(cfg);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { continue };
            let Ok(conn) = rustls::ServerConnection::new(Arc::clone(&cfg)) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, s);
            let mut req = Vec::new();
            let mut b = [0u8; 1];
            while !req.ends_with(b"\r\n\r\n") && tls.read(&mut b).unwrap_or(0) == 1 {
                req.push(b[0]);
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = tls.write_all(head.as_bytes());
            let _ = tls.write_all(&body);
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    format!("https://127.0.0.1:{port}")
}

#[test]
fn https_inputs_are_read_with_the_system_trust_store() {
    let t = tempfile::tempdir().unwrap();
    let pcap = sample(t.path(), "s.pcap");
    let want = docs_of(&[pcap.to_str().unwrap()], &[]);
    let url = format!("{}/s.pcap", https_server(std::fs::read(&pcap).unwrap()));
    let read_trusting = |bundle: &Path| {
        trawl()
            .args(["capture", "--tests", "-n", "n1", "-r", &url])
            .env("SSL_CERT_FILE", bundle)
            .output()
            .unwrap()
    };
    // Trusting the test CA (SSL_CERT_FILE, as OpenSSL and curl take it).
    let ca = t.path().join("ca.pem");
    std::fs::write(&ca, TEST_CA).unwrap();
    let out = read_trusting(&ca);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(tests_docs(&out.stdout), want);
    // Not trusting it: refused, said.
    let other = t.path().join("other.pem");
    std::fs::write(&other, TEST_CERT).unwrap();
    let out = read_trusting(&other);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&url), "{}", stderr(&out));
}

#[test]
fn add_dir_reads_a_directory_and_can_monitor_it() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let a = sample(&dir, "a.pcap");
    let src = sample(t.path(), "src.pcap");
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    let sock = t.path().join("cmd.sock");
    let run = Running::capture(&[
        "--flush",
        "--command-wait",
        "--command-socket",
        sock.to_str().unwrap(),
    ]);
    let mut c = Conn::open(&sock);
    let d = dir.to_str().unwrap();
    c.send(&format!("add-dir --sorted --monitor {d}"));
    assert_eq!(c.line(), "--sorted cannot be used with --monitor\n");
    c.send(&format!("add-dir --notify --monitor --op tags=dir {d}"));
    assert_eq!(c.line(), "Added directory\n");
    let done = c.line();
    assert!(
        done.starts_with(&format!("file-done filename={} packets=", a.display())),
        "{done}"
    );
    // A file closed in the directory afterwards: read, and notified too.
    std::fs::copy(&src, dir.join("b.pcap")).unwrap();
    let done = c.line();
    assert!(
        done.starts_with(&format!(
            "file-done filename={} packets=",
            dir.join("b.pcap").display()
        )),
        "{done}"
    );
    c.send("shutdown");
    let (code, stdout, log) = run.finish();
    assert_eq!(code, Some(0), "{log}");
    // add-dir's --op on the files there and on those the watch found later: as the
    // command line's --op on every session.
    assert_eq!(
        tests_docs(&stdout),
        docs_of(
            &[a.to_str().unwrap(), src.to_str().unwrap()],
            &["--flush", "--op", "tags=dir"]
        )
    );
}

/// A config.ini of `text` in `dir`.
fn config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("config.ini");
    std::fs::write(&p, text).unwrap();
    p
}

/// The `tags` of a document.
fn tags(doc: &serde_json::Value) -> Vec<&str> {
    doc["tags"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn filename_ops_apply_to_files_that_arrive_while_monitoring() {
    let t = tempfile::tempdir().unwrap();
    // Watched through a symbolic link: filenameOps match the real path, as Arkime's.
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    sample(&real, "first.pcap");
    let src = sample(t.path(), "src.pcap");
    let ini = config(
        t.path(),
        "[default]\nfilenameOps=tags=/real/([a-z]*)\\.pcap%real-\\1;tags=/link/%via-link\n",
    );
    let run = Running::capture(&[
        "-c",
        ini.to_str().unwrap(),
        "--flush",
        "--op",
        "tags=cli",
        "-m",
        "-R",
        link.to_str().unwrap(),
    ]);
    run.wait_for("then waiting for new files", 1);
    std::fs::copy(&src, link.join("late.pcap")).unwrap();
    run.wait_for("late.pcap: ", 1);
    run.signal("-TERM");
    let (code, stdout, log) = run.finish();
    assert_eq!(code, Some(0), "{log}");
    let docs = tests_docs(&stdout);
    assert_eq!(docs.len(), 8, "{log}");
    for (i, d) in docs.iter().enumerate() {
        let want = if i < 4 { "real-first" } else { "real-late" };
        assert_eq!(tags(d), ["cli", want], "document {i}: {d}");
    }
}

#[test]
fn add_file_op_sets_fields_for_that_file_only_after_the_command_line_op() {
    let t = tempfile::tempdir().unwrap();
    let a = sample(t.path(), "a.pcap");
    let b = sample(t.path(), "b.pcap");
    let ini = config(
        t.path(),
        "[default]\nfilenameOps=tags=/([ab])\\.pcap%name-\\1\n",
    );
    let sock = t.path().join("cmd.sock");
    let run = Running::capture(&[
        "-c",
        ini.to_str().unwrap(),
        "--flush",
        "--op",
        "tags=cli",
        "--op",
        "port.socks=1111",
        "--command-wait",
        "--command-socket",
        sock.to_str().unwrap(),
    ]);
    let mut c = Conn::open(&sock);
    let (pa, pb) = (a.to_str().unwrap(), b.to_str().unwrap());
    // Arkime's replies to ops it cannot take; nothing is queued.
    c.send(&format!("add-file --op port.nothing=1 {pa}"));
    assert_eq!(
        c.line(),
        "Must be FieldExpr=value, Unknown field expression 'port.nothing'\n"
    );
    c.send(&format!("add-file --op tags {pa}"));
    assert_eq!(c.line(), "Must be FieldExpr=value, missing equal 'tags'\n");
    c.send(&format!("add-file --op tags= {pa}"));
    assert_eq!(
        c.line(),
        "Must be FieldExpr=value, empty value for 'tags='\n"
    );
    c.send("add-file --op tags=x");
    assert_eq!(c.line(), "Missing argument to -op\n");
    c.send(&format!("add-file{} {pa}", " --op tags=x".repeat(11)));
    assert_eq!(c.line(), "Too many ops\n");
    // a.pcap with its own ops, then b.pcap without.
    c.send(&format!(
        "add-file --notify --op tags=file --op port.socks=2222 {pa}"
    ));
    assert_eq!(c.line(), "Added file\n");
    assert!(c.line().starts_with("file-done filename="));
    c.send(&format!("add-file --notify {pb}"));
    assert_eq!(c.line(), "Added file\n");
    assert!(c.line().starts_with("file-done filename="));
    c.send("shutdown");
    let (code, stdout, log) = run.finish();
    assert_eq!(code, Some(0), "{log}");
    let docs = tests_docs(&stdout);
    assert_eq!(docs.len(), 8, "{log}");
    for (i, d) in docs.iter().enumerate() {
        let port = d["socks"]["port"].as_i64();
        if i < 4 {
            // --op, filenameOps, then add-file's: a field with one value keeps the
            // last (add-file's), tags gets all three.
            assert_eq!(tags(d), ["cli", "name-a", "file"], "document {i}: {d}");
            assert_eq!(port, Some(2222), "document {i}: {d}");
        } else {
            assert_eq!(tags(d), ["cli", "name-b"], "document {i}: {d}");
            assert_eq!(port, Some(1111), "document {i}: {d}");
        }
    }
}
