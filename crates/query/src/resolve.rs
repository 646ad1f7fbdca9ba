//! Resolving a parsed expression against the field registry into a typed query: field
//! names (and Arkime's shorthands such as `ip`, `port`, `mac`, `host`) become database
//! fields, values are checked and typed by the field's kind.

use std::net::IpAddr;

use trawl_fields::FieldRegistry;

use crate::parser::{excerpt, Expr, Op, RawValue};

/// How one field's values are matched.
#[derive(Clone, Debug)]
pub enum Match {
    /// Equal to this string.
    Exact(String),
    /// Shell-style pattern (`*`, `?`).
    Wildcard(String),
    /// A regular expression matching the whole value.
    Regex(regex::Regex),
    /// An integer in `lo..=hi`.
    IntRange(i64, i64),
    /// An address in this network.
    Cidr(IpAddr, u8),
}

impl Match {
    /// The inclusive range of integers this match asks of integer field `db`, as both
    /// stores search it: a session's first and last packet times are searched in
    /// seconds and stored in ms, and `ip.protocol` takes names (`tcp`) or numbers.
    /// `None` when the match cannot hold an integer.
    pub fn int_bounds(&self, db: &str) -> Option<(i64, i64)> {
        match self {
            Match::IntRange(lo, hi) if matches!(db, "firstPacket" | "lastPacket") => Some((
                lo.saturating_mul(1000),
                hi.saturating_mul(1000).saturating_add(999),
            )),
            Match::IntRange(lo, hi) => Some((*lo, *hi)),
            Match::Exact(s) => {
                let n = if db == "ipProtocol" {
                    ip_protocol_number(&s.to_lowercase())
                } else {
                    s.parse().ok()
                };
                n.map(|n| (n, n))
            }
            _ => None,
        }
    }
}

/// IP protocol names the viewer accepts for `ip.protocol`, or a number.
pub fn ip_protocol_number(name: &str) -> Option<i64> {
    Some(match name {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" => 50,
        "icmpv6" => 58,
        "pim" => 103,
        "sctp" => 132,
        n => return n.parse().ok(),
    })
}

impl PartialEq for Match {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (Match::Exact(a), Match::Exact(b)) | (Match::Wildcard(a), Match::Wildcard(b)) => a == b,
            (Match::Regex(a), Match::Regex(b)) => a.as_str() == b.as_str(),
            (Match::IntRange(a, b), Match::IntRange(c, d)) => a == c && b == d,
            (Match::Cidr(a, b), Match::Cidr(c, d)) => a == c && b == d,
            _ => false,
        }
    }
}

/// The kind (and database name) of Arkime's `file` field: a pcap file's name, which a
/// search turns into the node and number of each file it names
/// ([`Query::bind_files`]) before a store runs it.
pub const FILE_KIND: &str = "fileand";

/// A typed query.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    /// All of.
    And(Vec<Query>),
    /// Any of.
    Or(Vec<Query>),
    /// Not.
    Not(Box<Query>),
    /// The database field has a value.
    Exists(String),
    /// The database field has a value that matches.
    Field {
        /// Database field name ("source.ip", "http.host").
        db: String,
        /// The match.
        m: Match,
    },
}

/// Gives the (node, number) of every pcap file whose name matches.
pub type FileLookup<'a, E> = dyn FnMut(&Match) -> Result<Vec<(String, u32)>, E> + 'a;

impl Query {
    /// Whether it compares Arkime's `file` field somewhere.
    pub fn names_files(&self) -> bool {
        match self {
            Query::And(v) | Query::Or(v) => v.iter().any(Query::names_files),
            Query::Not(q) => q.names_files(),
            Query::Exists(db) => db == FILE_KIND,
            Query::Field { db, .. } => db == FILE_KIND,
        }
    }

