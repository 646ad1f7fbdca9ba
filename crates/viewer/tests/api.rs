//! The viewer API through its router (no socket): a small store of three sessions,
//! requests as a client would send them, answers checked field by field.

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

/// Three sessions: a (port 80, earliest), b (port 53), c (port 443, latest).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry();
    let out = trawl_store::StoreOutput::start(dir.path(), trawl_store::fields_of(&reg)).unwrap();
    for (id, port, t) in [("a", 80, 1000), ("b", 53, 2000), ("c", 443, 3000)] {
        out.emit(Doc {
            index: "sessions3-231114".into(),
            id: Some(id.into()),
            body: format!(
                r#"{{"firstPacket":{t},"lastPacket":{},"node":"n1","source":{{"ip":"10.0.0.1","port":40000}},"destination":{{"ip":"192.0.2.1","port":{port}}},"protocol":["tcp"]}}"#,
                t + 500
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

/// Percent-encodes a query parameter value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
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
    let (s, v) = get_json(&app, "/api/sessions?expression=port.dst%20%3E%3D%2080").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["recordsTotal"], 2);
    assert_eq!(ids(&v), ["a", "c"], "in firstPacket order");
    assert_eq!(v["data"][0]["index"], "sessions3-231114");
    assert_eq!(v["data"][0]["destination"]["port"], 80);

    let (s, _, b) = send(
        &app,
        form(
            "/api/sessions",
            "expression=port.dst+%3E%3D+80&order=port.dst:desc&fields=port.dst",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(ids(&v), ["c", "a"], "sorted by port, descending");
    assert_eq!(v["data"][0]["destination.port"][0], "443");
    // The form overrides the query string; the query string fills in the rest.
    let (_, _, b) = send(
        &app,
        form(
            "/api/sessions.json?expression=x&length=1",
            "expression=port.dst+%3D%3D+53",
        ),
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(ids(&v), ["b"]);

    let (s, v) = get_json(&app, "/api/session/b").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["source"]["destination"]["port"], 53);
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
        let (s, v) = get_json(&app, &format!("/api/sessions?length={l}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(ids(&v), ["a", "b"], "capped at maxSessionsQueried (2)");
        assert_eq!(v["recordsTotal"], 3);
        let (s, _, b) = send(
            &app,
            Request::get(format!("/api/sessions/pcap?length={l}"))
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
        let (s, v) = get_json(&app, &format!("/api/sessions?length={l}")).await;
        assert_eq!((s, ids(&v).len()), (StatusCode::OK, 2), "default, capped");
    }
    let (s, v) = get_json(&app, "/api/sessions?length=1").await;
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
    let (_, v) = get_json(&app, "/api/sessions?order=destination.port:desc").await;
    assert_eq!(ids(&v), ["c", "a", "b"]);
    let (_, v) = get_json(&app, "/api/sessions?order=lastPacket:desc").await;
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
    for key in ["expression", "length", "order", "startTime", "date"] {
        for ep in ["/api/sessions", "/api/sessions/pcap"] {
            // An unknown field of a million characters, for the expression.
            let value = if key == "expression" {
                format!("{big}%3D%3D1")
            } else {
                big.clone()
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
    assert_eq!(v["sessions"], 3);
    assert_eq!(v["partitions"][0]["name"], "sessions3-231114");
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
