//! The rules engine (Arkime's `rules.c`): rules loaded at start-up (from `rulesFiles`,
//! `dontSaveBPFs` and `minPacketsSaveBPFs`) that test a session's fields at fixed
//! moments and run field operations when they match.
//!
//! * `sessionSetup`: on the first packet of each direction, a BPF over the raw packet
//!   or field conditions.
//! * `afterClassify`: after the classifiers have looked at a direction's first bytes.
//! * `fieldSet`: when a watched field gets a new value (the value must match that
//!   field's condition, then every other condition is checked).
//! * `beforeMiddleSave`, `beforeFinalSave`, `beforeBothSave`: before a document is
//!   written.
//!
//! This module holds the compiled rules and runs them as the packet threads' session
//! hooks ([`Engine`], a [`SessionHooks`]); the rest of the crate reads the YAML and
//! compiles the BPFs.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;

use trawl_fields::{FieldId, FieldRegistry, FieldType, FieldValue, SetValue};

use trawl_session::{Session, SessionHooks, Shared};

/// Decides whether a raw packet (as captured, of the given link type) matches.
pub trait PacketFilter: Send + Sync {
    /// Whether `bytes` of link type `linktype` match.
    fn matches(&self, linktype: u32, bytes: &[u8]) -> bool;
}

/// A value that is not one of the session's stored fields but read from the session
/// itself (Arkime's internal fields with a get callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Internal {
    /// `ip.src`.
    SrcIp,
    /// `ip.dst`.
    DstIp,
    /// `port.src`.
    SrcPort,
    /// `port.dst`.
    DstPort,
    /// `tcpflags.*`: the count of one flag (index into the TCP flag counters).
    TcpFlag(usize),
    /// `tcp.synSet`: bit per direction that sent a SYN.
    SynSet,
    /// `packets.src` / `packets.dst`.
    Packets(usize),
    /// `databytes.src` / `databytes.dst`.
    Databytes(usize),
    /// `communityId`.
    CommunityId,
}

impl Internal {
    /// The internal field an expression names, if any.
    pub fn by_expression(exp: &str) -> Option<Internal> {
        use trawl_session::protocols::tcp::flag;
        Some(match exp {
            "ip.src" => Internal::SrcIp,
            "ip.dst" => Internal::DstIp,
            "port.src" => Internal::SrcPort,
            "port.dst" => Internal::DstPort,
            "tcpflags.syn" => Internal::TcpFlag(flag::SYN),
            "tcpflags.syn-ack" => Internal::TcpFlag(flag::SYN_ACK),
            "tcpflags.ack" => Internal::TcpFlag(flag::ACK),
            "tcpflags.psh" => Internal::TcpFlag(flag::PSH),
            "tcpflags.rst" => Internal::TcpFlag(flag::RST),
            "tcpflags.fin" => Internal::TcpFlag(flag::FIN),
            "tcpflags.urg" => Internal::TcpFlag(flag::URG),
            "tcpflags.ece" => Internal::TcpFlag(flag::ECE),
            "tcpflags.cwr" => Internal::TcpFlag(flag::CWR),
            "tcpflags.ae" => Internal::TcpFlag(flag::AE),
            "tcp.synSet" => Internal::SynSet,
            "packets.src" => Internal::Packets(0),
            "packets.dst" => Internal::Packets(1),
            "databytes.src" => Internal::Databytes(0),
            "databytes.dst" => Internal::Databytes(1),
            "communityId" => Internal::CommunityId,
            _ => return None,
        })
    }

    /// Whether its values are addresses, integers, or strings.
    pub fn kind(self) -> Kind {
        match self {
            Internal::SrcIp | Internal::DstIp => Kind::Ip,
            Internal::CommunityId => Kind::Str,
            _ => Kind::Int,
        }
    }

