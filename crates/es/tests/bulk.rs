//! The Elasticsearch output against a small fake cluster (tiny_http): bulks carry every
//! document once, gzip-compressed when large; a busy cluster (429) is retried; an
//! absent one leaves the documents in the spool, which the next run sends.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trawl_es::{EsConfig, EsOutput};
use trawl_output::{Doc, DocOutput};

/// A fake cluster: records each bulk's lines; answers 429 to the first `busy` requests.
fn cluster(busy: usize) -> (String, Arc<Mutex<Vec<Vec<String>>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = Arc::clone(&got);
    std::thread::spawn(move || {
        let mut n = 0;
        for mut req in server.incoming_requests() {
            if req.url() == "/" {
                let _ = req.respond(tiny_http::Response::from_string("{}"));
                continue;
            }
            n += 1;
            assert_eq!(req.url(), "/_bulk");
            let gz = req
                .headers()
                .iter()
                .any(|h| h.field.equiv("Content-Encoding") && h.value == "gzip");
            let mut raw = Vec::new();
            req.as_reader().read_to_end(&mut raw).unwrap();
            if n <= busy {
                let _ = req.respond(tiny_http::Response::from_string("busy").with_status_code(429));
                continue;
            }
            let body = if gz {
                let mut s = String::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_string(&mut s)
                    .unwrap();
                s
            } else {
                String::from_utf8(raw).unwrap()
            };
            let lines: Vec<String> = body.lines().map(str::to_string).collect();
            let items: Vec<String> = (0..lines.len() / 2)
                .map(|_| r#"{"index":{"status":201}}"#.to_string())
                .collect();
            g.lock().unwrap().push(lines);
            let _ = req.respond(tiny_http::Response::from_string(format!(
                r#"{{"errors":false,"items":[{}]}}"#,
                items.join(",")
            )));
        }
    });
    (url, got)
}

fn doc(i: usize) -> Doc {
    Doc {
        index: "arkime_sessions3-261124".into(),
        id: Some(format!("id{i}")),
        body: format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(100)),
    }
}

fn ids(bulks: &[Vec<String>]) -> Vec<String> {
    let mut v: Vec<String> = bulks
        .iter()
        .flat_map(|b| b.chunks(2))
        .map(|pair| {
            let h: serde_json::Value = serde_json::from_str(&pair[0]).unwrap();
            assert_eq!(h["index"]["_index"], "arkime_sessions3-261124");
            let b: serde_json::Value = serde_json::from_str(&pair[1]).unwrap();
            assert!(b["n"].is_u64());
            h["index"]["_id"].as_str().unwrap().to_string()
        })
        .collect();
    v.sort();
    v
}

fn cfg(url: &str, spool: &std::path::Path) -> EsConfig {
    let mut c = EsConfig::new(url, spool.parent().unwrap()).unwrap();
    c.bulk_size = 600;
    c.retry_pause = Duration::from_millis(20);
    c.spool_when_unreachable = true;
    c.spool = spool.to_path_buf();
    c.drain_timeout = Duration::from_secs(2);
    c
}

#[test]
fn every_document_once_in_bulks() {
    let dir = tempfile::tempdir().unwrap();
    let (url, got) = cluster(1);
    let out = EsOutput::start(cfg(&url, &dir.path().join("spool"))).unwrap();
    for i in 0..20 {
        out.emit(doc(i));
    }
    out.finish();
    let bulks = got.lock().unwrap().clone();
    assert!(bulks.len() > 2, "several bulks of at most ~600 bytes");
    let mut want: Vec<String> = (0..20).map(|i| format!("id{i}")).collect();
    want.sort();
    assert_eq!(ids(&bulks), want);
    assert_eq!(out.stats.sent_docs.load(Ordering::Relaxed), 20);
    assert_eq!(
        out.stats.failures.load(Ordering::Relaxed),
        1,
        "the 429 was retried"
    );
    assert!(
        !dir.path().join("spool").exists()
            || std::fs::read_dir(dir.path().join("spool")).unwrap().count() == 0
    );
}

#[test]
fn an_absent_cluster_spools_and_the_next_run_sends() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    // A port nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let out = EsOutput::start(cfg(&dead, &spool)).unwrap();
    for i in 0..10 {
        out.emit(doc(i));
    }
    out.finish();
    assert_eq!(out.stats.sent_docs.load(Ordering::Relaxed), 0);
    let files = std::fs::read_dir(&spool).unwrap().count();
    assert!(files > 0, "documents kept in the spool");

    let (url, got) = cluster(0);
    let out = EsOutput::start(cfg(&url, &spool)).unwrap();
    out.finish();
    let mut want: Vec<String> = (0..10).map(|i| format!("id{i}")).collect();
    want.sort();
    assert_eq!(ids(&got.lock().unwrap()), want);
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        0,
        "spool emptied"
    );
}

#[test]
fn urls_and_credentials() {
    let c = EsConfig::new(
        " , user:pw@es1:9200/ ,https://es2 ",
        std::path::Path::new("/d"),
    )
    .unwrap();
    assert_eq!(c.urls, ["http://es1:9200", "https://es2"]);
    assert_eq!(c.auth.as_deref(), Some("Basic dXNlcjpwdw=="));
    assert_eq!(c.spool, std::path::Path::new("/d/es-spool"));
}
