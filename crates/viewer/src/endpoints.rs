//! What each endpoint answers, as blocking work on the viewer (the async handlers in
//! `api` run these on tokio's blocking threads). Every search goes through
//! [`request::search`] and the source's `search` or `scan`, so the page and scripts
//! share one query path.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{json, Value};
use trawl_query::{excerpt, Hit};
use trawl_store::aggs::{AggAnswer, AggRequest};

use crate::aggs::{self, CountryMap, Graph, Terms};
use crate::api::{error, internal, json, Fail, Viewer};
use crate::request::{self, field_param, number, Params, Search};
use crate::search::db_name;
use crate::source::SourceError;
use crate::{export, packets, render};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Sessions `/api/sessions` returns when not told.
pub const DEFAULT_SESSIONS: usize = 100;
/// Sessions a pcap export takes when not told.
pub const DEFAULT_PCAP_SESSIONS: usize = 100_000;
/// Sessions `/api/connections` reads when not told.
const DEFAULT_CONNECTIONS: usize = 5000;
/// Values of a field `/api/spiview` returns when not told, and the most it returns.
const DEFAULT_SPI: usize = 100;
const MAX_SPI: usize = 10_000;
/// Arkime's `maxAggSize`: the most values `/api/unique` lists.
const MAX_AGG: usize = 10_000;
/// Packets `/api/session/…/packets` returns when not told, and at most.
const DEFAULT_PACKETS: usize = 200;
const MAX_PACKETS: usize = 10_000;

fn bad(e: impl std::fmt::Display) -> Fail {
    Fail(StatusCode::BAD_REQUEST, e.to_string())
}

fn failed(e: SourceError) -> Fail {
    match e {
        SourceError::Bad(m) => bad(m),
        e => internal("search failed", e),
    }
}

/// Owned copies of `keys`.
fn strings<'a>(keys: impl Iterator<Item = &'a &'a str>) -> Vec<String> {
    keys.map(|k| k.to_string()).collect()
}

/// Fields whose every value an aggregation counts.
fn every<'a>(keys: impl Iterator<Item = &'a &'a str>) -> Vec<(String, Option<usize>)> {
    keys.map(|k| (k.to_string(), None)).collect()
}

/// A document's JSON, `Null` when it does not parse.
fn parse(h: &Hit) -> Value {
    serde_json::from_str(&h.source).unwrap_or_default()
}

/// Orders two values of a sort key as Elasticsearch does: numbers by value,
/// addresses as addresses, text as text; a missing value last either way.
fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => {
                let (x, y) = (aggs::text(a), aggs::text(b));
                match (
                    x.parse::<std::net::IpAddr>()
                        .map(trawl_fields::canonical_ip),
                    y.parse::<std::net::IpAddr>()
                        .map(trawl_fields::canonical_ip),
                ) {
                    (Ok(i), Ok(j)) => ip_key(i).cmp(&ip_key(j)),
                    _ => x.cmp(&y),
                }
            }
        },
    }
}

/// An address as the 16 bytes of its IPv6 form (IPv4 mapped), as the cluster's
/// `ip` type orders them.
fn ip_key(ip: std::net::IpAddr) -> [u8; 16] {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        std::net::IpAddr::V6(v6) => v6.octets(),
    }
}

impl Viewer {
    fn search_of(&self, p: &Params, default_len: usize) -> Result<Search, Fail> {
        let mut s = request::search(p, &self.reg, default_len, self.max_sessions).map_err(bad)?;
        s.query = crate::search::bind_files(s.query, &*self.source).map_err(failed)?;
        Ok(s)
    }

    /// Whether the store sorts by `field` itself: a number (times, counts, ports).
    fn sorts_natively(&self, field: &str) -> bool {
        matches!(field, "firstPacket" | "lastPacket")
            || self
                .reg
                .by_db(field)
                .and_then(|id| self.reg.get(id))
                .is_some_and(|d| matches!(d.kind.as_str(), "integer" | "seconds" | "date"))
            || self.reg.count_fields().any(|(_, db)| db == field)
    }

