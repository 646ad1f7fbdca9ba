//! Merging a partition's segments into one, as Arkime's `db.pl optimize` has
//! Elasticsearch merge an index no longer written to. A partition's commits leave
//! many segments; a search or aggregation walks each segment's term dictionaries and
//! columns, so a partition of one segment answers several times faster. The merge
//! runs at the lowest CPU priority, and a partition a capture is writing (its writer
//! lock held) is left alone.

use std::path::Path;

use tantivy::{Index, TantivyDocument, TantivyError};

use crate::StoreError;

/// What merging a partition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merged {
    /// Its segments (this many) were merged into one.
    Done(usize),
    /// It already had one segment (or none).
    Single,
    /// A writer (a running capture) holds it: left alone.
    Busy,
}

/// Memory of the merging writer.
const MERGE_BYTES: usize = 64 << 20;

/// Merges the segments of the partition in `dir` into one.
pub fn merge_partition(dir: &Path) -> Result<Merged, StoreError> {
    let failed = |e: TantivyError| StoreError::Index(dir.to_path_buf(), e.to_string());
    let index = Index::open_in_dir(dir).map_err(failed)?;
    let ids = index.searchable_segment_ids().map_err(failed)?;
    if ids.len() <= 1 {
        return Ok(Merged::Single);
    }
    let mut writer = match index.writer_with_num_threads::<TantivyDocument>(1, MERGE_BYTES) {
        Ok(w) => w,
        Err(TantivyError::LockFailure(..)) => return Ok(Merged::Busy),
        Err(e) => return Err(failed(e)),
    };
    writer.merge(&ids).wait().map_err(failed)?;
    writer.wait_merging_threads().map_err(failed)?;
    Ok(Merged::Done(ids.len()))
}

/// Lowers the CPU priority of every merging thread of this process's tantivy writers
/// (named `merge_thread_N`) to the lowest, so that the merges a capture's writers run
/// in the background take only CPU the capture leaves. On Linux a thread's nice value
/// is its own: the indexing threads keep theirs.
pub fn lower_merge_threads() {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("merge_thread_") {
            continue;
        }
        let Some(tid) = t
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
            .and_then(rustix::process::Pid::from_raw)
        else {
            continue;
        };
        if rustix::process::getpriority_process(Some(tid)).is_ok_and(|n| n >= 19) {
            continue;
        }
        if let Err(e) = rustix::process::setpriority_process(Some(tid), 19) {
            tracing::debug!("cannot lower the priority of merge thread {tid:?}: {e}");
        }
    }
}

/// Lowers the CPU priority of the calling thread (and of the threads it starts) to
/// the lowest, so merging never takes CPU from a capture. Says so if it cannot.
pub fn lowest_priority() {
    if let Err(e) = rustix::process::nice(19) {
        tracing::warn!("cannot lower the priority of merging: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_store::{four_days, DAY};
    use crate::{sessions_dir, SearchOpts, Store, StoreOutput};
    use trawl_output::{Doc, DocOutput};

    fn segments(dir: &Path) -> usize {
        Index::open_in_dir(dir)
            .unwrap()
            .searchable_segment_ids()
            .unwrap()
            .len()
    }

    #[test]
    fn a_partition_of_many_segments_becomes_one_with_the_same_sessions() {
        let dir = tempfile::tempdir().unwrap();
        four_days(dir.path(), 30);
        // A second run adds a segment to day 2, and replaces one session.
        let out = StoreOutput::start(dir.path(), vec![]).unwrap();
        for (id, t) in [("late", 2 * DAY + 100), ("2-3", 2 * DAY + 3)] {
            out.emit(Doc {
                index: "sessions3-261102".into(),
                id: Some(id.into()),
                body: format!(r#"{{"firstPacket":{t},"lastPacket":{t}}}"#),
            });
        }
        out.finish();
        let part = sessions_dir(dir.path()).join("sessions3-261102");
        assert!(segments(&part) >= 2);
        let q = trawl_query::Query::And(Vec::new());
        let o = SearchOpts {
            limit: 1000,
            ..SearchOpts::default()
        };
        let ids = |store: &Store| -> Vec<String> {
            let (total, hits) = store.search(&q, &o).unwrap();
            assert_eq!(total as usize, hits.len());
            hits.into_iter().map(|h| h.id).collect()
        };
        let before = ids(&Store::open(dir.path()).unwrap());
        assert_eq!(before.len(), 121);
        let n = segments(&part);
        assert_eq!(merge_partition(&part).unwrap(), Merged::Done(n));
        assert_eq!(segments(&part), 1);
        assert_eq!(merge_partition(&part).unwrap(), Merged::Single);
        assert_eq!(ids(&Store::open(dir.path()).unwrap()), before);
        // Searches by the partition's own integers still find their sessions.
        let by_time = trawl_query::Query::And(Vec::new());
        let store = Store::open(dir.path()).unwrap();
        assert!(store.get("late").is_some());
        assert_eq!(store.search(&by_time, &o).unwrap().0, 121);
    }

    #[test]
    fn a_partition_being_written_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        four_days(dir.path(), 5);
        let more = |out: &StoreOutput, i: usize| {
            out.emit(Doc {
                index: "sessions3-261103".into(),
                id: Some(format!("x{i}")),
                body: format!(r#"{{"firstPacket":{},"lastPacket":{}}}"#, 3 * DAY, 3 * DAY),
            });
        };
        // Two segments, then a writer that holds the partition.
        let out = StoreOutput::start(dir.path(), vec![]).unwrap();
        more(&out, 0);
        out.finish();
        let out = StoreOutput::start(dir.path(), vec![]).unwrap();
        for i in 1..3 {
            more(&out, i);
        }
        // Wait until the writer has added them: it holds the partition open.
        let part = sessions_dir(dir.path()).join("sessions3-261103");
        let t0 = std::time::Instant::now();
        while out.stats.indexed.load(std::sync::atomic::Ordering::Relaxed) < 2 {
            assert!(t0.elapsed() < std::time::Duration::from_secs(10));
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let got = merge_partition(&part).unwrap();
        assert_eq!(got, Merged::Busy);
        out.finish();
        assert!(matches!(merge_partition(&part).unwrap(), Merged::Done(_)));
        assert_eq!(Store::open(dir.path()).unwrap().count_all(), 23);
    }
}
