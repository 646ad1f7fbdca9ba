//! The fault suite of the Elasticsearch output, against the scriptable fake cluster
//! (`fake/mod.rs`): for each way a cluster can fail, every document handed to the
//! output is found, by count, in the cluster, the spool or the dead-letter file, and
//! the loss count says whether anything was lost.

mod fake;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake::{Fake, Mode};
use trawl_es::{EsConfig, EsOutput, EsStats};
use trawl_output::{Doc, DocOutput};

const N: usize = 30;

fn doc(i: usize) -> Doc {
    Doc {
        index: "arkime_sessions3-261124".into(),
        id: Some(format!("id{i:03}")),
        body: format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(100)),
    }
}

fn all_ids(n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("id{i:03}")).collect()
}

fn even(id: &str) -> bool {
    id.trim_start_matches("id")
        .parse::<u32>()
        .is_ok_and(|n| n.is_multiple_of(2))
}

fn cfg(url: &str, data: &Path) -> EsConfig {
    let mut c = EsConfig::new(url, data).unwrap();
    c.bulk_size = 600;
    // Long enough for a loaded machine; the tests of the deadline shorten it.
    c.drain_timeout = Duration::from_secs(5);
    c.request_timeout = Duration::from_secs(5);
    c.retry_pause = Duration::from_millis(10);
    c.max_retry_pause = Duration::from_millis(100);
    c.check_timeout = Duration::from_secs(1);
    c
}

fn n(a: &std::sync::atomic::AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

fn run(out: &Arc<EsOutput>, docs: usize) {
    for i in 0..docs {
        out.emit(doc(i));
    }
    out.finish();
}

/// Every document is in exactly one place by the counters, and the places hold them.
fn accounted(s: &EsStats, fake: &Fake, data: &Path, docs: usize) {
    let (sent, spooled, dead, lost) = (
        n(&s.sent_docs),
        n(&s.spooled_docs),
        n(&s.dead_lettered),
        n(&s.lost_docs),
    );
    assert_eq!(n(&s.docs_in), docs as u64);
    assert_eq!(sent + spooled + dead + lost, docs as u64, "{s:?}");
    let mut found: BTreeSet<String> = fake.accepted_ids();
    assert_eq!(
        sent,
        found.len() as u64,
        "accepted count = ids at the cluster"
    );
    let spool = fake::spool_ids(&data.join("es-spool"));
    assert_eq!(
        spooled,
        spool.len() as u64,
        "spooled count = ids in the spool"
    );
    let dl = fake::dead_letter_ids(&data.join("es-dead-letter"));
    assert_eq!(dead, dl.len() as u64, "dead-letter count = ids in the file");
    found.extend(spool);
    found.extend(dl);
    if lost == 0 {
        assert_eq!(found, all_ids(docs), "every document somewhere");
    }
}

#[test]
fn normal() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert_eq!(out.stats.lost(), 0);
}

#[test]
fn whole_request_429_and_500_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    fake.script(vec![
        Mode::Status(429),
        Mode::Status(500),
        Mode::Status(503),
    ]);
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert_eq!(n(&out.stats.failures), 3);
}

#[test]
fn per_item_429_and_rejections_are_resent() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::ItemStatus {
        status: 429,
        kind: "es_rejected_execution_exception",
        pick: Arc::new(even),
        times: 2,
    });
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    // Each even document was refused twice, then sent a third time.
    assert_eq!(n(&out.stats.item_retries), N as u64);
    assert_eq!(fake.accepted_total(), N as u64, "no document twice");
}

#[test]
fn per_item_503_is_resent() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::ItemStatus {
        status: 503,
        kind: "unavailable_shards_exception",
        pick: Arc::new(|id: &str| id.ends_with('7')),
        times: 1,
    });
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert_eq!(n(&out.stats.item_retries), 3);
}

