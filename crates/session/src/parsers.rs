//! The parser framework, Arkime's second phase for TCP, UDP and SCTP payloads:
//!
//! * **Classifiers** look at the first payload bytes of a session (each direction) and
//!   at its ports, and decide what protocol it carries: a content classifier matches a
//!   byte pattern at an offset; a port classifier matches the source or destination
//!   port. A classifier typically adds the protocol and attaches a parser.
//! * **Parsers** hold their own per-session state and get each direction's bytes in
//!   order (TCP after reassembly, UDP one datagram at a time). They fill fields and
//!   say how much they consumed; a parser that has seen enough unregisters itself.
//!
//! Classifiers are registered at start-up into [`Classifiers`], part of the read-only
//! [`crate::Shared`] data; parsers live in their session.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::{Cx, Dir, Session};

/// A classifier: the session, the first bytes of one direction, that direction, and
/// the user word given at registration. A closure captures what its parser needs
/// (typed field ids, settings) when it is registered.
pub type ClassifyFn = Arc<dyn Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync>;

/// What a parser did with a run of bytes (Retina's parse result, Arkime's return
/// value of a parser callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// It handled the bytes and claims the first `n` of them from the parsers after it
    /// (0 is fine: it only looked; `n` at least the bytes given ends the pass, as in
    /// Arkime). Nothing is kept for it.
    Done(usize),
    /// The bytes end inside a message. The framework keeps those from `consumed` on
    /// (a `consumed` past the end drops that many more of the bytes still to come) and
    /// calls the parser again, with them in front of the next bytes, once it holds
    /// `needed` bytes (0: at the next bytes). More than [`Parser::max_held`] kept or
    /// needed unregisters the parser (counted as a parser overflow).
    Incomplete {
        /// Bytes of the run used up.
        consumed: usize,
        /// Bytes the next message needs, counted from the first byte kept.
        needed: usize,
    },
    /// It has no more use for the session's bytes: it unregisters.
    Skip,
    /// The bytes are not what it parses (a broken header, a length out of range): it
    /// unregisters, and the thread counts a parser error.
    Error,
}

/// A per-session parser.
pub trait Parser: Send + std::fmt::Debug {
    /// Its name, for logs and `disableParsers`.
    fn name(&self) -> &'static str;
    /// Bytes of direction `dir` (from the session's source or from its destination):
    /// after an [`Parsed::Incomplete`], the bytes kept for it followed by the new ones.
    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed;
    /// Called before each document is written (`final_` false for a mid-session save),
    /// to flush what the parser holds into fields.
    fn save(&mut self, _cx: &mut Cx, _s: &mut Session, _final: bool) {}
    /// The most bytes the framework keeps for it per direction after an
    /// [`Parsed::Incomplete`].
    fn max_held(&self) -> usize {
        DEFAULT_MAX_HELD
    }
}

/// [`Parser::max_held`] unless a parser says otherwise.
pub const DEFAULT_MAX_HELD: usize = 0x4000;

/// A parser attached to a session, with the bytes the framework keeps for it.
#[derive(Debug)]
pub struct ParserSlot {
    /// The parser: taken out while it runs, so that it may hand bytes to the others;
    /// one that unregisters stays None until the outermost pass ends.
    parser: Option<Box<dyn Parser>>,
    /// Per direction: the bytes of an unfinished message.
    held: [Vec<u8>; 2],
    /// Per direction: how many bytes must be held before the parser runs again.
    needed: [usize; 2],
    /// Per direction: bytes still to drop before any are kept or given.
    skipping: [usize; 2],
}

impl ParserSlot {
    fn new(p: Box<dyn Parser>) -> Self {
        ParserSlot {
            parser: Some(p),
            held: [Vec::new(), Vec::new()],
            needed: [0; 2],
            skipping: [0; 2],
        }
    }

    /// The parser's name, unless it unregistered.
    pub fn name(&self) -> Option<&'static str> {
        self.parser.as_ref().map(|p| p.name())
    }

    /// Bytes held for direction `dir`.
    pub fn held(&self, dir: Dir) -> &[u8] {
        &self.held[dir]
    }
}

/// Port classifier kinds (Arkime's `ARKIME_PARSERS_PORT_*`), combinable.
pub mod port {
    /// UDP source port.
    pub const UDP_SRC: u32 = 0x01;
    /// UDP destination port.
    pub const UDP_DST: u32 = 0x02;
    /// UDP either port.
    pub const UDP: u32 = UDP_SRC | UDP_DST;
    /// TCP source port.
    pub const TCP_SRC: u32 = 0x04;
    /// TCP destination port.
    pub const TCP_DST: u32 = 0x08;
    /// TCP either port.
    pub const TCP: u32 = TCP_SRC | TCP_DST;
    /// SCTP source port.
    pub const SCTP_SRC: u32 = 0x10;
    /// SCTP destination port.
    pub const SCTP_DST: u32 = 0x20;
    /// SCTP either port.
    pub const SCTP: u32 = SCTP_SRC | SCTP_DST;
}