    /// Replaces each comparison of `file` by the sessions of the files it names, as
    /// Arkime's viewer does: `lookup` gives the (node, number) of every pcap file
    /// whose name matches; a name that matches none is an error, as in Arkime.
    pub fn bind_files<E: From<String>>(self, lookup: &mut FileLookup<'_, E>) -> Result<Query, E> {
        Ok(match self {
            Query::And(v) => Query::And(
                v.into_iter()
                    .map(|q| q.bind_files(lookup))
                    .collect::<Result<_, _>>()?,
            ),
            Query::Or(v) => Query::Or(
                v.into_iter()
                    .map(|q| q.bind_files(lookup))
                    .collect::<Result<_, _>>()?,
            ),
            Query::Not(q) => Query::Not(Box::new(q.bind_files(lookup)?)),
            // Every session comes from a file.
            Query::Exists(db) if db == FILE_KIND => Query::And(Vec::new()),
            Query::Field { db, m } if db == FILE_KIND => {
                let files = lookup(&m)?;
                if files.is_empty() {
                    return Err(E::from(format!("file '{}' not found", match_text(&m))));
                }
                either(
                    files
                        .into_iter()
                        .map(|(node, num)| {
                            Query::And(vec![
                                Query::Field {
                                    db: "node".into(),
                                    m: Match::Exact(node),
                                },
                                Query::Field {
                                    db: "fileId".into(),
                                    m: Match::IntRange(num.into(), num.into()),
                                },
                            ])
                        })
                        .collect(),
                )
            }
            q => q,
        })
    }
}

/// A file name as Arkime's viewer reads it, quoted or not: `/…/` is a regex, a name
/// with `*` a wildcard, anything else the exact name.
fn file_match(s: String, pos: usize) -> Result<Match, ResolveError> {
    if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') {
        let re = &s[1..s.len() - 1];
        return regex::Regex::new(&format!("^(?:{re})$"))
            .map(Match::Regex)
            .map_err(|_| ResolveError {
                pos,
                message: format!("bad regex /{}/", excerpt(re)),
            });
    }
    Ok(if s.contains('*') {
        Match::Wildcard(s)
    } else {
        Match::Exact(s)
    })
}

/// A match as the user wrote it, for messages.
fn match_text(m: &Match) -> String {
    match m {
        Match::Exact(s) | Match::Wildcard(s) => excerpt(s).into_owned(),
        Match::Regex(r) => {
            let r = r.as_str();
            let r = r
                .strip_prefix("^(?:")
                .and_then(|r| r.strip_suffix(")$"))
                .unwrap_or(r);
            format!("/{}/", excerpt(r))
        }
        Match::IntRange(a, b) => format!("{a}-{b}"),
        Match::Cidr(ip, bits) => format!("{ip}/{bits}"),
    }
}

impl Match {
    /// Whether a string value matches (exact, wildcard or regex; never an integer or
    /// network match).
    pub fn matches_str(&self, v: &str) -> bool {
        match self {
            Match::Exact(s) => s == v,
            Match::Wildcard(p) => wildcard_matches(p.as_bytes(), v.as_bytes()),
            Match::Regex(r) => r.is_match(v),
            _ => false,
        }
    }
}