#[test]
fn a_refused_field_is_removed_and_the_document_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::FieldRefused("http.statuscode".into()));
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    for i in 0..N {
        let body = match i % 3 {
            // Nested, as the session documents are.
            0 => format!(r#"{{"n":{i},"http":{{"statuscode":["abc"],"method":["GET"]}}}}"#),
            // A dotted key.
            1 => format!(r#"{{"n":{i},"http.statuscode":"abc"}}"#),
            _ => format!(r#"{{"n":{i}}}"#),
        };
        out.emit(Doc {
            index: "arkime_sessions3-261124".into(),
            id: Some(format!("id{i:03}")),
            body,
        });
    }
    out.finish();
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert_eq!(n(&out.stats.fields_removed), 20);
    assert_eq!(n(&out.stats.dead_lettered), 0);
    for (id, body) in fake.accepted() {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(!fake::has_field(&v, "http.statuscode"), "{id}: {body}");
        let i = v["n"].as_u64().unwrap();
        if i.is_multiple_of(3) {
            assert_eq!(v["http"]["method"][0], "GET", "the rest is kept");
        }
    }
}

#[test]
fn an_unfixable_400_goes_to_the_dead_letter_file() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::ItemRefused(Arc::new(even)));
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), (N / 2) as u64);
    assert_eq!(n(&out.stats.dead_lettered), (N / 2) as u64);
    assert_eq!(out.stats.lost(), 0);
    let dl: BTreeSet<String> = fake::dead_letter_ids(&dir.path().join("es-dead-letter"))
        .into_iter()
        .collect();
    assert_eq!(dl, all_ids(N).into_iter().filter(|i| even(i)).collect());
    // Each record ends with the reason.
    let file = std::fs::read_dir(dir.path().join("es-dead-letter"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(file).unwrap();
    let reason: serde_json::Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
    assert_eq!(reason["status"], 400);
    assert!(reason["reason"]
        .as_str()
        .unwrap()
        .contains("Limit of total fields"));
}

#[test]
fn an_html_200_is_not_success() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    fake.script(vec![Mode::Html, Mode::Html]);
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert_eq!(n(&out.stats.failures), 2);
}

#[test]
fn an_answer_cut_short_is_not_success() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    fake.script(vec![Mode::CloseMid]);
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert_eq!(n(&out.stats.failures), 1);
    assert!(
        fake.accepted_total() > N as u64,
        "the bulk whose answer was cut was sent again"
    );
}

#[test]
fn a_hanging_cluster_is_drained_by_the_deadline_into_the_spool() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    let mut c = cfg(&fake.url, dir.path());
    c.drain_timeout = Duration::from_secs(2);
    // Long enough that only the drain deadline can end the hung request in time.
    c.request_timeout = Duration::from_secs(60);
    let out = EsOutput::start(c).unwrap();
    fake.set(Mode::Hang);
    for i in 0..N {
        out.emit(doc(i));
    }
    let t = Instant::now();
    out.finish();
    let took = t.elapsed();
    assert!(took < Duration::from_millis(3500), "finish took {took:?}");
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.spooled_docs), N as u64);
    assert_eq!(out.stats.lost(), 0);
}

#[test]
fn a_cluster_gone_during_the_run_is_spooled() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    let mut c = cfg(&fake.url, dir.path());
    c.drain_timeout = Duration::from_secs(2);
    let out = EsOutput::start(c).unwrap();
    for i in 0..N / 2 {
        out.emit(doc(i));
    }
    // Give the 600-byte bulks time to go.
    std::thread::sleep(Duration::from_millis(300));
    fake.set(Mode::Refuse);
    for i in N / 2..N {
        out.emit(doc(i));
    }
    let t = Instant::now();
    out.finish();
    assert!(t.elapsed() < Duration::from_millis(3500));
    accounted(&out.stats, &fake, dir.path(), N);
    assert!(n(&out.stats.spooled_docs) >= (N / 2) as u64);
    assert_eq!(out.stats.lost(), 0);
}

#[test]
fn bulks_spooled_while_the_cluster_was_away_are_sent_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Status(503));
    let mut c = cfg(&fake.url, dir.path());
    // Room for one bulk in memory: the rest go to the spool while the cluster fails.
    c.queue = 1;
    c.drain_timeout = Duration::from_secs(20);
    let out = EsOutput::start(c).unwrap();
    for i in 0..N {
        out.emit(doc(i));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(n(&out.stats.spooled_docs) > 0, "some went to the spool");
    fake.set(Mode::Normal);
    out.finish();
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64, "all sent within the run");
    assert_eq!(n(&out.stats.spooled_docs), 0);
    assert!(fake::spool_ids(&dir.path().join("es-spool")).is_empty());
}

#[test]
fn nothing_spooled_is_lost_when_the_spool_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::Normal);
    // The spool directory cannot be made: a file is in its place.
    std::fs::write(dir.path().join("es-spool"), b"not a directory").unwrap();
    let mut c = cfg(&fake.url, dir.path());
    c.drain_timeout = Duration::from_secs(1);
    let out = EsOutput::start(c).unwrap();
    fake.set(Mode::Status(503));
    run(&out, N);
    assert_eq!(n(&out.stats.sent_docs), 0);
    assert_eq!(out.stats.lost(), N as u64, "counted per document");
}

