//! Reading the node stats documents a live capture writes under `dataDir/stats`.

use std::path::Path;

/// The latest `stats` document of every node under `data_dir` (`stats/<node>.json`),
/// sorted by node name; files that cannot be read or parsed are left out.
pub fn read_all(data_dir: &Path) -> Vec<serde_json::Value> {
    let Ok(rd) = std::fs::read_dir(data_dir.join("stats")) else {
        return Vec::new();
    };
    let mut out: Vec<serde_json::Value> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect();
    out.sort_by(|a, b| a["nodeName"].as_str().cmp(&b["nodeName"].as_str()));
    out
}

/// The `dstats` documents of `node` at `interval` seconds (`stats/<node>-dstats.jsonl`),
/// with `currentTime` (seconds) between `start` and `stop` when given, oldest first.
/// Lines that do not parse are left out.
pub fn read_dstats(
    data_dir: &Path,
    node: &str,
    interval: u64,
    start: Option<i64>,
    stop: Option<i64>,
) -> Vec<serde_json::Value> {
    let plain = !node.is_empty()
        && node
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !node.starts_with('.');
    if !plain {
        return Vec::new();
    }
    let Ok(text) =
        std::fs::read_to_string(data_dir.join("stats").join(format!("{node}-dstats.jsonl")))
    else {
        return Vec::new();
    };
    let mut out: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|d| {
            d.get("interval")
                .and_then(|i| i.as_u64())
                .is_none_or(|i| i == interval)
        })
        .filter(|d| {
            let t = d.get("currentTime").and_then(|t| t.as_i64()).unwrap_or(0);
            start.is_none_or(|s| t >= s) && stop.is_none_or(|s| t <= s)
        })
        .collect();
    out.sort_by_key(|d| d.get("currentTime").and_then(|t| t.as_i64()).unwrap_or(0));
    out
}
