//! The viewer API through its router (no socket): a small store of three sessions,
//! requests as a client would send them, answers checked field by field.

mod common;
use common::enc;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use trawl_output::{Doc, DocOutput};
use trawl_viewer::{router, Viewer};

struct Fixture {
    dir: tempfile::TempDir,
}

fn registry() -> trawl_fields::FieldRegistry {
    let mut reg = trawl_fields::FieldRegistry::new();
    trawl_session::define_core_fields(&mut reg);
    reg
}

/// Three sessions: a (10.0.0.1 → port 80, earliest), b (10.0.0.10 → port 53),
/// c (9.0.0.1 → port 443, latest); each lasts 500 ms.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry();
    let out = trawl_store::StoreOutput::start(dir.path(), trawl_store::fields_of(&reg)).unwrap();
    // a and b were read from one pcap file, c from another.
    let files = trawl_writer::FilesRegistry::open(&dir.path().join("files"), "n1").unwrap();
    for (num, name) in [(1, "/pcaps/one.pcap"), (2, "/pcaps/two.pcap")] {
        files
            .put(&trawl_writer::FileInfo {
                num,
                name: name.into(),
                node: "n1".into(),
                ..Default::default()
            })
            .unwrap();
    }
    for (id, src, port, t, proto, file) in [
        ("a", "10.0.0.1", 80, 1000, "http", 1),
        ("b", "10.0.0.10", 53, 2000, "dns", 1),
        ("c", "9.0.0.1", 443, 3000, "tls", 2),
    ] {
        out.emit(Doc {
            index: "sessions3-231114".into(),
            id: Some(id.into()),
            body: format!(
                r#"{{"firstPacket":{t},"lastPacket":{},"node":"n1","fileId":[{file}],"ipProtocol":6,"source":{{"ip":"{src}","port":40000,"packets":2,"bytes":{port}}},"destination":{{"ip":"192.0.2.1","port":{port},"packets":1,"bytes":60}},"network":{{"packets":3,"bytes":{}}},"protocol":["tcp","{proto}"]}}"#,
                t + 500,
                port + 60
            ),
        });
    }
    out.finish();
    Fixture { dir }
}

fn app(f: &Fixture, max_sessions: usize) -> Router {
    router(Arc::new(Viewer::embedded(
        f.dir.path().to_path_buf(),
        registry(),
        max_sessions,
    )))
}

