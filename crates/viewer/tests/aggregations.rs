//! The store's aggregations on its own structures (term dictionaries, columns, the
//! file of integers) answer exactly what reading every matching document answers:
//! the same SPI view, histogram, country map and unique values, over the documents
//! Arkime itself wrote for the project's own captures (tests/captures/*.test).

mod common;
use common::enc;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;
use trawl_output::{Doc, DocOutput};
use trawl_query::{Hit, Match, Query, SearchOpts};
use trawl_store::aggs::{AggAnswer, AggRequest};
use trawl_store::Kind;
use trawl_viewer::source::{Embedded, SessionSource, SourceError};
use trawl_viewer::{router, Viewer};
use trawl_writer::FileInfo;

/// The embedded store, with its own aggregations (counting those it answered) or
/// without them (every aggregation then reads the documents).
struct Wrapped {
    store: Embedded,
    columns: bool,
    answered: Arc<AtomicUsize>,
}

impl SessionSource for Wrapped {
    fn aggregate(
        &self,
        q: &Query,
        o: &SearchOpts,
        req: &AggRequest,
    ) -> Result<Option<AggAnswer>, SourceError> {
        if !self.columns {
            return Ok(None);
        }
        let a = self.store.aggregate(q, o, req)?;
        if a.is_some() {
            self.answered.fetch_add(1, Ordering::Relaxed);
        }
        Ok(a)
    }
    fn search(&self, q: &Query, o: &SearchOpts) -> Result<(u64, Vec<Hit>), SourceError> {
        self.store.search(q, o)
    }
    fn scan(
        &self,
        q: &Query,
        o: &SearchOpts,
        f: &mut dyn FnMut(Hit) -> bool,
    ) -> Result<u64, SourceError> {
        self.store.scan(q, o, f)
    }
    fn count_all(&self) -> Result<u64, SourceError> {
        self.store.count_all()
    }
    fn get(&self, id: &str) -> Result<Option<Hit>, SourceError> {
        self.store.get(id)
    }
    fn file(&self, node: &str, num: u32) -> Option<FileInfo> {
        self.store.file(node, num)
    }
    fn reads_node(&self, node: &str) -> bool {
        self.store.reads_node(node)
    }
    fn files_named(&self, m: &Match) -> Result<Vec<(String, u32)>, SourceError> {
        self.store.files_named(m)
    }
    fn field_docs(&self) -> Vec<Value> {
        self.store.field_docs()
    }
    fn partitions(&self) -> Result<Vec<Value>, SourceError> {
        self.store.partitions()
    }
    fn node_stats(&self) -> Vec<Value> {
        self.store.node_stats()
    }
    fn dstats(&self, node: &str, i: u64, a: Option<i64>, b: Option<i64>) -> Vec<Value> {
        self.store.dstats(node, i, a, b)
    }
    fn describe(&self) -> String {
        self.store.describe()
    }
}

/// Every leaf path of `v` under `prefix` with the kind its values index as; None
/// for a path whose values are not all of one kind the store keeps as the document
/// holds them (booleans and fractions are kept as text, which a document does not
/// spell as text).
fn leaves(v: &Value, prefix: &str, out: &mut BTreeMap<String, Option<Kind>>) {
    let mut add = |k: Option<Kind>| {
        let e = out.entry(prefix.to_string()).or_insert(k);
        if *e != k {
            *e = None;
        }
    };
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                leaves(x, prefix, out);
            }
        }
        Value::String(s) if prefix.ends_with(".ip") && s.parse::<std::net::IpAddr>().is_ok() => {
            add(Some(Kind::Ip))
        }
        Value::String(_) => add(Some(Kind::Term)),
        Value::Number(n) if n.is_i64() || n.is_u64() => add(Some(Kind::Int)),
        _ => add(None),
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    /// Fields whose values the store keeps as the documents hold them.
    fields: Vec<String>,
    /// The partition of the first document.
    first_index: String,
}