#[derive(Clone)]
struct Classifier {
    name: &'static str,
    uw: u32,
    offset: usize,
    pattern: Vec<u8>,
    f: ClassifyFn,
}

impl Classifier {
    fn matches(&self, data: &[u8]) -> bool {
        data.get(self.offset..self.offset + self.pattern.len()) == Some(self.pattern.as_slice())
    }
}

/// Content classifiers of one transport, indexed by their first bytes when they
/// match at offset 0 (so classifying costs a lookup, not a scan of all of them).
#[derive(Clone, Default)]
struct ContentTable {
    any: Vec<Classifier>,
    by1: HashMap<u8, Vec<Classifier>>,
    by2: HashMap<[u8; 2], Vec<Classifier>>,
}

impl ContentTable {
    fn extend(&mut self, c: Option<Classifier>) {
        if let Some(c) = c {
            self.add(c);
        }
    }

    fn add(&mut self, c: Classifier) {
        match (c.offset, c.pattern.as_slice()) {
            (0, [a]) => self.by1.entry(*a).or_default().push(c),
            (0, [a, b, ..]) => self.by2.entry([*a, *b]).or_default().push(c),
            _ => self.any.push(c),
        }
    }

    /// The classifiers whose pattern matches `data`, in Arkime's order.
    fn matching<'a>(&'a self, data: &'a [u8]) -> impl Iterator<Item = &'a Classifier> + 'a {
        let one = data
            .first()
            .and_then(|a| self.by1.get(a))
            .into_iter()
            .flatten();
        let two = data
            .get(..2)
            .and_then(|k| self.by2.get(&[k[0], k[1]]))
            .into_iter()
            .flatten();
        self.any
            .iter()
            .chain(one)
            .chain(two)
            .filter(move |c| c.matches(data))
    }
}

/// Every registered classifier (each captures the field ids and options its parser
/// needs).
#[derive(Clone, Default)]
pub struct Classifiers {
    tcp: ContentTable,
    udp: ContentTable,
    sctp: ContentTable,
    /// SCTP classifiers by payload protocol id.
    sctp_protocols: HashMap<u32, Vec<Classifier>>,
    ports: HashMap<(u16, u32), Vec<Classifier>>,
    disabled: HashSet<String>,
}

impl Classifiers {
    /// No classifiers; `disabled` names parsers not to register (`disableParsers`,
    /// with or without Arkime's `.so` suffix).
    pub fn new(disabled: &[String]) -> Self {
        Classifiers {
            disabled: disabled
                .iter()
                .map(|d| d.trim_end_matches(".so").to_string())
                .collect(),
            ..Default::default()
        }
    }

    fn enabled(&self, name: &str) -> bool {
        !self.disabled.contains(name)
    }

    /// A content classifier, unless its parser is disabled.
    fn content(
        &self,
        name: &'static str,
        uw: u32,
        offset: usize,
        pattern: &[u8],
        f: impl Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync + 'static,
    ) -> Option<Classifier> {
        self.enabled(name).then(|| Classifier {
            name,
            uw,
            offset,
            pattern: pattern.to_vec(),
            f: Arc::new(f),
        })
    }

    /// Classifies TCP sessions whose first bytes in a direction have `pattern` at `offset`.
    pub fn register_tcp(
        &mut self,
        name: &'static str,
        uw: u32,
        offset: usize,
        pattern: &[u8],
        f: impl Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync + 'static,
    ) {
        let c = self.content(name, uw, offset, pattern, f);
        self.tcp.extend(c);
    }

    /// Classifies SCTP sessions whose first bytes in a direction have `pattern` at
    /// `offset`.
    pub fn register_sctp(
        &mut self,
        name: &'static str,
        uw: u32,
        offset: usize,
        pattern: &[u8],
        f: impl Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync + 'static,
    ) {
        let c = self.content(name, uw, offset, pattern, f);
        self.sctp.extend(c);
    }

    /// Classifies SCTP sessions by the payload protocol id of their first data chunk.
    pub fn register_sctp_protocol(
        &mut self,
        name: &'static str,
        uw: u32,
        protocol: u32,
        f: impl Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync + 'static,
    ) {
        if self.enabled(name) {
            self.sctp_protocols
                .entry(protocol)
                .or_default()
                .push(Classifier {
                    name,
                    uw,
                    offset: 0,
                    pattern: Vec::new(),
                    f: Arc::new(f),
                });
        }
    }

