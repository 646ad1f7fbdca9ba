//! trawl's search on the cluster: a resolved Arkime expression ([`Query`]) as the
//! query DSL Arkime's viewer sends (`bool` filters, `term`, `range`, `wildcard`,
//! `regexp`, `exists`), with its time bounding, over `<prefix>sessions3-*`.
//!
//! Matches mean what they mean in the embedded store: an IP field matches a network
//! (`term` on an `ip` field takes CIDR), integer comparisons are ranges (times in
//! seconds on `firstPacket`/`lastPacket`, stored in ms), strings match exactly, by
//! wildcard or by a regex over the whole value, and `!=` keeps sessions with no such
//! value.

use serde_json::{json, Map, Value};
use trawl_query::{Hit, Match, Query, SearchOpts};

use crate::client::{Client, ClusterError};

/// Hits one search request returns at most; beyond it a search scrolls (the
/// cluster's default `index.max_result_window`).
const PAGE: usize = 10_000;
/// How long the cluster keeps a scroll between pages.
const SCROLL_KEEP: &str = "2m";

/// The DSL of a resolved expression.
pub fn to_dsl(q: &Query) -> Value {
    match q {
        Query::And(v) if v.is_empty() => json!({"match_all": {}}),
        Query::And(v) => json!({"bool": {"filter": v.iter().map(to_dsl).collect::<Vec<_>>()}}),
        // An empty "any of" matches nothing, as in the embedded store.
        Query::Or(v) if v.is_empty() => json!({"match_none": {}}),
        Query::Or(v) => json!({"bool": {
            "should": v.iter().map(to_dsl).collect::<Vec<_>>(),
            "minimum_should_match": 1
        }}),
        Query::Not(x) => json!({"bool": {"must_not": [to_dsl(x)]}}),
        Query::Exists(db) => json!({"exists": {"field": db}}),
        Query::Field { db, m } => field(db, m),
    }
}

/// One field, one match.
fn field(db: &str, m: &Match) -> Value {
    let one = |kind: &str, v: Value| -> Value {
        let mut inner = Map::new();
        inner.insert(db.to_string(), v);
        let mut outer = Map::new();
        outer.insert(kind.to_string(), Value::Object(inner));
        Value::Object(outer)
    };
    match m {
        Match::Cidr(ip, bits) => one("term", json!(format!("{ip}/{bits}"))),
        Match::Wildcard(p) => one("wildcard", json!({ "value": p.replace('\\', "\\\\") })),
        // The resolver anchors the user's regex for the embedded store; a Lucene
        // regexp is anchored already and takes the user's text as Arkime sends it.
        Match::Regex(r) => {
            let s = r.as_str();
            let inner = s
                .strip_prefix("^(?:")
                .and_then(|x| x.strip_suffix(")$"))
                .unwrap_or(s);
            one("regexp", json!({ "value": inner }))
        }
        Match::IntRange(..) => match m.int_bounds(db) {
            Some((lo, hi)) if lo == hi => one("term", json!(lo)),
            Some((lo, hi)) => {
                let mut r = Map::new();
                if lo != i64::MIN {
                    r.insert("gte".into(), json!(lo));
                }
                if hi != i64::MAX {
                    r.insert("lte".into(), json!(hi));
                }
                one("range", Value::Object(r))
            }
            None => json!({"match_none": {}}),
        },
        Match::Exact(s) => match (db, m.int_bounds(db)) {
            ("ipProtocol", Some((n, _))) => one("term", json!(n)),
            ("ipProtocol", None) => json!({"match_none": {}}),
            _ => one("term", json!(s)),
        },
    }
}

/// The time window of `o` as filters, as Arkime's viewer bounds a search.
pub fn time_filters(o: &SearchOpts) -> Vec<Value> {
    o.bounding
        .conditions(o.start_ms, o.stop_ms)
        .into_iter()
        .map(|(f, lo, hi)| {
            let mut r = Map::new();
            if let Some(lo) = lo {
                r.insert("gte".into(), json!(lo));
            }
            if let Some(hi) = hi {
                r.insert("lte".into(), json!(hi));
            }
            r.insert("format".into(), json!("epoch_millis"));
            json!({"range": {f: Value::Object(r)}})
        })
        .collect()
}

/// The whole search body: the expression and the window in one `bool.filter`.
pub fn search_body(q: &Query, o: &SearchOpts, size: usize) -> Value {
    let mut filter = vec![to_dsl(q)];
    filter.extend(time_filters(o));
    let order = if o.sort.1 { "desc" } else { "asc" };
    json!({
        "query": {"bool": {"filter": filter}},
        "size": size,
        "track_total_hits": true,
        "sort": [{ o.sort.0.clone(): {"order": order, "unmapped_type": "long"} }],
    })
}