/// Sends `req`; (status, headers, body).
async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let (s, _, b) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&b)));
    (s, v)
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// A POST of a form.
fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn sessions_by_get_and_post_alike() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    let (s, v) = get_json(
        &app,
        "/api/sessions?date=-1&expression=port.dst%20%3E%3D%2080",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["recordsTotal"], 3, "every session of the store");
    assert_eq!(v["recordsFiltered"], 2);
    assert_eq!(ids(&v), ["a", "c"], "in firstPacket order");
    assert_eq!(v["data"][0]["destination"]["port"], 80);
    assert_eq!(v["data"][0]["node"], "n1");
    // Without date, Arkime's default window: the last hour, which has none of them.
    let (_, v) = get_json(&app, "/api/sessions").await;
    assert_eq!(
        (v["recordsFiltered"].as_u64(), v["recordsTotal"].as_u64()),
        (Some(0), Some(3))
    );

    let (s, _, b) = send(
        &app,
        form(
            "/api/sessions",
            "date=-1&expression=port.dst+%3E%3D+80&order=port.dst:desc&fields=port.dst",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(ids(&v), ["c", "a"], "sorted by port, descending");
    assert_eq!(v["data"][0]["destination"]["port"], 443);
    // The form overrides the query string; the query string fills in the rest.
    let (_, _, b) = send(
        &app,
        form(
            "/api/sessions.json?date=-1&expression=x&length=1",
            "expression=port.dst+%3D%3D+53",
        ),
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(ids(&v), ["b"]);

    let (s, v) = get_json(&app, "/api/session/b").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["destination"]["port"], 53, "the document itself");
    assert_eq!(v["id"], "b");
    let (s, v) = get_json(&app, "/api/session/b/detail").await;
    assert_eq!((s, v["id"].as_str()), (StatusCode::OK, Some("b")));
    let (s, _) = get_json(&app, "/api/session/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = get_json(&app, "/api/nothing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["error"].as_str().unwrap().contains("/api/nothing"));
    let (s, _, b) = send(
        &app,
        Request::delete("/api/stats").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert!(serde_json::from_slice::<serde_json::Value>(&b).unwrap()["error"].is_string());
}

#[tokio::test]
async fn too_deep_or_too_long_expressions_are_400_naming_the_limit() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    let one = "port.dst == 80";
    let cases = [
        (
            format!("{}{one}{}", "(".repeat(2000), ")".repeat(2000)),
            "levels",
        ),
        (format!("{}{one}", "!".repeat(2000)), "levels"),
        (vec![one; 2000].join(" || "), "comparisons"),
        (vec![one; 2000].join(" && "), "comparisons"),
    ];
    for (expr, limit) in &cases {
        // Too long for a URL here: POSTed as a form.
        for ep in ["/api/sessions", "/api/sessions/pcap"] {
            let (s, _, b) = send(&app, form(ep, &format!("expression={}", enc(expr)))).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{ep}");
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            let e = v["error"].as_str().unwrap();
            assert!(e.contains("at most") && e.contains(limit), "{e}");
            assert!(e.len() < 400, "short: {e}");
        }
    }
    // Still answering.
    let (s, v) = get_json(&app, "/api/sessions").await;
    assert_eq!((s, v["recordsTotal"].as_u64()), (StatusCode::OK, Some(3)));
}

#[tokio::test]
async fn lengths_of_any_size_are_capped_at_max_sessions_queried() {
    let f = fixture();
    let app = app(&f, 2);
    for l in [
        "1000000000",
        "18446744073709551615",
        "1e300",
        &"9".repeat(500),
    ] {
        let (s, v) = get_json(&app, &format!("/api/sessions?date=-1&length={l}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(ids(&v), ["a", "b"], "capped at maxSessionsQueried (2)");
        assert_eq!(v["recordsTotal"], 3);
        let (s, _, b) = send(
            &app,
            Request::get(format!("/api/sessions/pcap?date=-1&length={l}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            b.len(),
            24,
            "no packets in these sessions: the header alone"
        );
    }
    for l in ["-5", "0", "-18446744073709551616"] {
        let (s, v) = get_json(&app, &format!("/api/sessions?date=-1&length={l}")).await;
        assert_eq!((s, ids(&v).len()), (StatusCode::OK, 2), "default, capped");
    }
    let (s, v) = get_json(&app, "/api/sessions?date=-1&length=1").await;
    assert_eq!((s, ids(&v)), (StatusCode::OK, vec!["a".to_string()]));
    let (s, v) = get_json(&app, "/api/sessions?length=lots").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("lots"));
}

#[test]
fn the_store_does_not_allocate_by_the_limit_asked() {
    let f = fixture();
    let store = trawl_store::Store::open(f.dir.path()).unwrap();
    let all = trawl_query::Query::And(Vec::new());
    for limit in [usize::MAX, usize::MAX / 2, 1 << 40] {
        for sort in ["firstPacket", "destination.port"] {
            let opts = trawl_store::SearchOpts {
                limit,
                sort: (sort.into(), true),
                ..Default::default()
            };
            let (n, hits) = store.search(&all, &opts).unwrap();
            assert_eq!((n, hits.len()), (3, 3), "{sort}");
        }
    }
}

/// The ids of an answer's rows, in order.
async fn rows(app: &Router, uri: &str) -> Vec<String> {
    let (s, v) = get_json(app, uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {v}");
    ids(&v)
}

#[tokio::test]
async fn paging_order_and_windows_as_arkime() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    // Addresses sort as addresses (9.0.0.1 < 10.0.0.1 < 10.0.0.10), not as text.
    let by_ip = "/api/sessions?date=-1&order=source.ip:asc";
    assert_eq!(rows(&app, by_ip).await, ["c", "a", "b"]);
    assert_eq!(
        rows(&app, &format!("{by_ip}&start=1&length=1")).await,
        ["a"]
    );
    assert_eq!(
        rows(&app, &format!("{by_ip}&start=5")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        rows(&app, "/api/sessions?date=-1&order=ip.src:desc").await,
        ["b", "a", "c"]
    );
    // `id` is a field of the expression language, as in Arkime.
    let by_id = "/api/sessions?date=-1&expression=id%20%3D%3D%20b%20%7C%7C%20id%20%3D%3D%20c";
    assert_eq!(rows(&app, by_id).await, ["b", "c"]);
    assert_eq!(
        rows(&app, "/api/sessions?date=-1&expression=id%20!%3D%20a").await,
        ["b", "c"]
    );
    // Every key counts: equal nodes, then ports descending.
    let two = "/api/sessions?date=-1&order=node:asc,destination.port:desc";
    assert_eq!(rows(&app, two).await, ["c", "a", "b"]);
    assert_eq!(rows(&app, &format!("{two}&start=2")).await, ["b"]);
    // startTime/stopTime in seconds, with each bounding (sessions a 1–1.5 s,
    // b 2–2.5 s, c 3–3.5 s; the window 2–3 s).
    for (bounding, want) in [
        ("last", vec!["b"]),
        ("first", vec!["b", "c"]),
        ("both", vec!["b"]),
        ("either", vec!["b", "c"]),
    ] {
        let uri = format!("/api/sessions?startTime=2&stopTime=3&bounding={bounding}");
        assert_eq!(rows(&app, &uri).await, want, "{bounding}");
    }
    assert_eq!(
        rows(
            &app,
            "/api/sessions?startTime=2&stopTime=3&strictly=true&bounding=either"
        )
        .await,
        ["b"],
        "strictly is both"
    );
    // POST with a JSON body, as Arkime's page sends it.
    let req = Request::post("/api/sessions")
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"date": -1, "expression": "port.dst == 53", "length": 5}"#,
        ))
        .unwrap();
    let (s, _, b) = send(&app, req).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(ids(&v), ["b"]);
}

#[tokio::test]
async fn histogram_spiview_spigraph_connections_unique_csv_fields() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    let (_, v) = get_json(
        &app,
        "/api/sessions?date=-1&facets=1&interval=second&map=true",
    )
    .await;
    let g = &v["graph"];
    // Buckets of one second on lastPacket (1.5 s, 2.5 s, 3.5 s).
    assert_eq!(
        g["sessionsHisto"],
        serde_json::json!([[1000, 1], [2000, 1], [3000, 1]])
    );
    assert_eq!(
        g["source.packetsHisto"],
        serde_json::json!([[1000, 2], [2000, 2], [3000, 2]])
    );
    assert_eq!(g["network.packetsTotal"], 9);
    assert_eq!(g["network.bytesTotal"], 80 + 53 + 443 + 180);
    assert_eq!(g["interval"], 1);
    assert_eq!(g["xmin"], serde_json::Value::Null, "all time");
    assert!(v["map"]["src"].is_object());

    let (_, v) = get_json(
        &app,
        "/api/spiview?date=-1&spi=destination.port:2,protocol&facets=1",
    )
    .await;
    assert_eq!(v["recordsFiltered"], 3);
    let ports = &v["spi"]["destination.port"];
    // Equal counts: by value, numbers as numbers (53 < 80 < 443).
    assert_eq!(
        ports["buckets"],
        serde_json::json!([{"key": 53, "doc_count": 1}, {"key": 80, "doc_count": 1}])
    );
    assert_eq!(ports["sum_other_doc_count"], 1);
    assert_eq!(
        v["spi"]["protocol"]["buckets"][0],
        serde_json::json!({"key": "tcp", "doc_count": 3})
    );
    assert_eq!(v["protocols"]["tcp"], 3);

    let (_, v) = get_json(
        &app,
        "/api/spigraph?date=-1&field=protocol&size=2&interval=second",
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["name"].as_str(), items[0]["count"].as_u64()),
        (Some("tcp"), Some(3))
    );
    assert_eq!(items[1]["name"], "dns");
    assert_eq!(
        items[1]["graph"]["sessionsHisto"],
        serde_json::json!([[2000, 1]])
    );

    let (_, v) = get_json(
        &app,
        "/api/connections?date=-1&srcField=ip.src&dstField=ip.dst:port",
    )
    .await;
    assert_eq!(v["recordsFiltered"], 3);
    let nodes: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        nodes,
        [
            "10.0.0.1",
            "10.0.0.10",
            "192.0.2.1:443",
            "192.0.2.1:53",
            "192.0.2.1:80",
            "9.0.0.1"
        ]
    );
    assert_eq!(v["links"].as_array().unwrap().len(), 3);

    let (s, _, b) = send(
        &app,
        Request::get("/api/unique?date=-1&exp=ip.src&counts=1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        String::from_utf8(b).unwrap(),
        "10.0.0.1, 1\n10.0.0.10, 1\n9.0.0.1, 1\n"
    );

    let (s, _, b) = send(
        &app,
        Request::get("/api/sessions.csv?date=-1&fields=ip.src,port.dst&order=port.dst:asc")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[1], "10.0.0.10,53");

    let (_, v) = get_json(&app, "/api/fields").await;
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["exp"] == "ip.src" && f["dbField"] == "source.ip"));

    let (s, v) = get_json(&app, "/api/session/n1/b/detail").await;
    assert_eq!(s, StatusCode::OK);
    let general = &v["groups"][0];
    assert_eq!(general["group"], "general");
    assert!(
        general["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["exp"] == "port.dst" && f["values"][0] == 53),
        "{v}"
    );
}