/// A shell pattern (`*` any run, `?` one byte) against a whole string.
fn wildcard_matches(p: &[u8], v: &[u8]) -> bool {
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == v[vi] => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    pi = sp + 1;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A semantic error: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at character {pos}: {message}")]
pub struct ResolveError {
    /// Character offset of the comparison.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
}

/// A field as a query sees it.
struct Target {
    db: String,
    kind: String,
}

fn targets(reg: &FieldRegistry, name: &str) -> Vec<Target> {
    let t = |db: &str, kind: &str| Target {
        db: db.to_string(),
        kind: kind.to_string(),
    };
    if let Some(db) = name.strip_prefix("db:") {
        if let Some(d) = reg.by_db(db).and_then(|id| reg.get(id)) {
            return vec![t(&d.db_field, &d.kind)];
        }
        return reg
            .count_fields()
            .filter(|(_, c)| c == db)
            .map(|(_, c)| t(&c, "integer"))
            .collect();
    }
    if let Some(d) = reg.by_expression(name).and_then(|id| reg.get(id)) {
        return vec![t(&d.db_field, &d.kind)];
    }
    // A count of values: `http.host.cnt`.
    if name.ends_with(".cnt") {
        return reg
            .count_fields()
            .filter(|(e, _)| e == name)
            .map(|(_, c)| t(&c, "integer"))
            .collect();
    }
    match name {
        // The session's id, as Arkime's `id` (the document's `_id`).
        "id" => vec![t("_id", "termfield")],
        // Every IP field, as Arkime's `ip` does.
        "ip" => reg
            .iter()
            .filter(|(_, d)| d.kind == "ip")
            .map(|(_, d)| t(&d.db_field, &d.kind))
            .collect(),
        "port" => ["port.src", "port.dst"]
            .iter()
            .filter_map(|e| reg.by_expression(e))
            .filter_map(|id| reg.get(id))
            .map(|d| t(&d.db_field, &d.kind))
            .collect(),
        // Shorthands for a family: `mac` is mac.src or mac.dst, `host` every host.* field.
        _ => {
            let prefix = format!("{name}.");
            reg.iter()
                .filter(|(_, d)| {
                    d.expression.starts_with(&prefix) && !d.expression.ends_with(".cnt")
                })
                .map(|(_, d)| t(&d.db_field, &d.kind))
                .collect()
        }
    }
}

fn parse_ip(v: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match v.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (v, None),
    };
    if addr.contains(':') {
        let ip: std::net::Ipv6Addr = addr.parse().ok()?;
        let bits = bits.unwrap_or(128);
        return (bits <= 128).then_some((IpAddr::V6(ip), bits));
    }
    // Partial addresses ("10.1" or "10.1.") stand for their network, as in Arkime.
    let parts: Vec<&str> = addr.trim_end_matches('.').split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut o = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        o[i] = p.parse().ok()?;
    }
    let bits = bits.unwrap_or(8 * parts.len() as u8);
    (bits <= 32).then_some((IpAddr::V4(o.into()), bits))
}

fn parse_int(v: &str) -> Option<i64> {
    v.parse().ok()
}

