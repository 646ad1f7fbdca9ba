//! Acting on sessions. Today: the BPF session-setup rules Arkime builds from
//! `dontSaveBPFs` and `minPacketsSaveBPFs` (`"<bpf>[:N]"`, N defaulting to 1).

mod bpf;

pub use bpf::{BpfError, BpfFilter};

use trawl_session::{SetupAction, SetupRule};

/// Splits `"<bpf>:N"` into the expression and N (1 when absent), as Arkime does.
pub fn split_count(item: &str) -> (&str, u32) {
    let t = item.trim_end();
    if let Some(colon) = t.rfind(':') {
        let n = t[colon + 1..].trim();
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(v) = n.parse() {
                return (t[..colon].trim_end(), v);
            }
        }
    }
    (item, 1)
}

/// Builds the setup rules; a BPF that does not compile is an error naming it.
pub fn setup_rules(
    dont_save: &[String],
    min_packets: &[String],
) -> Result<Vec<SetupRule>, BpfError> {
    let mut rules = Vec::new();
    for (items, name, mk) in [
        (
            dont_save,
            "dontSaveBPFs",
            SetupAction::MaxPacketsToSave as fn(u32) -> SetupAction,
        ),
        (
            min_packets,
            "minPacketsSaveBPFs",
            SetupAction::MinPacketsBeforeSavingSpi as fn(u32) -> SetupAction,
        ),
    ] {
        for item in items {
            let (expr, n) = split_count(item);
            rules.push(SetupRule {
                name: format!("{name} {item}"),
                filter: Box::new(BpfFilter::new(expr)?),
                action: mk(n),
            });
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_split_off() {
        assert_eq!(split_count("port 12345"), ("port 12345", 1));
        assert_eq!(split_count("port 12345:10"), ("port 12345", 10));
        assert_eq!(split_count("tcp port 80 : 5 "), ("tcp port 80", 5));
        // As with Arkime's regex, a trailing ":<digits>" is always a count, even a MAC's
        // last octet: write such filters with a count ("ether host 0:1:2:3:4:55:1").
        assert_eq!(
            split_count("ether host 00:11:22:33:44:55"),
            ("ether host 00:11:22:33:44", 55)
        );
    }

    #[test]
    fn bad_bpf_is_an_error() {
        assert!(setup_rules(&["port nonsense here".into()], &[]).is_err());
        let r = setup_rules(&["port 12345".into()], &["udp:3".into()]).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].action, SetupAction::MinPacketsBeforeSavingSpi(3));
    }
}