    fn value(self, s: &Session) -> Option<SetValue> {
        let tcp = s.tcp.as_deref();
        Some(match self {
            Internal::SrcIp => SetValue::Ip(s.src_ip()),
            Internal::DstIp => SetValue::Ip(s.dst_ip()),
            Internal::SrcPort => SetValue::Int(u32::from(s.port1)),
            Internal::DstPort => SetValue::Int(u32::from(s.port2)),
            Internal::TcpFlag(i) => {
                SetValue::Int(tcp.and_then(|t| t.flag_cnt.get(i).copied()).unwrap_or(0))
            }
            Internal::SynSet => SetValue::Int(u32::from(tcp.map_or(0, |t| t.syn_seen))),
            Internal::Packets(d) => SetValue::Int(s.flows[d & 1].packets),
            Internal::Databytes(d) => {
                SetValue::Int(u32::try_from(s.flows[d & 1].databytes).unwrap_or(u32::MAX))
            }
            Internal::CommunityId => SetValue::Str(s.community_id()?),
        })
    }
}

/// The value kind a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Integers (exact values and ranges).
    Int,
    /// Strings (exact, head, tail, contains).
    Str,
    /// Addresses (CIDR blocks).
    Ip,
    /// Floats (exact).
    Float,
}

/// What a condition reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A stored field.
    Field(FieldId),
    /// The number of values of a stored field (`<expression>.cnt`).
    Count(FieldId),
    /// A value read from the session.
    Internal(Internal),
}

/// How a string pattern matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrMatch {
    /// The value starts with it (`,startsWith` / `,head`).
    Head,
    /// The value ends with it (`,endsWith` / `,tail`).
    Tail,
    /// The value contains it (`,contains`).
    Contains,
}

/// The values one condition accepts.
#[derive(Clone, Debug, Default)]
pub struct Matcher {
    /// Exact strings.
    pub strs: HashSet<String>,
    /// Patterns.
    pub patterns: Vec<(StrMatch, String)>,
    /// Exact integers.
    pub ints: HashSet<u32>,
    /// Inclusive integer ranges.
    pub ranges: Vec<(u32, u32)>,
    /// CIDR blocks (address, prefix length).
    pub nets: Vec<(IpAddr, u8)>,
    /// Exact floats, by bit pattern of their f32 value (as Arkime compares them).
    pub floats: HashSet<u32>,
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (trawl_fields::canonical_ip(ip), net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let b = u32::from(bits.min(32));
            let mask = if b == 0 { 0 } else { u32::MAX << (32 - b) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let b = u32::from(bits.min(128));
            let mask = if b == 0 { 0 } else { u128::MAX << (128 - b) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl Matcher {
    /// Whether `v` is accepted.
    pub fn accepts(&self, v: &SetValue) -> bool {
        match v {
            SetValue::Str(s) => self.accepts_str(s),
            SetValue::Int(n) => self.accepts_int(*n),
            SetValue::Ip(ip) => self.nets.iter().any(|(n, b)| in_net(*ip, *n, *b)),
            SetValue::Float(f) => self.floats.contains(&(*f as f32).to_bits()),
        }
    }

    fn accepts_str(&self, s: &str) -> bool {
        self.strs.contains(s)
            || self.patterns.iter().any(|(m, p)| match m {
                StrMatch::Head => s.starts_with(p.as_str()),
                StrMatch::Tail => s.ends_with(p.as_str()),
                StrMatch::Contains => s.contains(p.as_str()),
            })
    }

    fn accepts_int(&self, n: u32) -> bool {
        self.ints.contains(&n) || self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&n))
    }
}

/// One field condition of a rule.
#[derive(Clone, Debug)]
pub struct Cond {
    /// What it reads.
    pub key: Key,
    /// What it accepts.
    pub matcher: Matcher,
    /// `!field`: the rule needs none of the values to be accepted (a missing field
    /// passes).
    pub not: bool,
}

/// How an integer operation treats the current value (`=`, `>` or `<` before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntMode {
    /// Set unless already equal.
    Set,
    /// Set only if the new value is larger.
    IfMore,
    /// Set only if the new value is smaller.
    IfLess,
}

impl IntMode {
    fn should_run(self, new: i64, current: i64) -> bool {
        match self {
            IntMode::Set => new != current,
            IntMode::IfMore => new > current,
            IntMode::IfLess => new < current,
        }
    }
}

/// What an operation changes.
#[derive(Clone, Debug, PartialEq)]
pub enum OpTarget {
    /// Adds a value to a field.
    Field(FieldId),
    /// `_dontSaveSPI`: no document for the session.
    StopSpi,
    /// `_maxPacketsToSave`: write at most this many packets to pcap.
    MaxPacketsToSave,
    /// `_minPacketsBeforeSavingSPI`: no document unless the session has this many packets.
    MinPacketsBeforeSavingSpi,
    /// `_flipSrcDst`: swap source and destination.
    FlipSrcDst,
}

/// One operation of a rule (or of `--op`).
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// What it changes.
    pub target: OpTarget,
    /// The value as written.
    pub value: String,
    /// The value as an integer, clamped to the target's range where it has one.
    pub int: i64,
    /// For integer targets.
    pub mode: IntMode,
}

