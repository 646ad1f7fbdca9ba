//! What the store's benchmark examples read of their own process in /proc.

/// utime + stime (s) of a /proc stat file (`/proc/self/stat`, `/proc/thread-self/stat`).
pub fn cpu_of(path: &str) -> f64 {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

/// A `/proc/self/status` figure in kB (`VmHWM:`, `VmRSS:`), 0 if absent.
#[allow(dead_code)]
pub fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
