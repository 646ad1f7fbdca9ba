//! Arkime's session query parameters (viewer/buildQuery.js) turned into one search:
//! the expression compiled, the time window as Arkime computes it (`date` in hours,
//! `-1` for all time, the last hour by default, or `startTime`/`stopTime` in seconds,
//! with `bounding`), the histogram interval, paging and the sort keys. Every endpoint
//! that searches sessions reads its parameters through here, so the page and scripts
//! get one behaviour.

use std::collections::HashMap;

use serde::Deserialize;
use trawl_fields::FieldRegistry;
use trawl_query::{excerpt, Bounding, Query, SearchOpts};

use crate::search::{compile, db_name, parse_time, session_count, sort_field};

/// The parameters any endpoint may take, from the query string (GET) or the form
/// body (POST, whose values win). Unknown parameters are ignored, as Arkime does.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub expression: Option<String>,
    pub date: Option<String>,
    pub start_time: Option<String>,
    pub stop_time: Option<String>,
    pub bounding: Option<String>,
    pub strictly: Option<String>,
    pub interval: Option<String>,
    pub start: Option<String>,
    pub length: Option<String>,
    pub order: Option<String>,
    pub fields: Option<String>,
    pub facets: Option<String>,
    pub map: Option<String>,
    pub flatten: Option<String>,
    pub ids: Option<String>,
    /// `/api/spiview`: `field:count,…`.
    pub spi: Option<String>,
    /// `/api/spigraph`, `/api/unique`: the field (database name).
    pub field: Option<String>,
    /// … or its expression name.
    pub exp: Option<String>,
    pub size: Option<String>,
    pub sort: Option<String>,
    pub src_field: Option<String>,
    pub dst_field: Option<String>,
    pub min_conn: Option<String>,
    pub counts: Option<String>,
    pub packets: Option<String>,
    /// `/api/dstats`.
    pub node_name: Option<String>,
    pub name: Option<String>,
    pub stop: Option<String>,
    /// `/api/login`.
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Params {
    /// The parameters of `query` overridden by those of `form`, each a
    /// `application/x-www-form-urlencoded` string.
    pub fn parse(query: &str, form: Option<&[u8]>) -> Result<Params, String> {
        let mut all: HashMap<String, String> = serde_urlencoded::from_str(query)
            .map_err(|e| format!("query string: {}", excerpt(&e.to_string())))?;
        if let Some(form) = form {
            let f: HashMap<String, String> = serde_urlencoded::from_bytes(form)
                .map_err(|e| format!("form: {}", excerpt(&e.to_string())))?;
            all.extend(f);
        }
        let v = serde_json::to_value(all).map_err(|e| e.to_string())?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    /// Whether `facets` asks for the histogram.
    pub fn facets(&self) -> bool {
        matches!(self.facets.as_deref(), Some("1" | "true"))
    }

    /// Whether `map` asks for the country counts.
    pub fn map(&self) -> bool {
        matches!(self.map.as_deref(), Some("true" | "1"))
    }
}

/// A search as Arkime's viewer would run it.
#[derive(Clone, Debug)]
pub struct Search {
    pub query: Query,
    /// The window, bounding and the first sort key; `limit` is `start + length`.
    pub opts: SearchOpts,
    /// Sort keys (database names), descending or not; never empty.
    pub order: Vec<(String, bool)>,
    /// Rows to skip.
    pub start: usize,
    /// Rows to return.
    pub length: usize,
    /// Histogram bucket, seconds.
    pub interval: i64,
    /// The window in ms (`graph.xmin`/`xmax`), none for all time.
    pub window: Option<(i64, i64)>,
    /// The field the histogram buckets by.
    pub histo_field: &'static str,
}

/// Arkime's histogram interval for a span of `secs` seconds.
fn to_interval(secs: f64) -> i64 {
    if secs < 1000.0 {
        1
    } else if secs <= 60.0 * 10000.0 {
        60
    } else if secs <= 3600.0 * 10000.0 {
        3600
    } else {
        86_400
    }
}

/// A time given as whole seconds, or as a date and time.
fn seconds(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    parse_time(t).map(|ms| ms / 1000).map_err(|e| e.to_string())
}

/// Reads the search of `p`; `default_len` is the endpoint's page size when `length`
/// is absent, `max` Arkime's `maxSessionsQueried`.
pub fn search(
    p: &Params,
    reg: &FieldRegistry,
    default_len: usize,
    max: usize,
) -> Result<Search, String> {
    let query = compile(p.expression.as_deref(), reg).map_err(|e| e.to_string())?;
    let length = session_count(p.length.as_deref(), default_len, max).map_err(|e| e.to_string())?;
    let start = match p.start.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => {
            let n: f64 = s
                .parse()
                .map_err(|_| format!("start '{}' is not a number", excerpt(s)))?;
            if n.is_nan() || n < 0.0 {
                0
            } else {
                (n.floor() as usize).min(max)
            }
        }
    };

    let mut bounding = match p.bounding.as_deref().filter(|v| !v.is_empty()) {
        None => Bounding::Last,
        Some(b) => Bounding::parse(b).ok_or_else(|| {
            format!(
                "bounding '{}' is not one of last, first, both, either, database",
                excerpt(b)
            )
        })?,
    };
    if p.strictly.as_deref() == Some("true") {
        bounding = Bounding::Both;
    }

    // Arkime's determineQueryTimes: a `date` that is not a number means all time.
    let date: Option<f64> = p
        .date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .unwrap_or(-1.0)
        });
    let has_times = p.start_time.as_deref().is_some_and(|s| !s.is_empty())
        && p.stop_time.as_deref().is_some_and(|s| !s.is_empty());
    let (window, mut interval) = if date == Some(-1.0) {
        (None, 3600)
    } else if has_times {
        let a = seconds(p.start_time.as_deref().unwrap_or_default())?;
        let b = seconds(p.stop_time.as_deref().unwrap_or_default())?;
        (Some((a, b)), to_interval((b - a) as f64))
    } else {
        let hours = date.unwrap_or(1.0);
        let now = chrono::Utc::now().timestamp();
        // A float to integer cast saturates: no overflow for any number of hours.
        let a = now.saturating_sub((3600.0 * hours) as i64);
        (Some((a, now)), to_interval(3600.0 * hours))
    };
    match p.interval.as_deref() {
        Some("second") => interval = 1,
        Some("minute") => interval = 60,
        Some("hour") => interval = 3600,
        Some("day") => interval = 86_400,
        Some("week") => interval = 7 * 86_400,
        _ => {}
    }

    let mut order = Vec::new();
    for key in p
        .order
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let (f, dir) = key.split_once(':').unwrap_or((key, "asc"));
        let f = match f.trim() {
            // The document's times, whatever the registry defines.
            t @ ("firstPacket" | "lastPacket" | "@timestamp") => t.to_string(),
            f => sort_field(reg, f).map_err(|e| e.to_string())?,
        };
        order.push((f, dir.trim().eq_ignore_ascii_case("desc")));
    }
    if order.is_empty() {
        order.push(("firstPacket".to_string(), false));
    }

    let window_ms = window.map(|(a, b)| (a.saturating_mul(1000), b.saturating_mul(1000)));
    let opts = SearchOpts {
        start_ms: window_ms.map(|w| w.0),
        stop_ms: window_ms.map(|w| w.1),
        bounding,
        limit: start.saturating_add(length).min(max),
        sort: order[0].clone(),
    };
    let histo_field = match bounding {
        Bounding::First => "firstPacket",
        Bounding::Database => "@timestamp",
        _ => "lastPacket",
    };
    Ok(Search {
        query,
        opts,
        order,
        start,
        length,
        interval,
        window: window_ms,
        histo_field,
    })
}