/// The sessions of a cluster, searched as the embedded store is.
pub struct ClusterSessions {
    client: Client,
    prefix: String,
}

fn bad(what: &str) -> ClusterError {
    ClusterError::BadAnswer(format!("search answer without {what}"))
}

fn hit_of(h: &Value) -> Option<Hit> {
    let sort_value = h
        .get("sort")
        .and_then(|s| s.get(0))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Some(Hit {
        partition: h.get("_index")?.as_str()?.to_string(),
        id: h.get("_id")?.as_str()?.to_string(),
        source: h.get("_source")?.to_string(),
        sort_value,
    })
}

fn hits_of(body: &Value) -> Result<Vec<Hit>, ClusterError> {
    let list = body
        .pointer("/hits/hits")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("hits.hits"))?;
    Ok(list.iter().filter_map(hit_of).collect())
}

impl ClusterSessions {
    /// Sessions under `prefix` (`arkime_` by default: `arkime_sessions3-*`).
    pub fn new(client: Client, prefix: &str) -> ClusterSessions {
        ClusterSessions {
            client,
            prefix: prefix.to_string(),
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The index prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn pattern(&self) -> String {
        format!("{}sessions3-*", self.prefix)
    }

    /// The number of matches and the first `o.limit` hits in sort order. Past
    /// 10,000 hits the search scrolls, so any `limit` works.
    pub fn search(&self, q: &Query, o: &SearchOpts) -> Result<(u64, Vec<Hit>), ClusterError> {
        let want = o.limit.max(1);
        let path = format!(
            "{}/_search?ignore_unavailable=true&allow_no_indices=true{}",
            self.pattern(),
            if want > PAGE {
                format!("&scroll={SCROLL_KEEP}")
            } else {
                String::new()
            }
        );
        let body = self
            .client
            .post(&path, &search_body(q, o, want.min(PAGE)))?;
        let total = body
            .pointer("/hits/total/value")
            .and_then(Value::as_u64)
            .or_else(|| body.pointer("/hits/total").and_then(Value::as_u64))
            .ok_or_else(|| bad("hits.total"))?;
        let mut hits = hits_of(&body)?;
        let mut scroll = body
            .get("_scroll_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        while hits.len() < want && (hits.len() as u64) < total {
            let Some(id) = scroll.clone() else { break };
            let page = self.client.post(
                "_search/scroll",
                &json!({"scroll": SCROLL_KEEP, "scroll_id": id}),
            )?;
            let more = hits_of(&page)?;
            if more.is_empty() {
                break;
            }
            hits.extend(more);
            scroll = page
                .get("_scroll_id")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        if let Some(id) = scroll {
            // Freeing it early is a courtesy; it expires on its own.
            let _ = self.client.send(
                "DELETE",
                "_search/scroll",
                Some(&json!({ "scroll_id": id })),
            );
        }
        hits.truncate(want);
        Ok((total, hits))
    }

    /// The number of sessions in every sessions index.
    pub fn count_all(&self) -> Result<u64, ClusterError> {
        let path = format!(
            "{}/_count?ignore_unavailable=true&allow_no_indices=true",
            self.pattern()
        );
        let body = self.client.get(&path)?;
        body.get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("count"))
    }

    /// The session with id `id`, if an index has it.
    pub fn get(&self, id: &str) -> Result<Option<Hit>, ClusterError> {
        let path = format!(
            "{}/_search?ignore_unavailable=true&allow_no_indices=true",
            self.pattern()
        );
        let body = self.client.post(
            &path,
            &json!({"query": {"ids": {"values": [id]}}, "size": 1}),
        )?;
        Ok(hits_of(&body)?.into_iter().next())
    }

    /// The node and number of each pcap file whose name matches `m` (an exact name, a
    /// wildcard or a regex), newest first, as Arkime's viewer looks a `file`
    /// expression up in the `files` index.
    pub fn files_named(&self, m: &Match) -> Result<Vec<(String, u32)>, ClusterError> {
        let path = format!("{}files/_search", self.prefix);
        let body = self.client.post(
            &path,
            &json!({
                "size": 10_000,
                "query": field("name", m),
                "sort": [{"num": {"order": "desc"}}],
                "_source": ["node", "num"],
            }),
        )?;
        Ok(hits_of(&body)?
            .into_iter()
            .filter_map(|h| {
                let s: Value = serde_json::from_str(&h.source).ok()?;
                let node = s.get("node")?.as_str()?.to_string();
                let num = u32::try_from(s.get("num")?.as_u64()?).ok()?;
                Some((node, num))
            })
            .collect())
    }

    /// The documents of the `fields` index (the definitions every capture writing to
    /// the cluster registered), each with its `_id` as `exp`.
    pub fn field_docs(&self) -> Result<Vec<Value>, ClusterError> {
        let path = format!("{}fields/_search", self.prefix);
        let body = self
            .client
            .post(&path, &json!({"size": 10_000, "query": {"match_all": {}}}))?;
        Ok(hits_of(&body)?
            .into_iter()
            .filter_map(|h| {
                let mut doc: Value = serde_json::from_str(&h.source).ok()?;
                doc.as_object_mut()?
                    .insert("exp".into(), Value::String(h.id));
                Some(doc)
            })
            .collect())
    }

    /// The files document of pcap file `num` of `node` (Arkime's `files` index), if
    /// there is one.
    pub fn file(&self, node: &str, num: u32) -> Result<Option<Value>, ClusterError> {
        let path = format!("{}files/_doc/{node}-{num}", self.prefix);
        Ok(self
            .client
            .get_opt(&path)?
            .and_then(|d| d.get("_source").cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trawl_fields::{FieldRegistry, FieldType};
    use trawl_query::Bounding;

    fn dsl(expr: &str) -> Value {
        let mut reg = FieldRegistry::new();
        for (exp, db, kind) in [
            ("ip.src", "source.ip", "ip"),
            ("port.src", "source.port", "integer"),
            ("port.dst", "destination.port", "integer"),
            ("ip.protocol", "ipProtocol", "lotermfield"),
            ("starttime", "firstPacket", "seconds"),
            ("host.http", "http.host", "lotermfield"),
        ] {
            reg.define("general", kind, exp, exp, db, "", FieldType::StrHash, 0);
        }
        to_dsl(&trawl_query::compile(expr, &reg).unwrap())
    }

    #[test]
    fn fields() {
        assert_eq!(
            dsl("ip.src == 10.0.0.0/8"),
            json!({"term": {"source.ip": "10.0.0.0/8"}})
        );
        assert_eq!(
            dsl("ip.src == 10.1"),
            json!({"term": {"source.ip": "10.1.0.0/16"}})
        );
        assert_eq!(
            dsl("port.dst == 400-500"),
            json!({"range": {"destination.port": {"gte": 400, "lte": 500}}})
        );
        assert_eq!(
            dsl("port.dst == 53"),
            json!({"term": {"destination.port": 53}})
        );
        assert_eq!(
            dsl("port.dst > 1023"),
            json!({"range": {"destination.port": {"gte": 1024}}})
        );
        assert_eq!(
            dsl("ip.protocol == tcp"),
            json!({"term": {"ipProtocol": 6}})
        );
        assert_eq!(
            dsl("host.http == *.Example.com"),
            json!({"wildcard": {"http.host": {"value": "*.example.com"}}})
        );
        assert_eq!(
            dsl("host.http == /ex.*le/"),
            json!({"regexp": {"http.host": {"value": "ex.*le"}}})
        );
        assert_eq!(
            dsl("host.http == \"a*b\""),
            json!({"term": {"http.host": "a*b"}})
        );
        assert_eq!(
            dsl("starttime == 1700000000"),
            json!({"range": {"firstPacket": {"gte": 1_700_000_000_000i64, "lte": 1_700_000_000_999i64}}})
        );
    }

    #[test]
    fn logic() {
        assert_eq!(
            dsl("!port.dst == 53"),
            json!({"bool": {"must_not": [{"term": {"destination.port": 53}}]}})
        );
        assert_eq!(
            dsl("port.dst == 53 && port.src == 1"),
            json!({"bool": {"filter": [
                {"term": {"destination.port": 53}},
                {"term": {"source.port": 1}}
            ]}})
        );
        assert_eq!(
            dsl("port.dst == [1,2]"),
            json!({"bool": {"should": [
                {"term": {"destination.port": 1}},
                {"term": {"destination.port": 2}}
            ], "minimum_should_match": 1}})
        );
        assert_eq!(
            dsl("port.dst != EXISTS!"),
            json!({"bool": {"must_not": [{"exists": {"field": "destination.port"}}]}})
        );
        assert_eq!(to_dsl(&Query::And(vec![])), json!({"match_all": {}}));
        assert_eq!(to_dsl(&Query::Or(vec![])), json!({"match_none": {}}));
    }

    #[test]
    fn windows() {
        let o = SearchOpts {
            start_ms: Some(1000),
            stop_ms: Some(2000),
            bounding: Bounding::Either,
            ..SearchOpts::default()
        };
        assert_eq!(
            time_filters(&o),
            vec![
                json!({"range": {"firstPacket": {"lte": 2000, "format": "epoch_millis"}}}),
                json!({"range": {"lastPacket": {"gte": 1000, "format": "epoch_millis"}}}),
            ]
        );
        let b = search_body(&Query::And(vec![]), &o, 10);
        assert_eq!(b["size"], 10);
        assert_eq!(b["sort"][0]["firstPacket"]["order"], "asc");
        assert_eq!(b["query"]["bool"]["filter"].as_array().unwrap().len(), 3);
    }
}