#[tokio::test]
async fn an_unknown_order_field_is_400_naming_it() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    let (s, v) = get_json(&app, "/api/sessions?order=no.such.field:desc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("no.such.field"),
        "{v}"
    );
    // Known fields sort, by expression or by database name.
    let (_, v) = get_json(&app, "/api/sessions?date=-1&order=destination.port:desc").await;
    assert_eq!(ids(&v), ["c", "a", "b"]);
    let (_, v) = get_json(&app, "/api/sessions?date=-1&order=lastPacket:desc").await;
    assert_eq!(ids(&v), ["c", "b", "a"]);
}

#[tokio::test]
async fn errors_quote_a_short_excerpt_of_what_was_sent() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    // URLs are at most 64 KiB; forms 1 MiB.
    let long = "x".repeat(60_000);
    let big = "x".repeat(1_000_000);
    let mut requests = vec![
        (
            Request::get(format!("/api/session/{long}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
        ),
        (
            Request::get(format!("/api/{long}"))
                .body(Body::empty())
                .unwrap(),
            StatusCode::NOT_FOUND,
        ),
    ];
    // (A `date` that is not a number means all time, as in Arkime.)
    for key in ["expression", "length", "order", "startTime"] {
        for ep in ["/api/sessions", "/api/sessions/pcap"] {
            // An unknown field of a million characters, for the expression.
            let value = match key {
                "expression" => format!("{big}%3D%3D1"),
                "startTime" => format!("{big}&stopTime=1"),
                _ => big.clone(),
            };
            requests.push((form(ep, &format!("{key}={value}")), StatusCode::BAD_REQUEST));
        }
    }
    for (req, status) in requests {
        let what = format!("{} {:.50}", req.method(), req.uri().to_string());
        let (s, _, b) = send(&app, req).await;
        assert_eq!(s, status, "{what}");
        assert!(b.len() < 500, "{} bytes answered to {what}", b.len());
        assert!(
            String::from_utf8_lossy(&b).contains("xxxxxxxx"),
            "{what}: {}",
            String::from_utf8_lossy(&b)
        );
    }
}

#[tokio::test]
async fn stats_show_no_machine_path() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    let (s, _, b) = send(
        &app,
        Request::get("/api/stats").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["recordsTotal"], 0, "no capture node has written stats");
    assert!(v["data"].as_array().unwrap().is_empty());
    let dir = f.dir.path().to_str().unwrap();
    assert!(!text.contains(dir), "{text}");
    assert!(v.get("dataDir").is_none(), "{text}");
}