impl Op {
    /// Parses `value` for `target` the way Arkime does: an optional `>`/`<`/`=` then an
    /// integer, clamped for the special targets.
    pub fn new(target: OpTarget, value: &str) -> Op {
        let t = value.trim();
        let (mode, rest) = match t.as_bytes().first() {
            Some(b'>') => (IntMode::IfMore, &t[1..]),
            Some(b'<') => (IntMode::IfLess, &t[1..]),
            Some(b'=') => (IntMode::Set, &t[1..]),
            _ => (IntMode::Set, t),
        };
        let n = leading_int(rest.trim_start());
        let int = match target {
            OpTarget::StopSpi => n.clamp(0, 1),
            OpTarget::MaxPacketsToSave => n.clamp(0, 0xffff),
            OpTarget::MinPacketsBeforeSavingSpi => n.clamp(0, 0xff),
            OpTarget::FlipSrcDst => 1,
            OpTarget::Field(_) => n,
        };
        Op {
            target,
            value: value.to_string(),
            int,
            mode,
        }
    }
}

/// `atoi`: the leading decimal integer of `s` (0 if none).
pub fn leading_int(s: &str) -> i64 {
    let b = s.as_bytes();
    let (neg, start) = match b.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let mut n: i64 = 0;
    for &c in b.iter().skip(start) {
        if !c.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// When a rule runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// First packet of each direction.
    SessionSetup,
    /// After classification.
    AfterClassify,
    /// When a watched field gets a value.
    FieldSet,
    /// Before a document is written: (mid-session saves, final saves).
    BeforeSave {
        /// Before mid-session saves.
        middle: bool,
        /// Before final saves.
        final_: bool,
    },
}

/// One rule.
pub struct Rule {
    /// Its name, for logs.
    pub name: String,
    /// When it runs.
    pub when: When,
    /// A packet filter (`sessionSetup` rules and the BPF options).
    pub bpf: Option<Box<dyn PacketFilter>>,
    /// Field conditions; all must pass.
    pub conds: Vec<Cond>,
    /// What it does when it matches.
    pub ops: Vec<Op>,
    /// Log each match.
    pub log: bool,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.name)
            .field("when", &self.when)
            .field("bpf", &self.bpf.is_some())
            .field("conds", &self.conds)
            .field("ops", &self.ops)
            .finish()
    }
}

/// Every rule, by stage.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// `sessionSetup` rules, in load order.
    pub setup: Vec<Rule>,
    /// `afterClassify` rules.
    pub after_classify: Vec<Rule>,
    /// `fieldSet` rules.
    pub field_set: Vec<Rule>,
    /// `before*Save` rules.
    pub before_save: Vec<Rule>,
    /// Whether a `fieldSet` rule watches each internal field.
    pub watched_internal: Vec<Internal>,
}