#[test]
fn an_unreachable_cluster_stops_the_start_unless_spooling_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let t = Instant::now();
    let err = EsOutput::start(cfg(&dead, dir.path()))
        .err()
        .expect("refused to start");
    assert!(t.elapsed() < Duration::from_secs(3));
    let msg = err.to_string();
    assert!(msg.contains(&dead), "{msg}");
    assert!(!dir.path().join("es-spool").exists());

    let mut c = cfg(&dead, dir.path());
    c.spool_when_unreachable = true;
    let out = EsOutput::start(c).unwrap();
    run(&out, N);
    assert_eq!(n(&out.stats.spooled_docs), N as u64);
    assert_eq!(
        fake::spool_ids(&dir.path().join("es-spool")).len(),
        N,
        "every document in the spool"
    );
}

#[test]
fn a_401_at_start_means_the_cluster_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr());
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let _ = req.respond(tiny_http::Response::from_string("no").with_status_code(401));
        }
    });
    assert!(cfg(&url, dir.path()).check_reachable().is_ok());
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr());
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let _ = req.respond(tiny_http::Response::from_string("no").with_status_code(502));
        }
    });
    let e = cfg(&url, dir.path()).check_reachable().unwrap_err();
    assert!(e.contains("502") && e.contains(&url), "{e}");
}

#[test]
fn bad_urls_are_refused() {
    let d = Path::new("/d");
    for bad in ["http://[::1", "ftp://es:9200", "http://", "es:99999"] {
        let e = EsConfig::new(&format!("localhost:9200,{bad}"), d).unwrap_err();
        assert_eq!(e.url, bad);
        assert!(e.to_string().contains(bad), "{e}");
    }
    assert!(EsConfig::new("http://[::1]:9200,es2", d).is_ok());
}

/// Writes a spool file of documents `from..to`.
fn spool_file(spool: &Path, name: &str, from: usize, to: usize) {
    std::fs::create_dir_all(spool).unwrap();
    let mut body = String::new();
    for i in from..to {
        let d = doc(i);
        body.push_str(&d.header());
        body.push('\n');
        body.push_str(&d.body);
        body.push('\n');
    }
    std::fs::write(spool.join(name), body).unwrap();
}

#[test]
fn a_spool_file_too_large_is_halved_until_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("es-spool");
    spool_file(&spool, "1-1-1.ndjson", 0, 10);
    let fake = Fake::start(Mode::TooLargeOver(3));
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    out.finish();
    assert_eq!(fake.accepted_ids(), all_ids(10));
    assert_eq!(n(&out.stats.replayed_docs), 10);
    // 10 → 5+5 → (2+3)+(2+3).
    assert_eq!(n(&out.stats.splits), 3);
    assert!(fake::spool_ids(&spool).is_empty(), "spool emptied");
}

#[test]
fn a_spool_file_refused_for_good_is_set_aside_and_the_next_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("es-spool");
    spool_file(&spool, "1-1-1.ndjson", 0, 5);
    spool_file(&spool, "1-1-2.ndjson", 5, 10);
    spool_file(&spool, "1-1-3.ndjson", 10, 11);
    let fake = Fake::start(Mode::Normal);
    // The first file: 400; the third (one document): 413.
    fake.script(vec![Mode::Status(400), Mode::Normal, Mode::Status(413)]);
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, 3);
    assert_eq!(
        fake.accepted_ids(),
        (0..3).chain(5..10).map(|i| format!("id{i:03}")).collect()
    );
    assert_eq!(n(&out.stats.replayed_docs), 5);
    assert_eq!(n(&out.stats.replay_refused), 6);
    assert!(fake::spool_ids(&spool).is_empty(), "spool emptied");
    let mut refused = fake::spool_ids(&spool.join("refused"));
    refused.sort();
    assert_eq!(
        refused,
        (0..5)
            .chain(10..11)
            .map(|i| format!("id{i:03}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(out.stats.lost(), 0);
}

#[test]
fn a_live_bulk_too_large_is_halved() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::start(Mode::TooLargeOver(1));
    let out = EsOutput::start(cfg(&fake.url, dir.path())).unwrap();
    run(&out, N);
    accounted(&out.stats, &fake, dir.path(), N);
    assert_eq!(n(&out.stats.sent_docs), N as u64);
    assert!(n(&out.stats.splits) > 0);
}
