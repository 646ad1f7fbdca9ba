//! Acting on sessions: builds the rules engine's rules from `rulesFiles` (Arkime's
//! rules.yaml format) and from `dontSaveBPFs` / `minPacketsSaveBPFs` (`"<bpf>[:N]"`, N
//! defaulting to 1), and runs them on the packet threads as their session hooks
//! ([`Engine`]).

mod bpf;
pub mod engine;
pub mod filename_ops;
pub mod load;
pub mod yaml;

pub use bpf::{BpfError, BpfFilter};
pub use engine::{
    drain_field_set, leading_int, run_ops, Cond, Engine, IntMode, Internal, Key, Kind, Matcher, Op,
    OpTarget, PacketFilter, Rule, RuleSet, StrMatch, When,
};

use trawl_fields::FieldRegistry;

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

/// Why the rules could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A BPF of `dontSaveBPFs`/`minPacketsSaveBPFs` does not compile.
    #[error(transparent)]
    Bpf(#[from] BpfError),
    /// A rules file cannot be read.
    #[error("rulesFiles: cannot read {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A rules file is not valid.
    #[error("rulesFiles: {0}")]
    Invalid(String),
}

/// Builds every rule: `dontSaveBPFs` and `minPacketsSaveBPFs` (session-setup BPF rules
/// with a `_maxPacketsToSave` / `_minPacketsBeforeSavingSPI` op, in that order, as
/// Arkime adds them after the files), then each of `files`. `var` looks up config
/// values for `${name}` in rules files. Fields that `fieldSet` rules watch are marked
/// in `reg`.
pub fn build_rules(
    files: &[String],
    dont_save: &[String],
    min_packets: &[String],
    var: &dyn Fn(&str) -> Option<String>,
    reg: &mut FieldRegistry,
) -> Result<RuleSet, RulesError> {
    let mut set = RuleSet::default();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|source| RulesError::Io {
            file: f.clone(),
            source,
        })?;
        let root = yaml::parse(&text, var).map_err(|e| RulesError::Invalid(format!("{f}: {e}")))?;
        let rules = load::file(f, &root, reg).map_err(|e| RulesError::Invalid(e.message))?;
        tracing::debug!("{f}: {} rules", rules.len());
        for r in rules {
            set.add(r, reg);
        }
    }
    for (items, name, target) in [
        (dont_save, "dontSaveBPFs", OpTarget::MaxPacketsToSave),
        (
            min_packets,
            "minPacketsSaveBPFs",
            OpTarget::MinPacketsBeforeSavingSpi,
        ),
    ] {
        for item in items {
            let (expr, n) = split_count(item);
            set.add(
                Rule {
                    name: format!("{name} {item}"),
                    when: When::SessionSetup,
                    bpf: Some(Box::new(BpfFilter::new(expr)?)),
                    conds: Vec::new(),
                    ops: vec![Op::new(target.clone(), &n.to_string())],
                    log: false,
                },
                reg,
            );
        }
    }
    Ok(set)
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
        let none = |_: &str| None;
        let mut reg = FieldRegistry::new();
        assert!(build_rules(&[], &["port nonsense here".into()], &[], &none, &mut reg).is_err());
        let r = build_rules(
            &[],
            &["port 12345".into()],
            &["udp:3".into()],
            &none,
            &mut reg,
        )
        .unwrap();
        assert_eq!(r.setup.len(), 2);
        assert_eq!(
            r.setup[1].ops[0].target,
            OpTarget::MinPacketsBeforeSavingSpi
        );
        assert_eq!(r.setup[1].ops[0].int, 3);
    }
}
