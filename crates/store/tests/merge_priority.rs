//! The store writer's merging threads run at the lowest CPU priority and its indexing
//! threads at the capture's own. One test in its own process: it reads the priority of
//! every thread of the process.

use std::time::{Duration, Instant};

use trawl_output::{Doc, DocOutput};
use trawl_store::StoreOutput;

/// (name, nice) of every thread of this process.
fn threads() -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // After the name in parentheses: state is field 3, nice field 19.
        let nice = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(16))
            .and_then(|v| v.parse().ok())
            .expect("a thread's nice value");
        out.push((comm.trim().to_string(), nice));
    }
    out
}

#[test]
fn merging_threads_run_at_the_lowest_priority_and_indexing_threads_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = StoreOutput::start(dir.path(), vec![]).unwrap();
    for (i, part) in ["sessions3-261101", "sessions3-261102"].iter().enumerate() {
        out.emit(Doc {
            index: part.to_string(),
            id: Some(format!("s{i}")),
            body: r#"{"firstPacket":1,"lastPacket":2}"#.into(),
        });
    }
    let t0 = Instant::now();
    while out.stats.indexed.load(std::sync::atomic::Ordering::Relaxed) < 2 {
        assert!(t0.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(10));
    }
    let all = threads();
    let merging: Vec<_> = all
        .iter()
        .filter(|(n, _)| n.starts_with("merge_thread_"))
        .collect();
    // One merging thread per open partition.
    assert_eq!(merging.len(), 2, "{all:?}");
    assert!(merging.iter().all(|(_, nice)| *nice == 19), "{all:?}");
    let others: Vec<_> = all
        .iter()
        .filter(|(n, _)| !n.starts_with("merge_thread_"))
        .collect();
    // The rest keep the priority the process runs at.
    let base = others
        .iter()
        .find(|(n, _)| n == "store-writer")
        .map(|(_, nice)| *nice)
        .expect("the store writer's thread");
    assert!(base < 19, "the test runs at the lowest priority already");
    assert!(others.iter().all(|(_, nice)| *nice == base), "{all:?}");
    out.finish();
}