impl RuleSet {
    /// Adds a rule to its stage, and marks the fields a `fieldSet` rule watches.
    pub fn add(&mut self, rule: Rule, reg: &mut FieldRegistry) {
        match rule.when {
            When::SessionSetup => self.setup.push(rule),
            When::AfterClassify => self.after_classify.push(rule),
            When::BeforeSave { .. } => self.before_save.push(rule),
            When::FieldSet => {
                for c in &rule.conds {
                    match c.key {
                        Key::Field(id) => reg.enable_rules(id),
                        Key::Internal(i) if !self.watched_internal.contains(&i) => {
                            self.watched_internal.push(i)
                        }
                        _ => {}
                    }
                }
                self.field_set.push(rule);
            }
        }
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.setup.is_empty()
            && self.after_classify.is_empty()
            && self.field_set.is_empty()
            && self.before_save.is_empty()
    }
}

/// Whether one condition passes for the session.
fn check(s: &Session, c: &Cond) -> bool {
    let m = &c.matcher;
    let any = |f: &mut dyn FnMut(&SetValue) -> bool| -> Option<bool> {
        match c.key {
            Key::Internal(i) => i.value(s).map(|v| f(&v)),
            Key::Count(id) => {
                let n = match s.fields.get(id) {
                    None => 0,
                    Some(v) => value_count(v),
                };
                Some(f(&SetValue::Int(u32::try_from(n).unwrap_or(u32::MAX))))
            }
            Key::Field(id) => {
                let v = s.fields.get(id)?;
                Some(for_each_value(v, f))
            }
        }
    };
    if c.not {
        // Passes when no value is rejected-by-NOT; a missing field passes.
        match any(&mut |v| m.accepts(v)) {
            None => true,
            Some(hit) => !hit,
        }
    } else {
        any(&mut |v| m.accepts(v)).unwrap_or(false)
    }
}

fn value_count(v: &FieldValue) -> usize {
    match v {
        FieldValue::Int(_) | FieldValue::Str(_) | FieldValue::Ip(_) => 1,
        FieldValue::IntList(l) => l.len(),
        FieldValue::IntSet(s) => s.len(),
        FieldValue::StrList(l) => l.len(),
        FieldValue::StrSet(s) => s.len(),
        FieldValue::IpSet(s) => s.len(),
        FieldValue::FloatList(l) => l.len(),
        FieldValue::Objects(l) => l.len(),
    }
}

/// Calls `f` on each value until it returns true; returns whether one did.
fn for_each_value(v: &FieldValue, f: &mut dyn FnMut(&SetValue) -> bool) -> bool {
    match v {
        FieldValue::Int(n) => f(&SetValue::Int(u32::try_from(*n).unwrap_or(u32::MAX))),
        FieldValue::IntList(l) => l.iter().any(|n| f(&SetValue::Int(*n))),
        FieldValue::IntSet(s) => s.as_slice().iter().any(|n| f(&SetValue::Int(*n))),
        FieldValue::Str(x) => f(&SetValue::Str(x.clone())),
        FieldValue::StrList(l) => l.iter().any(|x| f(&SetValue::Str(x.clone()))),
        FieldValue::StrSet(s) => s.as_slice().iter().any(|x| f(&SetValue::Str(x.clone()))),
        FieldValue::Ip(ip) => f(&SetValue::Ip(*ip)),
        FieldValue::IpSet(s) => s.as_slice().iter().any(|ip| f(&SetValue::Ip(*ip))),
        FieldValue::FloatList(l) => l.iter().any(|x| f(&SetValue::Float(*x))),
        FieldValue::Objects(_) => false,
    }
}

/// Whether every condition but the one at `skip` passes.
fn conds_pass(s: &Session, rule: &Rule, skip: Option<usize>) -> bool {
    // Arkime checks the NOT conditions first, then the others; the result is the same
    // conjunction.
    rule.conds
        .iter()
        .enumerate()
        .all(|(i, c)| Some(i) == skip || check(s, c))
}

