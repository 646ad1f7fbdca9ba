//! What a search needs from its text parameters, for the API and the command line
//! alike: the expression compiled, field names turned into database names, sort
//! fields checked, times parsed, the number of sessions asked for capped, and values
//! read out of a session document.

use anyhow::Result;
use trawl_fields::FieldRegistry;
use trawl_query::excerpt;

/// Arkime's `maxSessionsQueried` default: the most sessions one query returns.
pub const MAX_SESSIONS_QUERIED: usize = 2_000_000;

/// Compiles `expr` (empty or absent: every session). The error says where the
/// expression went wrong and which limit it passed, quoting little of it.
pub fn compile(expr: Option<&str>, reg: &FieldRegistry) -> Result<trawl_query::Query> {
    // Not trimmed: an error's character position counts from the text as typed.
    match expr.filter(|e| !e.trim().is_empty()) {
        None => Ok(trawl_query::Query::And(Vec::new())),
        Some(e) => trawl_query::compile(e, reg).map_err(|m| anyhow::anyhow!("expression: {m}")),
    }
}

/// Turns each `file` comparison of `q` into the node and number of the pcap files it
/// names, as `source` knows them; a name no file has is the asker's mistake
/// ([`SourceError::Bad`]), as in Arkime.
pub fn bind_files(
    q: trawl_query::Query,
    source: &dyn crate::SessionSource,
) -> std::result::Result<trawl_query::Query, crate::SourceError> {
    if !q.names_files() {
        return Ok(q);
    }
    q.bind_files(&mut |m| source.files_named(m))
}

/// Defines in `reg` each field `source`'s sessions were written with that it lacks;
/// returns how many.
pub fn define_source_fields(reg: &mut FieldRegistry, source: &dyn crate::SessionSource) -> usize {
    trawl_store::fielddefs::define_all(source.field_docs().iter(), reg)
}

/// The database name of a field given by expression (a count such as `host.http.cnt`
/// too) or database name; an unknown name comes back as it is.
pub fn db_name(reg: &FieldRegistry, name: &str) -> String {
    // A database name first: `dns.host` is the database name of `host.dns`, and
    // also the expression of an internal field that is not written.
    if reg.by_db(name).is_some() {
        return name.to_string();
    }
    if let Some(d) = reg
        .by_expression(name)
        .and_then(|id| reg.get(id))
        .filter(|d| !d.db_field.is_empty())
    {
        return d.db_field.clone();
    }
    reg.count_fields()
        .find(|(e, _)| e == name)
        .map_or_else(|| name.to_string(), |(_, db)| db)
}

/// Whether the registry knows field `name` (by expression, database name, or as a
/// count).
fn known_field(reg: &FieldRegistry, name: &str) -> bool {
    reg.by_expression(name).is_some()
        || reg.by_db(name).is_some()
        || reg.count_fields().any(|(e, db)| e == name || db == name)
}

/// The database name of a field to sort by, or an error naming it when the registry
/// knows no such field.
pub fn sort_field(reg: &FieldRegistry, name: &str) -> Result<String> {
    if !known_field(reg, name) {
        anyhow::bail!("cannot sort by '{}': no such field", excerpt(name));
    }
    Ok(db_name(reg, name))
}

/// The database name of a field to show, or an error naming it when the registry
/// knows no such field.
pub fn shown_field(reg: &FieldRegistry, name: &str) -> Result<String> {
    if !known_field(reg, name) {
        anyhow::bail!("cannot show '{}': no such field", excerpt(name));
    }
    Ok(db_name(reg, name))
}

/// Parses a time to ms since the epoch: unix seconds (fractions allowed),
/// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS]` (UTC).
pub fn parse_time(s: &str) -> Result<i64> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n.saturating_mul(1000));
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() {
            return Ok((f * 1000.0).round() as i64);
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t.trim_end_matches('Z'), fmt) {
            return Ok(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc().timestamp_millis());
        }
    }
    anyhow::bail!(
        "'{}' is not a time (unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)",
        excerpt(s)
    )
}

/// The number of sessions a `length` parameter asks for, as Arkime's viewer reads it
/// (`min(maxSessionsQueried, +length || default)`): a number of any size (a fraction
/// rounds down), capped at `max`; zero, negative or absent gives `default`. Text that
/// is not a number is an error.
pub fn session_count(length: Option<&str>, default: usize, max: usize) -> Result<usize> {
    let Some(l) = length.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(default.min(max));
    };
    // As a float, any length of digits parses (to infinity at worst) without overflow.
    let n: f64 = l
        .parse()
        .map_err(|_| anyhow::anyhow!("length '{}' is not a number", excerpt(l)))?;
    if n.is_nan() {
        anyhow::bail!("length '{}' is not a number", excerpt(l));
    }
    let n = n.floor();
    Ok(if n < 1.0 {
        default.min(max)
    } else if n >= max as f64 {
        max
    } else {
        n as usize
    })
}

/// The values at a dotted path of a JSON document (arrays flattened), as text.
pub fn values_at(v: &serde_json::Value, path: &str) -> Vec<String> {
    crate::aggs::values(v, path)
        .iter()
        .map(crate::aggs::text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_any_size_are_capped() {
        let c = |l: &str| session_count(Some(l), 100, 2_000_000).map_err(|e| e.to_string());
        assert_eq!(c("5"), Ok(5));
        assert_eq!(c("1000000000"), Ok(2_000_000));
        assert_eq!(c("18446744073709551615"), Ok(2_000_000));
        assert_eq!(c(&"9".repeat(400)), Ok(2_000_000), "beyond f64: infinity");
        assert_eq!(c("-5"), Ok(100));
        assert_eq!(c("0"), Ok(100));
        assert_eq!(c("7.9"), Ok(7));
        assert_eq!(c("1e3"), Ok(1000));
        assert!(c("NaN").is_err());
        let long = c(&"x".repeat(10_000)).unwrap_err();
        assert!(long.len() < 200, "{long}");
        assert_eq!(session_count(None, 100_000, 50).unwrap(), 50);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000").unwrap(), 1_700_000_000_000);
        assert_eq!(parse_time("1.5").unwrap(), 1500);
        assert_eq!(parse_time("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_time("1970-01-01T00:01:00Z").unwrap(), 60_000);
        let e = parse_time(&"y".repeat(5000)).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn values() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a":{"b":[1,"x"]},"c":[{"d":2},{"d":[3]}]}"#).unwrap();
        assert_eq!(values_at(&v, "a.b"), ["1", "x"]);
        assert_eq!(values_at(&v, "c.d"), ["2", "3"]);
        assert!(values_at(&v, "nope").is_empty());
    }
}