#[tokio::test]
async fn a_panic_answers_500_briefly_and_the_router_goes_on() {
    let app = trawl_viewer::guard(
        Router::new()
            .route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("secret detail at src/lib.rs:1");
                    }
                    "never"
                }),
            )
            .route("/ok", get(|| async { "fine" })),
    );
    let (s, _, b) = send(&app, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("internal error") && !text.contains("secret"),
        "{text}"
    );
    let (s, _, b) = send(&app, Request::get("/ok").body(Body::empty()).unwrap()).await;
    assert_eq!((s, b.as_slice()), (StatusCode::OK, &b"fine"[..]));
}

#[tokio::test]
async fn bodies_are_bounded() {
    let f = fixture();
    let app = app(&f, 2_000_000);
    let body = format!("expression={}", "x".repeat(trawl_viewer::MAX_BODY + 1));
    let (s, _, _) = send(&app, form("/api/sessions", &body)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // Told by Content-Length too.
    let mut req = form("/api/sessions/pcap", &body);
    req.headers_mut()
        .insert("content-length", body.len().to_string().parse().unwrap());
    let (s, _, _) = send(&app, req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

/// The fixture's viewer behind a login, with user `alice` (password `s3cret`).
fn app_with_users(f: &Fixture) -> Router {
    let mut users = trawl_viewer::auth::Users::load(&f.dir.path().join("users")).unwrap();
    users.add("alice", "s3cret").unwrap();
    let viewer = Arc::new(Viewer::embedded(
        f.dir.path().to_path_buf(),
        registry(),
        1000,
    ));
    trawl_viewer::router_with(
        viewer,
        Some(Arc::new(trawl_viewer::auth::Auth::new(users, false))),
    )
}

fn get_with(uri: &str, header: Option<(&str, String)>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some((k, v)) = header {
        r = r.header(k, v);
    }
    r.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn with_users_nothing_answers_data_without_a_login() {
    let f = fixture();
    let app = app_with_users(&f);
    let data_routes = [
        "/api/sessions?date=-1",
        "/api/sessions.json?date=-1",
        "/api/sessions.csv?date=-1",
        "/api/sessions.pcap?date=-1",
        "/api/sessions/pcap?date=-1",
        "/api/session/a",
        "/api/session/n1/a/detail",
        "/api/session/n1/a/packets",
        "/api/session/n1/a.pcap",
        "/n1/a.pcap",
        "/api/spiview?date=-1&spi=node",
        "/api/spigraph?date=-1",
        "/api/connections?date=-1",
        "/api/unique?date=-1&field=node",
        "/api/fields",
        "/api/stats",
        "/api/dstats?nodeName=n1",
        "/api/no/such/thing",
    ];
    for uri in data_routes {
        let (s, _, b) = send(&app, get_with(uri, None)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(!String::from_utf8_lossy(&b).contains("192.0.2.1"), "{uri}");
    }
    // The page itself (no data in it) loads, so that it can show its login form.
    let (s, _, _) = send(&app, get_with("/", None)).await;
    assert_eq!(s, StatusCode::OK);

    // Basic authentication, as scripts use it.
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let wrong = Some(("authorization", format!("Basic {}", b64("alice:wrong"))));
    let (s, _, _) = send(&app, get_with("/api/sessions?date=-1", wrong)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let nobody = Some(("authorization", format!("Basic {}", b64("mallory:s3cret"))));
    let (s, _, _) = send(&app, get_with("/api/sessions?date=-1", nobody)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let right = Some(("authorization", format!("Basic {}", b64("alice:s3cret"))));
    let (s, _, b) = send(&app, get_with("/api/sessions?date=-1", right)).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["recordsFiltered"], 3);

    // The page's form: a wrong password is 401, a right one sets the cookie.
    let (s, h, _) = send(&app, form("/api/login", "username=alice&password=nope")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(h.get("set-cookie").is_none());
    let (s, h, _) = send(&app, form("/api/login", "username=alice&password=s3cret")).await;
    assert_eq!(s, StatusCode::OK);
    let cookie = h.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let (s, _, _) = send(&app, get_with("/api/stats", Some(("cookie", pair.clone())))).await;
    assert_eq!(s, StatusCode::OK);
    let forged = Some(("cookie", "TRAWL_SESSION=00ff".to_string()));
    let (s, _, _) = send(&app, get_with("/api/stats", forged)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Logging out ends it.
    let out = Request::post("/api/logout")
        .header("cookie", pair.clone())
        .body(Body::empty())
        .unwrap();
    let (s, _, _) = send(&app, out).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = send(&app, get_with("/api/stats", Some(("cookie", pair)))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn file_names_the_sessions_of_pcap_files_and_an_unknown_file_is_400() {
    let f = fixture();
    let app = app(&f, 1000);
    let q = |e: &str| {
        format!(
            "/api/sessions?date=-1&order=firstPacket:asc&expression={}",
            enc(e)
        )
    };
    for (expr, want) in [
        ("file == /pcaps/one.pcap", vec!["a", "b"]),
        ("file == *two*", vec!["c"]),
        ("file != /pcaps/one.pcap", vec!["c"]),
        ("file == /.*pcap/ && port.dst == 53", vec!["b"]),
        (
            "file == /pcaps/one.pcap || file == /pcaps/two.pcap",
            vec!["a", "b", "c"],
        ),
    ] {
        assert_eq!(rows(&app, &q(expr)).await, want, "{expr}");
    }
    let (s, v) = get_json(&app, &q("file == /pcaps/none.pcap")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v.to_string().contains("file '/pcaps/none.pcap' not found"),
        "{v}"
    );
    // The page lists it among the fields, as Arkime's viewer does.
    let (_, fields) = get_json(&app, "/api/fields?array=true").await;
    assert!(fields.to_string().contains(r#""exp":"file""#), "{fields}");
}

#[tokio::test]
async fn answers_are_gzipped_for_clients_that_accept_it_but_pcap_is_not() {
    use std::io::Read as _;
    let f = fixture();
    let app = app(&f, 1000);
    let get = |uri: &str, gzip: bool| {
        let mut r = Request::get(uri);
        if gzip {
            r = r.header("accept-encoding", "gzip");
        }
        r.body(Body::empty()).unwrap()
    };
    for uri in ["/assets/app.js", "/api/sessions?date=-1", "/api/fields"] {
        let (s, h, zipped) = send(&app, get(uri, true)).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert_eq!(h["content-encoding"], "gzip", "{uri}");
        let (_, h, plain) = send(&app, get(uri, false)).await;
        assert!(h.get("content-encoding").is_none(), "{uri}");
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "{uri}");
        if uri == "/assets/app.js" {
            assert!(
                zipped.len() * 3 < plain.len(),
                "{} of {}",
                zipped.len(),
                plain.len()
            );
        }
    }
    let (s, h, _) = send(&app, get("/api/sessions.pcap?date=-1", true)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get("content-encoding").is_none());
}