/// Runs operations on a session.
pub fn run_ops(shared: &Shared, s: &mut Session, ops: &[Op]) {
    let reg = &shared.fields;
    for op in ops {
        match op.target {
            OpTarget::StopSpi => {
                if op.mode.should_run(op.int, i64::from(s.stop_spi)) {
                    s.stop_spi = op.int != 0;
                }
            }
            OpTarget::MaxPacketsToSave => {
                if op.mode.should_run(op.int, i64::from(s.stop_saving)) {
                    s.stop_saving = u32::try_from(op.int).unwrap_or(0xffff);
                    if s.packets() >= s.stop_saving {
                        s.fields.string_add(reg, shared.core.tags, "truncated-pcap");
                    }
                }
            }
            OpTarget::MinPacketsBeforeSavingSpi => {
                if op.mode.should_run(op.int, i64::from(s.min_saving)) {
                    s.min_saving = u32::try_from(op.int).unwrap_or(0);
                }
            }
            OpTarget::FlipSrcDst => s.flip_src_dst(),
            OpTarget::Field(id) => field_op(shared, s, id, op),
        }
    }
}

fn field_op(shared: &Shared, s: &mut Session, id: FieldId, op: &Op) {
    let reg = &shared.fields;
    let Some(def) = reg.get(id) else { return };
    let n = u32::try_from(op.int.max(0)).unwrap_or(u32::MAX);
    match def.ty {
        FieldType::Int => {
            let current = match s.fields.get(id) {
                Some(FieldValue::Int(v)) => Some(*v),
                _ => None,
            };
            let run = match current {
                None => true,
                Some(c) => op.mode.should_run(op.int, c),
            };
            if run {
                s.fields.int_add(reg, id, n);
            }
        }
        FieldType::IntArray
        | FieldType::IntArrayUnique
        | FieldType::IntHash
        | FieldType::IntGHash => {
            s.fields.int_add(reg, id, n);
        }
        FieldType::Float | FieldType::FloatArray | FieldType::FloatGHash => {
            if let Ok(f) = op.value.trim().parse::<f64>() {
                s.fields.float_add(reg, id, f);
            }
        }
        FieldType::Ip | FieldType::IpGHash => {
            if let Ok(ip) = op.value.trim().parse::<IpAddr>() {
                s.fields.ip_add(reg, id, ip);
            }
        }
        FieldType::Str | FieldType::StrArray | FieldType::StrHash | FieldType::StrGHash => {
            s.fields.string_add(reg, id, &op.value);
        }
        FieldType::Object => {}
    }
}

fn matched(shared: &Shared, s: &mut Session, rule: &Rule) {
    if rule.log {
        tracing::info!(
            rule = %rule.name,
            src = %s.src_ip(),
            sport = s.port1,
            dst = %s.dst_ip(),
            dport = s.port2,
            "rule matched"
        );
    }
    run_ops(shared, s, &rule.ops);
}

fn run_stage(shared: &Shared, s: &mut Session, rules: &[Rule], when: impl Fn(When) -> bool) {
    for rule in rules {
        if !when(rule.when) || rule.conds.is_empty() {
            continue;
        }
        if conds_pass(s, rule, None) {
            matched(shared, s, rule);
        }
    }
}

/// The operations of each input read, by reader position (Arkime's
/// `readerFieldOps[readerPos]` and the scheme reader's `schemeActions[readerPos]`):
/// the input's `filenameOps`, then the `--op`s of the `add-file`/`add-dir` that
/// queued it.
///
/// Inputs arrive while capture runs (`--monitor`, the command socket), so the table
/// grows then: it is read-mostly data swapped whole. The packet threads read it only
/// when they create a session; the reader thread writes a position's operations
/// ([`InputOps::start_input`]) before it hands the first packet of that input to a
/// packet thread (the hand-over orders the write before the reads), and reuses a
/// position only once the packets of its previous input have been processed.
pub struct InputOps {
    /// The compiled `filenameOps`, matched against each input's name as it starts.
    filename_ops: Vec<crate::filename_ops::FilenameOp>,
    /// By reader position; `None` (or past the end): no operations.
    table: ArcSwap<Vec<Option<Arc<[Op]>>>>,
}