/// The database name of the field an endpoint names by `field` (database name) or
/// `exp` (expression), or `default`.
pub fn field_param(p: &Params, reg: &FieldRegistry, default: &str) -> String {
    match (p.field.as_deref(), p.exp.as_deref()) {
        (Some(f), _) if !f.trim().is_empty() => db_name(reg, f.trim()),
        (_, Some(e)) if !e.trim().is_empty() => db_name(reg, e.trim()),
        _ => default.to_string(),
    }
}

/// A whole number parameter, `default` when absent, capped at `max`.
pub fn number(v: Option<&str>, default: usize, max: usize) -> Result<usize, String> {
    session_count(v, default, max).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> FieldRegistry {
        let mut r = FieldRegistry::new();
        let ip = trawl_fields::FieldType::Ip;
        r.define("general", "ip", "ip.src", "Src IP", "source.ip", "", ip, 0);
        r
    }

    fn params(q: &str) -> Params {
        Params::parse(q, None).unwrap()
    }

    #[test]
    fn the_default_window_is_the_last_hour_bounded_by_last_packet() {
        let s = search(&params(""), &reg(), 100, 1000).unwrap();
        let (a, b) = s.window.unwrap();
        assert_eq!(b - a, 3_600_000);
        assert_eq!(s.opts.bounding, Bounding::Last);
        assert_eq!(s.interval, 60);
        assert_eq!(s.histo_field, "lastPacket");
    }

    #[test]
    fn all_time_and_explicit_windows() {
        let s = search(&params("date=-1"), &reg(), 100, 1000).unwrap();
        assert_eq!(s.window, None);
        assert_eq!(s.opts.start_ms, None);
        assert_eq!(s.interval, 3600);
        let s = search(&params("date=junk"), &reg(), 100, 1000).unwrap();
        assert_eq!(s.window, None, "not a number: all, as Arkime");
        let s = search(
            &params("startTime=1000&stopTime=1500&bounding=first"),
            &reg(),
            100,
            1000,
        )
        .unwrap();
        assert_eq!(s.window, Some((1_000_000, 1_500_000)));
        assert_eq!(s.interval, 1);
        assert_eq!(s.histo_field, "firstPacket");
        let s = search(
            &params("startTime=0&stopTime=86400&interval=hour"),
            &reg(),
            1,
            9,
        )
        .unwrap();
        assert_eq!(s.interval, 3600);
        assert!(search(&params("date=1&bounding=sideways"), &reg(), 1, 9).is_err());
    }

    #[test]
    fn paging_and_keys() {
        let s = search(
            &params("date=-1&start=20&length=10&order=ip.src:desc,firstPacket"),
            &reg(),
            100,
            1000,
        )
        .unwrap();
        assert_eq!((s.start, s.length, s.opts.limit), (20, 10, 30));
        assert_eq!(
            s.order,
            [
                ("source.ip".to_string(), true),
                ("firstPacket".to_string(), false)
            ]
        );
        assert!(search(&params("order=nosuch:asc"), &reg(), 1, 9).is_err());
    }

    #[test]
    fn the_form_wins_over_the_query_string() {
        let p = Params::parse("expression=a&length=5", Some(b"expression=b")).unwrap();
        assert_eq!(p.expression.as_deref(), Some("b"));
        assert_eq!(p.length.as_deref(), Some("5"));
    }
}