    /// The page of hits `s` asks for and the number of matches. One numeric sort key
    /// is the source's own sort; any other order (several keys, addresses, text)
    /// reads the keys of every match, sorts them and fetches the page.
    fn page(&self, s: &Search) -> Result<(u64, Vec<Hit>), Fail> {
        if s.order.len() == 1 && self.sorts_natively(&s.order[0].0) {
            let (total, mut hits) = self.source.search(&s.query, &s.opts).map_err(failed)?;
            let hits = if s.start >= hits.len() {
                Vec::new()
            } else {
                hits.drain(s.start..).take(s.length).collect()
            };
            return Ok((total, hits));
        }
        let mut keyed: Vec<(Vec<Option<Value>>, String)> = Vec::new();
        let keys: Vec<String> = s.order.iter().map(|(f, _)| aggs::top_key(f)).collect();
        let total = self
            .source
            .scan(&s.query, &s.opts, &mut |h| {
                let doc = aggs::parse_only(&h.source, &keys);
                let keys = s
                    .order
                    .iter()
                    .map(|(f, _)| aggs::first_at(&doc, f).cloned())
                    .collect();
                keyed.push((keys, h.id));
                true
            })
            .map_err(failed)?;
        keyed.sort_by(|a, b| {
            for (i, (_, desc)) in s.order.iter().enumerate() {
                let (x, y) = (a.0[i].as_ref(), b.0[i].as_ref());
                let c = match (x, y, desc) {
                    // Missing values go last whichever the direction.
                    (None, Some(_), _) | (Some(_), None, _) => cmp_values(x, y),
                    (_, _, true) => cmp_values(x, y).reverse(),
                    _ => cmp_values(x, y),
                };
                if c != Ordering::Equal {
                    return c;
                }
            }
            a.1.cmp(&b.1)
        });
        let mut hits = Vec::new();
        for (_, id) in keyed.into_iter().skip(s.start).take(s.length) {
            if let Some(h) = self.source.get(&id).map_err(failed)? {
                hits.push(h);
            }
        }
        Ok((total, hits))
    }

    /// The aggregation `req` of the matches of `s`, computed by the source on its
    /// own structures; None when it cannot (a pseudo field, a cluster, a partition
    /// lacking a field), and the documents are read instead.
    fn columns(&self, s: &Search, req: &AggRequest) -> Result<Option<AggAnswer>, Fail> {
        if req.terms.iter().any(|(f, _)| aggs::is_pseudo(f)) {
            return Ok(None);
        }
        self.source
            .aggregate(&s.query, &s.opts, req)
            .map_err(failed)
    }

    /// Calls `f` with every match of `s` as JSON holding the top-level members
    /// `keys` (the rest is not parsed); returns the number of matches.
    fn each(
        &self,
        s: &Search,
        keys: &[String],
        f: &mut dyn FnMut(&Value) -> bool,
    ) -> Result<u64, Fail> {
        self.source
            .scan(&s.query, &s.opts, &mut |h| {
                f(&aggs::parse_only(&h.source, keys))
            })
            .map_err(failed)
    }

    fn records_total(&self) -> Result<u64, Fail> {
        self.source
            .count_all()
            .map_err(|e| internal("cannot count the sessions", e))
    }