impl Default for InputOps {
    fn default() -> Self {
        InputOps::new(Vec::new())
    }
}

impl std::fmt::Debug for InputOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputOps")
            .field("filename_ops", &self.filename_ops)
            .field("table", &self.table.load_full())
            .finish()
    }
}

impl InputOps {
    /// An empty table for inputs matched against `filename_ops`.
    pub fn new(filename_ops: Vec<crate::filename_ops::FilenameOp>) -> Self {
        InputOps {
            filename_ops,
            table: ArcSwap::from_pointee(Vec::new()),
        }
    }

    /// Whether there are `filenameOps` (the input's name is needed only then).
    pub fn has_filename_ops(&self) -> bool {
        !self.filename_ops.is_empty()
    }

    /// The input read as reader position `pos` starts: its operations become the
    /// `filenameOps` that match `name` (the file's real path, or the URI, as Arkime
    /// matches them), then `extra` (`add-file --op`). What the position held for an
    /// earlier input is replaced. `name` is asked for only when there are
    /// `filenameOps`.
    pub fn start_input(&self, pos: u16, name: impl FnOnce() -> String, extra: &[Op]) {
        let mut ops = if self.filename_ops.is_empty() {
            Vec::new()
        } else {
            crate::filename_ops::ops_for(&self.filename_ops, &name())
        };
        ops.extend_from_slice(extra);
        self.set(pos, ops);
    }

    /// Sets the operations of reader position `pos` (none: `ops` empty).
    pub fn set(&self, pos: u16, ops: Vec<Op>) {
        let i = usize::from(pos);
        let had = self.table.load().get(i).is_some_and(Option::is_some);
        if ops.is_empty() && !had {
            // Nothing there and nothing to put: no new table.
            return;
        }
        let entry: Option<Arc<[Op]>> = (!ops.is_empty()).then(|| ops.into());
        self.table.rcu(|t| {
            let mut t = Vec::clone(t);
            if t.len() <= i {
                t.resize(i + 1, None);
            }
            t[i] = entry.clone();
            // Trailing empty positions are left out.
            while t.last().is_some_and(Option::is_none) {
                t.pop();
            }
            t
        });
    }

    /// The operations of reader position `pos` (empty: none).
    pub fn get(&self, pos: u16) -> Vec<Op> {
        self.table
            .load()
            .get(usize::from(pos))
            .and_then(Option::as_ref)
            .map_or_else(Vec::new, |o| o.to_vec())
    }

    /// Runs the operations of reader position `pos` on a new session.
    fn run(&self, shared: &Shared, s: &mut Session, pos: u16) {
        let t = self.table.load();
        if let Some(Some(ops)) = t.get(usize::from(pos)) {
            run_ops(shared, s, ops);
        }
    }
}

/// The rules engine as the packet threads see it: the rules, and the operations run on
/// every new session (`--op`) and on those of each input (`filenameOps`, `add-file
/// --op`).
#[derive(Debug, Default)]
pub struct Engine {
    /// The rules (`rulesFiles`, `dontSaveBPFs`, `minPacketsSaveBPFs`).
    pub rules: RuleSet,
    /// Operations run on every new session (`--op`).
    pub initial_ops: Vec<Op>,
    /// Operations run on each new session of an input, by the packets' reader
    /// position; shared with the reader, which sets them as each input starts.
    pub inputs: Arc<InputOps>,
}