    /// Classifies UDP sessions likewise.
    pub fn register_udp(
        &mut self,
        name: &'static str,
        uw: u32,
        offset: usize,
        pattern: &[u8],
        f: impl Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync + 'static,
    ) {
        let c = self.content(name, uw, offset, pattern, f);
        self.udp.extend(c);
    }

    /// Classifies sessions by port; `kinds` is a combination of [`port`] bits.
    pub fn register_port(
        &mut self,
        name: &'static str,
        uw: u32,
        p: u16,
        kinds: u32,
        f: impl Fn(&mut Cx, &mut Session, &[u8], Dir, u32) + Send + Sync + 'static,
    ) {
        if !self.enabled(name) {
            return;
        }
        let f: ClassifyFn = Arc::new(f);
        for bit in [
            port::UDP_SRC,
            port::UDP_DST,
            port::TCP_SRC,
            port::TCP_DST,
            port::SCTP_SRC,
            port::SCTP_DST,
        ] {
            if kinds & bit != 0 {
                self.ports.entry((p, bit)).or_default().push(Classifier {
                    name,
                    uw,
                    offset: 0,
                    pattern: Vec::new(),
                    f: Arc::clone(&f),
                });
            }
        }
    }

    /// Number of classifiers registered.
    pub fn len(&self) -> usize {
        let t = |c: &ContentTable| {
            c.any.len()
                + c.by1.values().map(Vec::len).sum::<usize>()
                + c.by2.values().map(Vec::len).sum::<usize>()
        };
        t(&self.tcp) + t(&self.udp) + self.ports.values().map(Vec::len).sum::<usize>()
    }

    /// Names of the registered classifiers, sorted, without repeats.
    pub fn names(&self) -> Vec<&'static str> {
        let t = |c: &ContentTable| {
            c.any
                .iter()
                .chain(c.by1.values().flatten())
                .chain(c.by2.values().flatten())
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        let mut v = t(&self.tcp);
        v.extend(t(&self.udp));
        v.extend(self.ports.values().flatten().map(|c| c.name));
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn by_port(&self, p: u16, kind: u32) -> &[Classifier] {
        self.ports.get(&(p, kind)).map_or(&[], Vec::as_slice)
    }

    /// Runs the classifiers of a transport on the first bytes of one direction.
    /// (`udp`: skips content classifiers on DNS's port, as Arkime does.)
    fn classify(&self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, transport: Transport) {
        if data.len() < 2 {
            return;
        }
        let (src, dst, table) = match transport {
            Transport::Tcp => (port::TCP_SRC, port::TCP_DST, Some(&self.tcp)),
            Transport::Udp => (port::UDP_SRC, port::UDP_DST, Some(&self.udp)),
            Transport::Sctp(_) => (port::SCTP_SRC, port::SCTP_DST, Some(&self.sctp)),
        };
        // Collected first: a classifier changes the session (its ports stay).
        let mut run: Vec<&Classifier> = Vec::new();
        if let Transport::Sctp(proto) = transport {
            if let Some(v) = self.sctp_protocols.get(&proto) {
                run.extend(v.iter());
            }
        }
        run.extend(self.by_port(s.port1, src).iter());
        run.extend(self.by_port(s.port2, dst).iter());
        let dns = transport == Transport::Udp && (s.port1 == 53 || s.port2 == 53);
        if let (Some(t), false) = (table, dns) {
            run.extend(t.matching(data));
        }
        for c in run {
            (c.f)(cx, s, data, dir, c.uw);
        }
    }
}

/// Which transport's classifiers run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Udp,
    /// SCTP, with the payload protocol id of the data.
    Sctp(u32),
}

/// Arkime's fixed-size parser buffer, for the parsers that keep its rule: Arkime adds
/// each segment to a buffer of `max` bytes before it reads any message, and when the
/// bytes it holds and the new ones do not fit it tags the session with `tag` and gives
/// up, without reading the whole messages among them. `data` as a parser is given it
/// (what the framework kept, then the new bytes) is exactly those bytes. True when the
/// parser must give up (return [`Parsed::Skip`]).
pub fn over_fixed_buffer(cx: &mut Cx, s: &mut Session, data: &[u8], max: usize, tag: &str) -> bool {
    let over = data.len() > max;
    if over {
        cx.add_tag(s, tag);
    }
    over
}

/// Attaches a parser to the session (Arkime's `arkime_parsers_register`).
pub fn register_parser(s: &mut Session, p: Box<dyn Parser>) {
    s.parsers.push(ParserSlot::new(p));
}

/// Whether the session already has a parser called `name`.
pub fn has_parser(s: &Session, name: &str) -> bool {
    s.parsers.iter().any(|p| p.name() == Some(name))
}

/// Runs the TCP port and content classifiers on bytes a parser hands on, such as the
/// first bytes after a SOCKS handshake, an HTTP CONNECT or STARTTLS (Arkime's
/// `arkime_parsers_classify_tcp`).
pub fn classify_tcp(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) {
    classify(cx, s, data, dir, Transport::Tcp);
}

