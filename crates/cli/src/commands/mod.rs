//! The subcommands.

pub mod capture;
pub mod db;
pub mod pcap;
pub mod sample;
pub mod serve;
pub mod sessions;
pub mod setup;
pub mod user;

/// `n` and the noun, singular for one: "1 partition", "2 partitions".
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A time in ms since the epoch as the command line shows it, with its zone (UTC).
pub fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_and_times() {
        assert_eq!(super::count(1u64, "session", "sessions"), "1 session");
        assert_eq!(super::count(0u64, "session", "sessions"), "0 sessions");
        assert_eq!(super::count(2u32, "index", "indices"), "2 indices");
        assert_eq!(super::fmt_ms(1_700_000_000_000), "2023-11-14 22:13:20 UTC");
    }
}