impl SessionHooks for Engine {
    /// Runs `--op`, then the input's `filenameOps` and `add-file --op`s (Arkime's
    /// order: `config.ops`, `readerFieldOps`, the scheme action's ops), then feeds the
    /// new session's addresses and ports to the `fieldSet` rules that watch them
    /// (Arkime's `arkime_rules_session_create`).
    fn session_create(&self, shared: &Shared, s: &mut Session, reader_pos: u16) {
        run_ops(shared, s, &self.initial_ops);
        self.inputs.run(shared, s, reader_pos);
        let rules = &self.rules;
        if rules.watched_internal.is_empty() {
            return;
        }
        let mut order = Vec::new();
        if matches!(s.ip_protocol, 6 | 17 | 132) {
            order.extend([Internal::SrcPort, Internal::DstPort]);
        }
        if matches!(s.ip_protocol, 6 | 17 | 132 | 50 | 1 | 58) {
            order.extend([Internal::SrcIp, Internal::DstIp]);
        }
        for i in order {
            if !rules.watched_internal.contains(&i) {
                continue;
            }
            if let Some(v) = i.value(s) {
                field_set(shared, rules, s, Key::Internal(i), &v);
            }
        }
        drain_field_set(shared, rules, s);
    }

    fn wants_session_setup(&self) -> bool {
        !self.rules.setup.is_empty()
    }

    /// Runs the `sessionSetup` rules for the first packet of a direction.
    fn session_setup(&self, shared: &Shared, s: &mut Session, linktype: u32, bytes: &[u8]) {
        for rule in &self.rules.setup {
            if !rule.conds.is_empty() {
                if conds_pass(s, rule, None) {
                    matched(shared, s, rule);
                }
            } else if let Some(f) = &rule.bpf {
                if f.matches(linktype, bytes) {
                    matched(shared, s, rule);
                }
            }
        }
    }

    /// Runs the `afterClassify` rules.
    fn after_classify(&self, shared: &Shared, s: &mut Session) {
        if !self.rules.after_classify.is_empty() {
            run_stage(shared, s, &self.rules.after_classify, |_| true);
        }
        drain_field_set(shared, &self.rules, s);
    }

    fn fields_set(&self, shared: &Shared, s: &mut Session) {
        drain_field_set(shared, &self.rules, s);
    }

    /// Runs the `before*Save` rules for a mid-session (`final_` false) or final save.
    fn before_save(&self, shared: &Shared, s: &mut Session, final_: bool) {
        drain_field_set(shared, &self.rules, s);
        run_stage(shared, s, &self.rules.before_save, |w| match w {
            When::BeforeSave { middle, final_: f } => {
                if final_ {
                    f
                } else {
                    middle
                }
            }
            _ => false,
        });
        drain_field_set(shared, &self.rules, s);
    }
}

/// Runs the `fieldSet` rules watching `key` for its new value `v`.
fn field_set(shared: &Shared, rules: &RuleSet, s: &mut Session, key: Key, v: &SetValue) {
    for rule in &rules.field_set {
        let Some(pos) = rule
            .conds
            .iter()
            .position(|c| c.key == key && !c.not && c.matcher.accepts(v))
        else {
            continue;
        };
        if rule.conds.len() == 1 || conds_pass(s, rule, Some(pos)) {
            matched(shared, s, rule);
        }
    }
}

/// Most rounds of rule-triggered field changes handled at once (a rule whose op sets a
/// field another rule watches, and so on; a loop between rules stops here).
const MAX_ROUNDS: usize = 16;

