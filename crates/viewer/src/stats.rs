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