/// Classifies a session from the first bytes of one direction.
pub(crate) fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir, t: Transport) {
    let shared = cx.shared;
    shared.classifiers.classify(cx, s, data, dir, t);
    shared.hooks.after_classify(shared, s);
    if !shared.yara_every_packet {
        yara(cx, s, data);
    }
}

/// Runs the yara rules on `data` and tags the session with what matched.
pub(crate) fn yara(cx: &mut Cx, s: &mut Session, data: &[u8]) {
    let Some(y) = &cx.shared.yara else {
        return;
    };
    let mut tags = Vec::new();
    y.scan(data, &mut tags);
    for t in &tags {
        cx.add_tag(s, t);
    }
}

/// Hands bytes of one direction to the session's parsers, in order, until one
/// consumes them all (Arkime's `arkime_packet_process_data`). A parser may call this
/// itself to hand on bytes it carries (LDAP after StartTLS): the others get them, and
/// a parser attached meanwhile (by classifying those bytes) gets them in the same
/// pass, as in Arkime.
pub fn process_data(cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) {
    if s.parsers.is_empty() || s.parser_depth >= MAX_DEPTH {
        return;
    }
    let d = dir;
    s.parser_depth += 1;
    let mut i = 0;
    while i < s.parsers.len() {
        // Running further out (this is a nested pass), or unregistered.
        let Some(mut p) = s.parsers[i].parser.take() else {
            i += 1;
            continue;
        };
        let slot = &mut s.parsers[i];
        let owed = slot.skipping[d].min(data.len());
        slot.skipping[d] -= owed;
        let fresh = &data[owed..];
        let mut held = std::mem::take(&mut slot.held[d]);
        // What the parser did, and how many of the bytes it was shown.
        let (parsed, shown) = if fresh.is_empty() && !data.is_empty() {
            // All dropped: a message too long to keep is still going by.
            (Parsed::Done(0), 0)
        } else if held.is_empty() && slot.needed[d] <= fresh.len() {
            // Nothing kept: the parser reads the bytes where they are.
            let r = p.parse(cx, s, fresh, dir);
            if let Parsed::Incomplete { consumed, .. } = r {
                held.extend_from_slice(&fresh[consumed.min(fresh.len())..]);
            }
            (r, fresh.len())
        } else {
            held.extend_from_slice(fresh);
            let needed = s.parsers[i].needed[d];
            if held.len() < needed {
                (
                    Parsed::Incomplete {
                        consumed: 0,
                        needed,
                    },
                    0,
                )
            } else {
                let r = p.parse(cx, s, &held, dir);
                let shown = held.len();
                if let Parsed::Incomplete { consumed, .. } = r {
                    held.drain(..consumed.min(shown));
                }
                (r, shown)
            }
        };
        let slot = &mut s.parsers[i];
        match parsed {
            // The slot stays empty: indexes must not move under an outer pass.
            Parsed::Skip => {}
            Parsed::Error => cx.stats.parser_errors += 1,
            Parsed::Done(n) => {
                slot.parser = Some(p);
                slot.needed[d] = 0;
                s.flows[d].consumed += n as u64;
                if n >= data.len() {
                    break;
                }
            }
            Parsed::Incomplete { consumed, needed } => {
                let max = p.max_held();
                if held.len() > max || needed > max {
                    cx.stats.parser_overflows += 1;
                } else {
                    slot.held[d] = held;
                    slot.needed[d] = needed;
                    slot.skipping[d] += consumed.saturating_sub(shown);
                    slot.parser = Some(p);
                }
            }
        }
        i += 1;
    }
    end_pass(s);
    if s.fields.has_pending() {
        cx.shared.hooks.fields_set(cx.shared, s);
    }
}

/// Nested parser passes allowed (a tunnel in a tunnel in ...).
const MAX_DEPTH: u8 = 8;

/// Ends a pass; the outermost drops the slots of unregistered parsers.
fn end_pass(s: &mut Session) {
    s.parser_depth -= 1;
    if s.parser_depth == 0 {
        s.parsers.retain(|p| p.parser.is_some());
    }
}

/// Lets every parser flush into fields before a document is written.
pub(crate) fn save(cx: &mut Cx, s: &mut Session, final_: bool) {
    // By index: a parser's save may attach others (which are saved too) or hand
    // bytes to the rest.
    if s.parsers.is_empty() || s.parser_depth >= MAX_DEPTH {
        return;
    }
    s.parser_depth += 1;
    let mut i = 0;
    while i < s.parsers.len() {
        if let Some(mut p) = s.parsers[i].parser.take() {
            p.save(cx, s, final_);
            s.parsers[i].parser = Some(p);
        }
        i += 1;
    }
    end_pass(s);
}