/// Runs the `fieldSet` rules for the values queued since the last call.
pub fn drain_field_set(shared: &Shared, rules: &RuleSet, s: &mut Session) {
    for _ in 0..MAX_ROUNDS {
        if !s.fields.has_pending() {
            return;
        }
        for (id, v) in s.fields.take_pending() {
            field_set(shared, rules, s, Key::Field(id), &v);
        }
    }
    // Whatever is still queued came from a loop between rules: drop it.
    let _ = s.fields.take_pending();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_kinds() {
        let mut m = Matcher::default();
        m.strs.insert("www.aol.com".into());
        m.patterns.push((StrMatch::Tail, "ample.com".into()));
        m.patterns.push((StrMatch::Contains, "b.c".into()));
        m.patterns.push((StrMatch::Head, "bl.a".into()));
        for (v, want) in [
            ("www.aol.com", true),
            ("www.example.com", true),
            ("xb.cy", true),
            ("bl.ah", true),
            ("aol.com", false),
            ("ample.co", false),
        ] {
            assert_eq!(m.accepts(&SetValue::Str(v.into())), want, "{v}");
        }
        let mut m = Matcher::default();
        m.ints.insert(2);
        m.ranges.push((5300, 5400));
        assert!(m.accepts(&SetValue::Int(2)) && m.accepts(&SetValue::Int(5353)));
        assert!(!m.accepts(&SetValue::Int(3)) && !m.accepts(&SetValue::Int(5401)));
        let mut m = Matcher::default();
        m.nets.push(("10.44.100.0".parse().unwrap(), 24));
        m.nets.push(("2001:6f8::".parse().unwrap(), 32));
        assert!(m.accepts(&SetValue::Ip("10.44.100.7".parse().unwrap())));
        assert!(m.accepts(&SetValue::Ip("::ffff:10.44.100.7".parse().unwrap())));
        assert!(!m.accepts(&SetValue::Ip("10.44.101.7".parse().unwrap())));
        assert!(m.accepts(&SetValue::Ip("2001:6f8:900::2".parse().unwrap())));
        assert!(!m.accepts(&SetValue::Ip("2001:6f9::2".parse().unwrap())));
    }

    #[test]
    fn input_ops_grow_while_read_and_reused_positions_change() {
        let (reg, tags) = crate::filename_ops::tags_registry();
        let fops =
            crate::filename_ops::compile(&[r"tags=/gre-(.*)\.pcap%gretest-\1".to_string()], &reg)
                .unwrap();
        let t = Arc::new(InputOps::new(fops));
        let tag = |v: &str| Op::new(OpTarget::Field(tags), v);
        // A reader on another thread sees the position once it is set.
        let seen = {
            let t = Arc::clone(&t);
            std::thread::spawn(move || loop {
                let ops = t.get(700);
                if !ops.is_empty() {
                    return ops;
                }
                std::thread::yield_now();
            })
        };
        t.start_input(0, || "/in/gre-sample.pcap".into(), &[]);
        t.start_input(1, || "/in/other.pcap".into(), &[]);
        t.start_input(700, || "/in/gre-x.pcap".into(), &[tag("file")]);
        assert_eq!(t.get(0), vec![tag("gretest-sample")]);
        assert!(t.get(1).is_empty());
        // filenameOps first, then add-file's ops.
        let want = vec![tag("gretest-x"), tag("file")];
        assert_eq!(t.get(700), want);
        assert_eq!(seen.join().unwrap(), want);
        // Reused positions: the new input's operations, none left from the old one.
        t.start_input(0, || "/in/other.pcap".into(), &[]);
        assert!(t.get(0).is_empty());
        t.start_input(700, || "/in/b.pcap".into(), &[tag("b")]);
        assert_eq!(t.get(700), vec![tag("b")]);
        t.start_input(700, || "/in/c.pcap".into(), &[]);
        assert!(t.get(700).is_empty());
        assert!(t.table.load().is_empty(), "empty positions are not kept");
        // Without filenameOps the name is not asked for.
        let plain = InputOps::default();
        plain.start_input(3, || -> String { unreachable!() }, &[tag("x")]);
        assert_eq!(plain.get(3), vec![tag("x")]);
        assert!(!plain.has_filename_ops() && t.has_filename_ops());
    }

    #[test]
    fn op_values_parse_like_arkime() {
        let op = Op::new(OpTarget::MaxPacketsToSave, ">100");
        assert_eq!((op.int, op.mode), (100, IntMode::IfMore));
        assert!(
            !op.mode.should_run(op.int, 0xffff),
            "100 is not more than 65535"
        );
        assert_eq!(Op::new(OpTarget::MaxPacketsToSave, "99999").int, 0xffff);
        assert_eq!(Op::new(OpTarget::StopSpi, "5").int, 1);
        assert_eq!(Op::new(OpTarget::Field(0), "12abc").int, 12);
        assert_eq!(leading_int("-7x"), -7);
        assert_eq!(leading_int("x"), 0);
    }
}
