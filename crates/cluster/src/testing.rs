//! Helpers for tests that run against a real OpenSearch/Elasticsearch node
//! (`tests/opensearch/node.sh start` runs one on 127.0.0.1:9200).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::client::{Client, ClusterError};

/// The node tests use: `TRAWL_TEST_ES`, default `http://127.0.0.1:9200`.
pub fn node_address() -> String {
    std::env::var("TRAWL_TEST_ES")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:9200".to_string())
}

/// The test node's URL when `GET /` answers within a couple of seconds. Otherwise
/// says so on stderr and gives `None` (the test skips), or panics when `CI=true`.
pub fn node_url() -> Option<String> {
    let url = node_address();
    let c = Client::from_config(&url, None, Duration::from_secs(2));
    match c.get("/") {
        Ok(_) => Some(url),
        Err(e) => {
            let msg = format!(
                "no OpenSearch node at {url} ({e}): start one with tests/opensearch/node.sh start; skipping"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg}");
            }
            eprintln!("{msg}");
            None
        }
    }
}

/// A client for `url` with a timeout long enough for index creation.
pub fn client(url: &str) -> Client {
    Client::from_config(url, None, Duration::from_secs(60))
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A prefix unique to this process and call: `t<pid>_<tag>_<n>_`, lowercase, the tag
/// cut to keep it within Arkime's 50-character limit.
pub fn unique_prefix(tag: &str) -> String {
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(24)
        .collect();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("t{}_{tag}_{n}_", std::process::id())
}

/// Whether `prefix` is one [`unique_prefix`] makes (cleanup refuses anything else).
fn is_test_prefix(prefix: &str) -> bool {
    let Some(rest) = prefix.strip_prefix('t') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest.as_bytes().get(digits) == Some(&b'_') && prefix.ends_with('_')
}

/// Deletes every index and legacy template whose name starts with `prefix`, which
/// must be one [`unique_prefix`] made. Gives how many indices were deleted.
pub fn cleanup(c: &Client, prefix: &str) -> Result<usize, ClusterError> {
    if !is_test_prefix(prefix) {
        return Err(ClusterError::BadAnswer(format!(
            "cleanup only removes test prefixes (t<pid>_..._), not '{prefix}'"
        )));
    }
    let b = c.get(&format!(
        "/{prefix}*/_settings/index.uuid?ignore_unavailable=true&allow_no_indices=true&expand_wildcards=all"
    ))?;
    let names: Vec<String> = b
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for chunk in names.chunks(100) {
        c.delete(&format!("/{}?ignore_unavailable=true", chunk.join(",")))?;
    }
    if let Some(Value::Object(t)) = c.get_opt(&format!("/_template/{prefix}*"))? {
        for name in t.keys() {
            c.delete(&format!("/_template/{name}"))?;
        }
    }
    Ok(names.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_recognized() {
        let a = unique_prefix("Layout Init!");
        let b = unique_prefix("Layout Init!");
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("t{}_layoutinit_", std::process::id())));
        assert!(a.len() <= crate::layout::MAX_PREFIX_LEN);
        assert!(is_test_prefix(&a));
        assert!(!is_test_prefix("arkime_"));
        assert!(!is_test_prefix(""));
        assert!(!is_test_prefix("t_"));
        assert!(unique_prefix(&"x".repeat(200)).len() <= crate::layout::MAX_PREFIX_LEN);
    }
}