/// One value against one field kind; an error points at the value (`pos`).
fn value_match(kind: &str, op: Op, v: &RawValue, pos: usize) -> Result<Vec<Match>, ResolveError> {
    let bad = |m: String| ResolveError { pos, message: m };
    let items: Vec<(String, bool)> = match v {
        RawValue::Str(s) => vec![(s.clone(), false)],
        RawValue::Quoted(s) => vec![(s.clone(), true)],
        RawValue::List(l) | RawValue::ListAll(l) => l.iter().map(|s| (s.clone(), false)).collect(),
        RawValue::Regex(r) => {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(bad("a regex can only be compared with == or !=".into()));
            }
            let re = regex::Regex::new(&format!("^(?:{r})$")).map_err(|e| {
                // The regex crate's message repeats the pattern; keep its last line.
                let e = e.to_string();
                let why = e
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                bad(format!("bad regex /{}/: {why}", excerpt(r)))
            })?;
            return Ok(vec![Match::Regex(re)]);
        }
    };
    if kind == FILE_KIND {
        if !matches!(op, Op::Eq | Op::Ne) {
            return Err(bad("file only compares with == or !=".into()));
        }
        if items.len() != 1 {
            return Err(bad("a list of files is not supported".into()));
        }
    }
    let mut out = Vec::new();
    for (s, quoted) in items {
        let m = match kind {
            "ip" => {
                if !matches!(op, Op::Eq | Op::Ne) {
                    return Err(bad("IP fields only compare with == or !=".into()));
                }
                let (ip, bits) = parse_ip(&s).ok_or_else(|| {
                    bad(format!("'{}' is not an IP address or CIDR", excerpt(&s)))
                })?;
                Match::Cidr(ip, bits)
            }
            "integer" | "seconds" | "date" => {
                let range = |lo: i64, hi: i64| Match::IntRange(lo, hi);
                match op {
                    Op::Eq | Op::Ne => match s.split_once('-').filter(|(a, _)| !a.is_empty()) {
                        Some((a, b)) => {
                            let (lo, hi) = parse_int(a).zip(parse_int(b)).ok_or_else(|| {
                                bad(format!("'{}' is not a number or a range a-b", excerpt(&s)))
                            })?;
                            range(lo, hi)
                        }
                        None => {
                            let n = parse_int(&s)
                                .ok_or_else(|| bad(format!("'{}' is not a number", excerpt(&s))))?;
                            range(n, n)
                        }
                    },
                    _ => {
                        let n = parse_int(&s)
                            .ok_or_else(|| bad(format!("'{}' is not a number", excerpt(&s))))?;
                        match op {
                            Op::Lt => range(i64::MIN, n.saturating_sub(1)),
                            Op::Lte => range(i64::MIN, n),
                            Op::Gt => range(n.saturating_add(1), i64::MAX),
                            _ => range(n, i64::MAX),
                        }
                    }
                }
            }
            _ => {
                if !matches!(op, Op::Eq | Op::Ne) {
                    return Err(bad("text fields only compare with == or !=".into()));
                }
                let s = match kind {
                    "lotermfield" => s.to_lowercase(),
                    "uptermfield" => s.to_uppercase(),
                    _ => s,
                };
                if kind == FILE_KIND {
                    file_match(s, pos)?
                } else if !quoted && (s.contains('*') || s.contains('?')) {
                    Match::Wildcard(s)
                } else {
                    Match::Exact(s)
                }
            }
        };
        out.push(m);
    }
    Ok(out)
}

fn either(mut v: Vec<Query>) -> Query {
    if v.len() == 1 {
        v.pop().unwrap_or(Query::Or(Vec::new()))
    } else {
        Query::Or(v)
    }
}

/// Resolves `e` against the fields of `reg`.
pub fn resolve(e: &Expr, reg: &FieldRegistry) -> Result<Query, ResolveError> {
    Ok(match e {
        Expr::And(v) => Query::And(
            v.iter()
                .map(|e| resolve(e, reg))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Query::Or(
            v.iter()
                .map(|e| resolve(e, reg))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(a) => Query::Not(Box::new(resolve(a, reg)?)),
        Expr::Exists { field, exists, pos } => {
            let ts = targets(reg, field);
            if ts.is_empty() {
                return Err(ResolveError {
                    pos: *pos,
                    message: format!("unknown field '{}'", excerpt(field)),
                });
            }
            let q = either(ts.into_iter().map(|t| Query::Exists(t.db)).collect());
            if *exists {
                q
            } else {
                Query::Not(Box::new(q))
            }
        }
        Expr::Cmp {
            field,
            op,
            value,
            pos,
            value_pos,
        } => {
            let ts = targets(reg, field);
            if ts.is_empty() {
                return Err(ResolveError {
                    pos: *pos,
                    message: format!("unknown field '{}'", excerpt(field)),
                });
            }
            let all = matches!(value, RawValue::ListAll(_));
            let mut per_field = Vec::new();
            for t in ts {
                let ms = value_match(&t.kind, *op, value, *value_pos)?;
                let qs: Vec<Query> = ms
                    .into_iter()
                    .map(|m| Query::Field {
                        db: t.db.clone(),
                        m,
                    })
                    .collect();
                per_field.push(if all { Query::And(qs) } else { either(qs) });
            }
            let q = either(per_field);
            if *op == Op::Ne {
                Query::Not(Box::new(q))
            } else {
                q
            }
        }
    })
}
