//! Session-setup rules: checked on the first packet of each direction of a session
//! (Arkime's `arkime_rules_run_session_setup`). Today these are `dontSaveBPFs` and
//! `minPacketsSaveBPFs`; the filter itself lives outside this crate.

use crate::{Session, Shared};

/// Decides whether a raw packet (as captured, of the given link type) matches.
pub trait PacketFilter: Send + Sync {
    /// Whether `bytes` of link type `linktype` match.
    fn matches(&self, linktype: u32, bytes: &[u8]) -> bool;
}

/// What a matching setup rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupAction {
    /// Write at most this many packets of the session to pcap (`_maxPacketsToSave`).
    MaxPacketsToSave(u32),
    /// Write no document until the session has this many packets
    /// (`_minPacketsBeforeSavingSPI`).
    MinPacketsBeforeSavingSpi(u32),
}

/// One rule.
pub struct SetupRule {
    /// Where it came from, for logs.
    pub name: String,
    /// The filter.
    pub filter: Box<dyn PacketFilter>,
    /// What it does.
    pub action: SetupAction,
}

/// Runs the setup rules for a packet of `s`.
pub(crate) fn run_session_setup(shared: &Shared, s: &mut Session, linktype: u32, bytes: &[u8]) {
    for rule in &shared.setup_rules {
        if !rule.filter.matches(linktype, bytes) {
            continue;
        }
        match rule.action {
            SetupAction::MaxPacketsToSave(n) => {
                if s.stop_saving != n {
                    s.stop_saving = n;
                    if s.packets[0] + s.packets[1] >= n {
                        s.fields
                            .string_add(&shared.fields, shared.core.tags, "truncated-pcap");
                    }
                }
            }
            SetupAction::MinPacketsBeforeSavingSpi(n) => {
                if s.min_saving != n {
                    s.min_saving = n;
                }
            }
        }
    }
}
