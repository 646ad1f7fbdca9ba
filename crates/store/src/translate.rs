//! A resolved Arkime expression ([`trawl_query::Query`]) as a tantivy query over one
//! partition's schema. A field the partition does not have matches nothing.

use std::net::{IpAddr, Ipv6Addr};
use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, ExistsQuery, Occur, Query as TQuery, RangeQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;
use trawl_query::{Bounding, Match, Query};

use crate::doc::to_v6;
use crate::ints::{LazyInts, RowsQuery};
use crate::schema::{Fields, Kind};

/// Translates `q` for a partition with `fields` and the integers `ints`.
pub fn translate(q: &Query, fields: &Fields, ints: &LazyInts<'_>) -> Box<dyn TQuery> {
    match q {
        Query::And(v) if v.is_empty() => Box::new(AllQuery),
        Query::And(v) => Box::new(BooleanQuery::new(
            v.iter()
                .map(|x| (Occur::Must, translate(x, fields, ints)))
                .collect(),
        )),
        Query::Or(v) => Box::new(BooleanQuery::new(
            v.iter()
                .map(|x| (Occur::Should, translate(x, fields, ints)))
                .collect(),
        )),
        Query::Not(x) => not(translate(x, fields, ints)),
        Query::Exists(db) => match fields.get(db) {
            // Ip and integer columns know which documents have a value.
            Some((_, Kind::Ip | Kind::FastInt | Kind::Column)) => {
                Box::new(ExistsQuery::new(db.clone(), false))
            }
            Some((f, Kind::Int)) => Box::new(RowsQuery::new(ints.get().rows_where(f, |_| true))),
            // Every value of a term field is in its dictionary: all terms from "".
            Some((f, Kind::Term)) => Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_text(f, "")),
                Bound::Unbounded,
            )),
            None => Box::new(EmptyQuery),
        },
        Query::Field { db, m } => match fields.get(db) {
            Some((f, k @ (Kind::Int | Kind::FastInt))) => integer(db, f, k, ints, m),
            Some((f, kind)) => field(db, f, kind, m),
            None => Box::new(EmptyQuery),
        },
    }
}

fn not(q: Box<dyn TQuery>) -> Box<dyn TQuery> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, Box::new(AllQuery) as Box<dyn TQuery>),
        (Occur::MustNot, q),
    ]))
}

fn term(f: Field, s: &str) -> Box<dyn TQuery> {
    Box::new(TermQuery::new(
        Term::from_field_text(f, s),
        IndexRecordOption::Basic,
    ))
}

/// A match on an integer field, a tantivy column or the partition's own file.
fn integer(db: &str, f: Field, kind: Kind, ints: &LazyInts<'_>, m: &Match) -> Box<dyn TQuery> {
    match (m.int_bounds(db), kind) {
        (Some((lo, hi)), Kind::Int) if lo <= hi => Box::new(RowsQuery::new(
            ints.get().rows_where(f, |v| (lo..=hi).contains(&v)),
        )),
        (Some((lo, hi)), Kind::FastInt) => int_range(f, lo, hi),
        _ => Box::new(EmptyQuery),
    }
}

fn int_range(f: Field, lo: i64, hi: i64) -> Box<dyn TQuery> {
    if lo > hi {
        return Box::new(EmptyQuery);
    }
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_i64(f, lo)),
        Bound::Included(Term::from_field_i64(f, hi)),
    ))
}

/// The first and last address of a network, in tantivy's IPv6 space.
pub fn cidr_bounds(ip: IpAddr, bits: u8) -> (Ipv6Addr, Ipv6Addr) {
    let (base, host_bits) = match ip {
        IpAddr::V4(a) => (
            u128::from(to_v6(IpAddr::V4(a))),
            32 - u32::from(bits.min(32)),
        ),
        IpAddr::V6(a) => (u128::from(a), 128 - u32::from(bits.min(128))),
    };
    let mask = if host_bits >= 128 {
        0
    } else {
        u128::MAX << host_bits
    };
    let lo = base & mask;
    (Ipv6Addr::from(lo), Ipv6Addr::from(lo | !mask))
}