    /// The requested `fields`, as database names.
    fn field_list(&self, fields: Option<&str>) -> Option<Vec<String>> {
        fields.filter(|f| !f.trim().is_empty()).map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| db_name(&self.reg, x))
                .collect()
        })
    }

    /// `graph` and `map` of the matches of `s`, as asked.
    fn facets(&self, p: &Params, s: &Search) -> Result<(Value, Value), Fail> {
        let (want_graph, want_map) = (p.facets(), p.map());
        if !want_graph && !want_map {
            return Ok((json!({}), json!({})));
        }
        let mut g = Graph::new(s.histo_field, s.interval);
        let mut m = CountryMap::default();
        let req = AggRequest {
            terms: if want_map {
                every(CountryMap::FIELDS.iter())
            } else {
                Vec::new()
            },
            histogram: want_graph.then(|| aggs::histo_request(&g)),
        };
        if let Some(a) = self.columns(s, &req)? {
            aggs::add_histogram(&mut g, &a);
            for (i, c) in a.terms.iter().enumerate() {
                m.add_counts(i, &c.values);
            }
        } else {
            let keys = strings(aggs::GRAPH_KEYS.iter().chain(&aggs::MAP_KEYS));
            self.each(s, &keys, &mut |d| {
                if want_graph {
                    g.add(d);
                }
                if want_map {
                    m.add(d);
                }
                true
            })?;
        }
        Ok((
            if want_graph {
                g.to_json(s.window)
            } else {
                json!({})
            },
            if want_map { m.to_json() } else { json!({}) },
        ))
    }

    /// `/api/sessions`.
    pub(crate) fn sessions(&self, p: &Params) -> Result<Response, Fail> {
        let s = self.search_of(p, DEFAULT_SESSIONS)?;
        let (filtered, hits) = self.page(&s)?;
        let (graph, map) = self.facets(p, &s)?;
        let fields = self.field_list(p.fields.as_deref());
        let flat = p.flatten.as_deref() == Some("1");
        let data: Vec<Value> = hits
            .iter()
            .map(|h| render::row(&parse(h), &h.id, fields.as_deref(), flat))
            .collect();
        Ok(json(
            StatusCode::OK,
            &json!({
                "recordsTotal": self.records_total()?, "recordsFiltered": filtered,
                "data": data, "graph": graph, "map": map,
            }),
        ))
    }

    /// The sessions `ids=` names, in that order, or the page of the search.
    fn hits_of(&self, p: &Params, default_len: usize) -> Result<Vec<Hit>, Fail> {
        match p.ids.as_deref().filter(|i| !i.trim().is_empty()) {
            Some(ids) => {
                let mut out = Vec::new();
                for id in ids.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    match self.source.get(id).map_err(failed)? {
                        Some(h) => out.push(h),
                        None => {
                            return Err(Fail(
                                StatusCode::NOT_FOUND,
                                format!("no session {}", excerpt(id)),
                            ))
                        }
                    }
                }
                Ok(out)
            }
            None => Ok(self.page(&self.search_of(p, default_len)?)?.1),
        }
    }

    /// `/api/sessions.csv`.
    pub(crate) fn csv(&self, p: &Params) -> Result<Response, Fail> {
        let fields = self
            .field_list(p.fields.as_deref())
            .unwrap_or_else(|| render::CSV_FIELDS.iter().map(|f| f.to_string()).collect());
        let hits = self.hits_of(p, DEFAULT_PCAP_SESSIONS)?;
        let mut out = render::csv_header(&self.reg, &fields);
        for h in &hits {
            out.push_str(&render::csv_line(&parse(h), &fields));
        }
        Ok((
            StatusCode::OK,
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=sessions.csv",
                ),
            ],
            out,
        )
            .into_response())
    }

    /// The export of `/api/sessions.pcap`: the `ids=` sessions or the search's.
    pub(crate) fn plan_pcap(&self, p: &Params) -> Result<export::Export, Fail> {
        let hits = self.hits_of(p, DEFAULT_PCAP_SESSIONS)?;
        let export =
            export::plan(&*self.source, &hits).map_err(|e| internal("pcap export failed", e))?;
        for (node, n) in &export.report().other_nodes {
            tracing::warn!(
                "pcap export: {n} sessions of node {node} left out: their packets are on that node"
            );
        }
        Ok(export)
    }

    fn one(&self, id: &str) -> Result<Hit, Fail> {
        self.source
            .get(id)
            .map_err(failed)?
            .ok_or_else(|| Fail(StatusCode::NOT_FOUND, format!("no session {}", excerpt(id))))
    }

    /// `/api/session/:id`: the document itself with its id.
    pub(crate) fn session(&self, id: &str) -> Result<Response, Fail> {
        let h = self.one(id)?;
        let mut doc = parse(&h);
        if let Some(o) = doc.as_object_mut() {
            o.insert("id".into(), h.id.clone().into());
        }
        Ok(json(StatusCode::OK, &doc))
    }

    /// `/api/session/:node/:id/detail`: the fields by group.
    pub(crate) fn detail(&self, id: &str) -> Result<Response, Fail> {
        let h = self.one(id)?;
        let doc = parse(&h);
        let node = doc.get("node").cloned().unwrap_or_default();
        let groups = render::detail_groups(&self.reg, &doc);
        Ok(json(
            StatusCode::OK,
            &json!({"id": h.id, "node": node, "session": doc, "groups": groups}),
        ))
    }

    /// `/api/session/:node/:id/packets`: payloads by direction.
    pub(crate) fn packets(&self, id: &str, p: &Params) -> Result<Response, Fail> {
        let max = number(p.packets.as_deref(), DEFAULT_PACKETS, MAX_PACKETS).map_err(bad)?;
        let h = self.one(id)?;
        let doc = parse(&h);
        let export = export::plan(&*self.source, std::slice::from_ref(&h))
            .map_err(|e| internal("reading packets failed", e))?;
        let mut image = Vec::new();
        export
            .write_to(&mut image)
            .map_err(|e| internal("reading packets failed", e))?;
        Ok(json(StatusCode::OK, &packets::payloads(&doc, &image, max)))
    }

    /// `/api/spiview`.
    pub(crate) fn spiview(&self, p: &Params) -> Result<Response, Fail> {
        let Some(spi) = p.spi.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Ok(json(
                StatusCode::OK,
                &json!({"spi": {}, "recordsTotal": 0, "recordsFiltered": 0}),
            ));
        };
        let s = self.search_of(p, DEFAULT_SESSIONS)?;
        let mut terms: Vec<(Terms, usize)> = Vec::new();
        for item in spi.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (f, n) = item.split_once(':').unwrap_or((item, ""));
            let n = number(Some(n), DEFAULT_SPI, MAX_SPI).map_err(bad)?;
            terms.push((Terms::new(&db_name(&self.reg, f.trim())), n));
        }
        let facets = p.facets();
        let mut protocols = Terms::new("protocol");
        let mut g = Graph::new(s.histo_field, s.interval);
        let mut m = CountryMap::default();
        let mut req = AggRequest {
            terms: terms
                .iter()
                .map(|(t, n)| (t.field.clone(), Some(*n)))
                .collect(),
            histogram: facets.then(|| aggs::histo_request(&g)),
        };
        if facets {
            req.terms.push(("protocol".into(), None));
            req.terms.extend(every(CountryMap::FIELDS.iter()));
        }
        let filtered = if let Some(a) = self.columns(&s, &req)? {
            let mut counted = a.terms.iter();
            for ((t, _), c) in terms.iter_mut().zip(counted.by_ref()) {
                t.add_answer(c);
            }
            if facets {
                if let Some(c) = counted.next() {
                    protocols.add_answer(c);
                }
                for (i, c) in counted.enumerate() {
                    m.add_counts(i, &c.values);
                }
                aggs::add_histogram(&mut g, &a);
            }
            a.matched
        } else {
            let mut keys: Vec<String> =
                terms.iter().map(|(t, _)| aggs::top_key(&t.field)).collect();
            if facets {
                keys.extend(strings(aggs::GRAPH_KEYS.iter().chain(&aggs::MAP_KEYS)));
                keys.push("protocol".into());
            }
            self.each(&s, &keys, &mut |d| {
                for (t, _) in terms.iter_mut() {
                    t.add(d);
                }
                if facets {
                    protocols.add(d);
                    g.add(d);
                    m.add(d);
                }
                true
            })?
        };
        let mut spi = serde_json::Map::new();
        for (t, n) in &terms {
            spi.insert(t.field.clone(), t.to_json(*n));
        }
        let mut out =
            json!({"spi": spi, "recordsTotal": self.records_total()?, "recordsFiltered": filtered});
        if facets {
            let protos: serde_json::Map<String, Value> = protocols
                .sorted()
                .into_iter()
                .map(|(k, n)| (aggs::text(k), json!(n)))
                .collect();
            out["protocols"] = Value::Object(protos);
            out["graph"] = g.to_json(s.window);
            out["map"] = m.to_json();
        }
        Ok(json(StatusCode::OK, &out))
    }

    /// `/api/spigraph`.
    pub(crate) fn spigraph(&self, p: &Params) -> Result<Response, Fail> {
        let s = self.search_of(p, DEFAULT_SESSIONS)?;
        let field = field_param(p, &self.reg, "node");
        let size = number(p.size.as_deref(), 20, MAX_SPI).map_err(bad)?;
        let mut terms = Terms::new(&field);
        let mut g = Graph::new(s.histo_field, s.interval);
        let mut m = CountryMap::default();
        let mut per: HashMap<String, Graph> = HashMap::new();
        let mut keys = strings(aggs::GRAPH_KEYS.iter().chain(&aggs::MAP_KEYS));
        keys.push(aggs::top_key(&field));
        let filtered = self.each(&s, &keys, &mut |d| {
            g.add(d);
            m.add(d);
            for (t, _) in terms.keys_of(d) {
                per.entry(t)
                    .or_insert_with(|| Graph::new(s.histo_field, s.interval))
                    .add(d);
            }
            terms.add(d);
            true
        })?;
        let mut items: Vec<Value> = terms
            .sorted()
            .into_iter()
            .take(size)
            .map(|(k, n)| {
                let name = aggs::text(k);
                let (graph, totals) = per
                    .get(&name)
                    .map(|pg| (pg.to_json(s.window), pg.totals()))
                    .unwrap_or_default();
                json!({
                    "name": name, "count": n, "graph": graph, "map": {},
                    "sessionsHisto": totals.0, "network.packetsHisto": totals.1,
                    "network.bytesHisto": totals.2, "totDataBytesHisto": totals.3,
                })
            })
            .collect();
        if p.sort.as_deref() == Some("name") {
            items.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        }
        Ok(json(
            StatusCode::OK,
            &json!({
                "recordsTotal": self.records_total()?, "recordsFiltered": filtered,
                "graph": g.to_json(s.window), "map": m.to_json(), "items": items,
            }),
        ))
    }

    /// `/api/connections`.
    pub(crate) fn connections(&self, p: &Params) -> Result<Response, Fail> {
        let s = self.search_of(p, DEFAULT_CONNECTIONS)?;
        let conn_field = |v: Option<&str>, default: &str| -> String {
            match v.map(str::trim).filter(|v| !v.is_empty()) {
                Some(f) if f.contains(':') => f.to_string(),
                Some(f) => db_name(&self.reg, f),
                None => default.to_string(),
            }
        };
        let src = conn_field(p.src_field.as_deref(), "source.ip");
        let dst = conn_field(p.dst_field.as_deref(), "ip.dst:port");
        let min_conn = number(p.min_conn.as_deref(), 1, usize::MAX).map_err(bad)? as u64;
        let mut c = aggs::Connections::new(&src, &dst);
        let mut keys = strings(aggs::CONN_KEYS.iter());
        keys.extend([aggs::top_key(&src), aggs::top_key(&dst)]);
        // As Arkime: the first `length` sessions in the query's order.
        let (_, hits) = self.page(&s)?;
        for h in &hits {
            c.add(&aggs::parse_only(&h.source, &keys));
        }
        Ok(json(StatusCode::OK, &c.to_json(min_conn)))
    }

    /// `/api/unique`: one value per line, with `, count` when `counts=1`.
    pub(crate) fn unique(&self, p: &Params) -> Result<Response, Fail> {
        if p.field.is_none() && p.exp.is_none() {
            return Err(bad("missing field or exp parameter"));
        }
        let s = self.search_of(p, DEFAULT_SESSIONS)?;
        let field = field_param(p, &self.reg, "");
        let mut terms = Terms::new(&field);
        let req = AggRequest {
            terms: vec![(field.clone(), Some(MAX_AGG))],
            histogram: None,
        };
        if let Some(a) = self.columns(&s, &req)? {
            for c in &a.terms {
                terms.add_answer(c);
            }
        } else {
            self.each(&s, &[aggs::top_key(&field)], &mut |d| {
                terms.add(d);
                true
            })?;
        }
        let counts = p.counts.as_deref() == Some("1");
        let mut out = String::new();
        for (k, n) in terms.sorted().into_iter().take(MAX_AGG) {
            out.push_str(&aggs::text(k));
            if counts {
                out.push_str(&format!(", {n}"));
            }
            out.push('\n');
        }
        Ok((
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            out,
        )
            .into_response())
    }

    /// `/api/fields`.
    pub(crate) fn fields(&self) -> Response {
        json(StatusCode::OK, &render::fields_json(&self.reg))
    }

    /// `/api/stats`: each node's latest stats document, in Arkime's table shape.
    pub(crate) fn stats(&self) -> Result<Response, Fail> {
        let nodes = self.source.node_stats();
        Ok(json(
            StatusCode::OK,
            &json!({"recordsTotal": nodes.len(), "recordsFiltered": nodes.len(), "data": nodes}),
        ))
    }

    /// `/api/dstats`: one value of a node's stats over time, `[[ms, value], …]`.
    pub(crate) fn dstats(&self, p: &Params) -> Result<Response, Fail> {
        let node = p.node_name.as_deref().unwrap_or("");
        let name = p.name.as_deref().unwrap_or("deltaPackets");
        let interval = p
            .interval
            .as_deref()
            .and_then(|i| i.parse::<u64>().ok())
            .unwrap_or(60);
        let start = p.start.as_deref().and_then(|v| v.parse::<i64>().ok());
        let stop = p.stop.as_deref().and_then(|v| v.parse::<i64>().ok());
        let docs = self.source.dstats(node, interval, start, stop);
        let series: Vec<Value> = docs
            .iter()
            .filter_map(|d| {
                let t = d.get("currentTime")?.as_i64()?;
                let v = d.get(name)?.as_f64()?;
                let ms = d.get("deltaMS").and_then(Value::as_f64).unwrap_or(0.0);
                // Deltas as rates, per second of the interval they cover.
                let v = if name.starts_with("delta") && name != "deltaMS" && ms > 0.0 {
                    v * 1000.0 / ms
                } else {
                    v
                };
                Some(json!([t * 1000, v]))
            })
            .collect();
        Ok(json(StatusCode::OK, &Value::Array(series)))
    }
}

/// The answer of a blocking endpoint: its response, or its failure's.
pub fn answer(r: Result<Response, Fail>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// 404 for an unknown session path.
pub fn no_such(path: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("no such endpoint {}", excerpt(path)),
    )
}