/// A store of every document of tests/captures/*.test (several partitions), written
/// in two runs so partitions have more than one segment, one with a deleted document.
fn fixture() -> Fixture {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/captures");
    let mut docs = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    names.sort();
    for p in names {
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        for d in v["sessions3"].as_array().unwrap() {
            let index = d["header"]["index"]["_index"]
                .as_str()
                .unwrap()
                .trim_start_matches("tests_")
                .to_string();
            // An IPv4-mapped IPv6 address: an address column holds it as the IPv4
            // address, which is what Elasticsearch's terms of an ip field answer too,
            // while the document spells it as captured.
            if d["body"].to_string().contains("\"::ffff:") {
                continue;
            }
            docs.push((index, d["body"].clone()));
        }
    }
    assert!(docs.len() >= 30, "{} documents", docs.len());
    let mut kinds = BTreeMap::new();
    for (_, b) in &docs {
        leaves(b, "", &mut kinds);
    }
    let mut schema: Vec<(String, Kind)> = kinds
        .iter()
        .filter_map(|(n, k)| Some((n.clone(), (*k)?)))
        .map(|(n, k)| match n.as_str() {
            "firstPacket" | "lastPacket" => (n, Kind::FastInt),
            "network.community_id" => (n, Kind::Column),
            _ => (n, k),
        })
        .collect();
    // A field no document holds is aggregated as empty; the map's fields are such.
    for n in [
        "never.written",
        "source.geo.country_iso_code",
        "destination.geo.country_iso_code",
        "http.xffGEO",
    ] {
        if !schema.iter().any(|(x, _)| x == n) {
            schema.push((n.into(), Kind::Term));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let half = docs.len() / 2;
    // The second run also writes the first document again under its id: the
    // older copy is then a deleted document of its segment, which no count holds.
    let ids: Vec<String> = (0..docs.len()).map(|i| format!("s{i}")).collect();
    for (run, extra) in [(0..half, None), (half..docs.len(), Some(0))] {
        let out = trawl_store::StoreOutput::start(dir.path(), schema.clone()).unwrap();
        for i in run.chain(extra) {
            let (index, body) = &docs[i];
            out.emit(Doc {
                index: index.clone(),
                id: Some(ids[i].clone()),
                body: body.to_string(),
            });
        }
        out.finish();
    }
    let fields = schema.into_iter().map(|(n, _)| n).collect();
    Fixture {
        dir,
        fields,
        first_index: docs[0].0.clone(),
    }
}

fn registry() -> trawl_fields::FieldRegistry {
    let mut reg = trawl_fields::FieldRegistry::new();
    trawl_session::define_core_fields(&mut reg);
    reg
}

/// The viewer over the store, the count of aggregations the store answered, and
/// the viewer over the documents only.
fn apps(f: &Fixture) -> (Router, Arc<AtomicUsize>, Router) {
    let answered = Arc::new(AtomicUsize::new(0));
    let columns = Viewer::new(
        Arc::new(Wrapped {
            store: Embedded::new(f.dir.path()),
            columns: true,
            answered: answered.clone(),
        }),
        registry(),
        1_000_000,
    );
    let documents = Viewer::new(
        Arc::new(Wrapped {
            store: Embedded::new(f.dir.path()),
            columns: false,
            answered: Arc::default(),
        }),
        registry(),
        1_000_000,
    );
    (
        router(Arc::new(columns)),
        answered,
        router(Arc::new(documents)),
    )
}

async fn get(app: &Router, uri: &str) -> Value {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => Value::String(String::from_utf8_lossy(&body).into_owned()),
    }
}

/// Where `a` and `b` differ, as JSON paths with both values (the first 20).
fn diff(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    if out.len() >= 20 || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                diff(p, q, &format!("{at}.{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, &format!("{at}[{i}]"), out);
            }
        }
        _ => out.push(format!("  {at}: {a} / {b}")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn column_aggregations_answer_what_the_documents_answer() {
    let f = fixture();
    let (columns, answered, documents) = apps(&f);
    let expressions = [
        "",
        "protocols == tcp",
        "port.dst == 443 || protocols == udp",
        "ip.src == 10.0.0.0/8",
        "protocols == nothing-has-this",
    ];
    let mut compared = 0;
    let mut nonempty = 0;
    for e in expressions {
        let q = if e.is_empty() {
            String::new()
        } else {
            format!("&expression={}", enc(e))
        };
        // Every field at once in one SPI view, with the histogram, protocols and map.
        let spi: Vec<String> = f.fields.iter().map(|n| format!("{n}:1000")).collect();
        // And the top 1 and top 3 of each: ties at the edge and the sum of the rest.
        let top: Vec<String> = f
            .fields
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n}:{}", 1 + 2 * (i % 2)))
            .collect();
        let mut uris = vec![
            format!("/api/spiview?date=-1&facets=1&spi={}{q}", spi.join(",")),
            format!("/api/spiview?date=-1&spi={}{q}", top.join(",")),
            format!("/api/sessions?date=-1&length=1&facets=1&interval=60{q}"),
            format!("/api/sessions?date=-1&length=1&facets=1&interval=1{q}"),
        ];
        for n in [
            "destination.port",
            "ipProtocol",
            "source.ip",
            "http.host",
            "network.community_id",
        ] {
            uris.push(format!("/api/unique?date=-1&field={n}&counts=1{q}"));
        }
        for uri in uris {
            let before = answered.load(Ordering::Relaxed);
            let (a, b) = (get(&columns, &uri).await, get(&documents, &uri).await);
            let mut d = Vec::new();
            diff(&a, &b, "", &mut d);
            assert!(
                d.is_empty(),
                "{}: columns / documents differ at\n{}",
                &uri[..uri.len().min(120)],
                d.join("\n")
            );
            assert_eq!(
                answered.load(Ordering::Relaxed),
                before + 1,
                "{uri}: answered by the store's columns"
            );
            // Asked again, the partitions answer from what they kept: the same.
            assert_eq!(get(&columns, &uri).await, a, "{uri} asked again");
            compared += 1;
            if a["recordsFiltered"].as_u64().is_some_and(|n| n > 0)
                || a.as_str().is_some_and(|s| !s.is_empty())
            {
                nonempty += 1;
            }
        }
    }
    assert!(
        compared >= 40 && nonempty >= 25,
        "{compared} answers, {nonempty} not empty"
    );

    // A session more in a partition asked about before: what it kept is not used.
    let uri = "/api/spiview?date=-1&facets=1&spi=destination.port:10,protocol:10";
    let before = get(&columns, uri).await;
    let out = trawl_store::StoreOutput::start(f.dir.path(), vec![]).unwrap();
    out.emit(Doc {
        index: f.first_index.clone(),
        id: Some("one-more".into()),
        body: r#"{"firstPacket":1700000000000,"lastPacket":1700000000001,"ipProtocol":6,"destination":{"port":31337},"protocol":["tcp","late"]}"#.into(),
    });
    out.finish();
    let (a, b) = (get(&columns, uri).await, get(&documents, uri).await);
    assert_eq!(a, b);
    assert_eq!(
        a["recordsFiltered"],
        json!(before["recordsFiltered"].as_u64().unwrap() + 1)
    );
    assert_eq!(a["protocols"]["late"], json!(1));
}
