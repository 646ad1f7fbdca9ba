//! Indexing micro-benchmark: feeds session documents (the JSON lines `trawl sessions
//! --json` prints) through the store writer and reports wall and CPU time, so changes
//! to indexing can be compared without capture noise. Fields come from an existing
//! partition's schema.
//!
//!     cargo run --release -p trawl-store --example index_bench -- DOCS.json PARTITION_DIR
//!
//! `REPS=N` (default 5) keeps the best of N runs; `BUILDONLY=1` times only turning the
//! bodies into tantivy documents. Under `valgrind --tool=callgrind` the instruction
//! counts compare changes far more steadily than times on a shared machine.
use std::time::Instant;

use trawl_output::{Doc, DocOutput};
use trawl_store::StoreOutput;

#[path = "common/proc_stat.rs"]
mod proc_stat;

fn cpu() -> f64 {
    proc_stat::cpu_of("/proc/self/stat")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let docs = std::fs::read_to_string(&args[1]).expect("docs");
    let index = tantivy::Index::open_in_dir(&args[2]).expect("partition");
    let fields = trawl_store::schema::Fields::new(index.schema())
        .expect("a session partition")
        .list();
    let mut parsed = Vec::new();
    for line in docs.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        parsed.push(Doc {
            index: v["_index"]
                .as_str()
                .unwrap_or("x")
                .trim_start_matches("arkime_")
                .into(),
            id: v["_id"].as_str().map(str::to_string),
            body: v["_source"].to_string(),
        });
    }
    if std::env::var("BUILDONLY").is_ok() {
        let f = trawl_store::schema::Fields::new(trawl_store::schema::build(&fields)).expect("f");
        for _ in 0..3 {
            let (c0, t0) = (cpu(), Instant::now());
            let mut n = 0;
            for d in &parsed {
                n += trawl_store::doc::build(&f, "x".into(), d.body.clone(), None).map_or(0, |_| 1);
            }
            println!(
                "build {n}: wall {:.3} cpu {:.3}",
                t0.elapsed().as_secs_f64(),
                cpu() - c0
            );
        }
        return;
    }
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..reps {
        let dir = tempfile::tempdir().expect("tmp");
        let docs = parsed.clone();
        let (c0, t0) = (cpu(), Instant::now());
        let out = StoreOutput::start(dir.path(), fields.clone()).expect("start");
        for d in docs {
            out.emit(d);
        }
        out.finish();
        let (c, t) = (cpu() - c0, t0.elapsed().as_secs_f64());
        best = (best.0.min(t), best.1.min(c));
    }
    let n = parsed.len();
    println!(
        "{n} docs, best of {reps}: wall {:.3} s, cpu {:.3} s, {:.0} docs/cpu-s",
        best.0,
        best.1,
        n as f64 / best.1
    );
}