/// A shell pattern (`*`, `?`) as a regex over the whole term.
fn wildcard_regex(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    for c in p.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == ' ' => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// The resolver anchors regexes as `^(?:…)$`; tantivy matches whole terms already.
fn unanchored(re: &str) -> &str {
    re.strip_prefix('^')
        .and_then(|r| r.strip_suffix('$'))
        .unwrap_or(re)
}

fn regex(f: Field, re: &str) -> Box<dyn TQuery> {
    match RegexQuery::from_pattern(re, f) {
        Ok(q) => Box::new(q),
        Err(e) => {
            tracing::warn!("regex /{re}/ not usable on the index: {e}");
            Box::new(EmptyQuery)
        }
    }
}

/// A match on a column: exact values through the column's range search, patterns
/// through its dictionary.
fn column(db: &str, f: Field, m: &Match) -> Box<dyn TQuery> {
    let exact = |s: &str| -> Box<dyn TQuery> {
        let t = Term::from_field_text(f, s);
        Box::new(RangeQuery::new(
            Bound::Included(t.clone()),
            Bound::Included(t),
        ))
    };
    let pattern = |re: &str| -> Box<dyn TQuery> {
        match crate::column::ColumnRegexQuery::new(db, re) {
            Ok(q) => Box::new(q),
            Err(e) => {
                tracing::warn!("regex /{re}/ not usable on the index: {e}");
                Box::new(EmptyQuery)
            }
        }
    };
    match m {
        Match::Exact(s) => exact(s),
        Match::Wildcard(p) => pattern(&wildcard_regex(p)),
        Match::Regex(r) => pattern(unanchored(r.as_str())),
        Match::IntRange(lo, hi) if lo == hi => exact(&lo.to_string()),
        _ => Box::new(EmptyQuery),
    }
}

fn field(db: &str, f: Field, kind: Kind, m: &Match) -> Box<dyn TQuery> {
    match (kind, m) {
        (Kind::Column, m) => column(db, f, m),
        (Kind::Term, Match::Exact(s)) => term(f, s),
        (Kind::Term, Match::Wildcard(p)) => regex(f, &wildcard_regex(p)),
        (Kind::Term, Match::Regex(r)) => regex(f, unanchored(r.as_str())),
        (Kind::Term, Match::IntRange(lo, hi)) if lo == hi => term(f, &lo.to_string()),
        (Kind::Ip, Match::Cidr(ip, bits)) => {
            let (lo, hi) = cidr_bounds(*ip, *bits);
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_ip_addr(f, lo)),
                Bound::Included(Term::from_field_ip_addr(f, hi)),
            ))
        }
        (Kind::Ip, Match::Exact(s)) => match s.parse::<IpAddr>() {
            Ok(ip) => {
                let a = to_v6(ip);
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_ip_addr(f, a)),
                    Bound::Included(Term::from_field_ip_addr(f, a)),
                ))
            }
            Err(_) => Box::new(EmptyQuery),
        },
        _ => Box::new(EmptyQuery),
    }
}

/// The sessions a time window keeps, as `bounding` says (ms, either end optional).
/// The store does not index `@timestamp`; `database` bounds the last packet, which a
/// capture writes within moments of it.
/// The conditions a time window puts on the store's time columns, all of which a
/// session must meet. The store has no `@timestamp`: the database bounding is read
/// as the last packet's time.
pub fn time_conditions(
    bounding: Bounding,
    start_ms: Option<i64>,
    stop_ms: Option<i64>,
) -> Vec<(&'static str, Option<i64>, Option<i64>)> {
    let bounding = match bounding {
        Bounding::Database => Bounding::Last,
        b => b,
    };
    bounding.conditions(start_ms, stop_ms)
}

pub fn time_range(
    fields: &Fields,
    bounding: Bounding,
    start_ms: Option<i64>,
    stop_ms: Option<i64>,
) -> Option<Box<dyn TQuery>> {
    let mut parts: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
    for (name, lo, hi) in time_conditions(bounding, start_ms, stop_ms) {
        if let Some((f, _)) = fields.get(name) {
            let r = int_range(f, lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX));
            parts.push((Occur::Must, r));
        }
    }
    (!parts.is_empty()).then(|| Box::new(BooleanQuery::new(parts)) as Box<dyn TQuery>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let (lo, hi) = cidr_bounds("10.0.0.0".parse().unwrap(), 8);
        assert_eq!(lo, "::ffff:10.0.0.0".parse::<Ipv6Addr>().unwrap());
        assert_eq!(hi, "::ffff:10.255.255.255".parse::<Ipv6Addr>().unwrap());
        let (lo, hi) = cidr_bounds("2001:db8::1".parse().unwrap(), 32);
        assert_eq!(lo, "2001:db8::".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            hi,
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
                .parse::<Ipv6Addr>()
                .unwrap()
        );
        let (lo, hi) = cidr_bounds("1.2.3.4".parse().unwrap(), 32);
        assert_eq!(lo, hi);
    }

    #[test]
    fn wildcards_escape_the_rest() {
        assert_eq!(wildcard_regex("*.example.com"), ".*\\.example\\.com");
        assert_eq!(wildcard_regex("a?c"), "a.c");
        assert_eq!(unanchored("^(?:ab+)$"), "(?:ab+)");
    }
}
