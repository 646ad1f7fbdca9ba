#![no_main]
//! The viewer API's HTTP query layer: each input becomes one request (method, path,
//! query string, form body) run through the router over a small store built once.
//! Nothing may panic, and no answer may be a 500 (a panic the router caught, or a
//! store failure no request should cause).
//!
//! Input: a method byte, an endpoint byte (one of the API's paths, or the path taken
//! from the input), then path, query and body separated by `\n`.
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use trawl_output::{Doc, DocOutput};

struct Api {
    _dir: tempfile::TempDir,
    app: axum::Router,
    rt: tokio::runtime::Runtime,
}

fn registry() -> trawl_fields::FieldRegistry {
    let mut reg = trawl_fields::FieldRegistry::new();
    trawl_session::define_core_fields(&mut reg);
    reg
}

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let reg = registry();
        let out = trawl_store::StoreOutput::start(dir.path(), trawl_store::fields_of(&reg))
            .expect("a store");
        for (i, port) in [80, 53, 443, 22].into_iter().enumerate() {
            let t = 1_700_000_000_000i64 + i as i64 * 1000;
            out.emit(Doc {
                index: "sessions3-231114".into(),
                id: Some(format!("s{i}")),
                body: format!(
                    r#"{{"firstPacket":{t},"lastPacket":{},"node":"n1","source":{{"ip":"10.0.0.{i}","port":4000{i}}},"destination":{{"ip":"192.0.2.1","port":{port}}},"protocol":["tcp"],"packetPos":[-1,24,100]}}"#,
                    t + 10
                ),
            });
        }
        out.finish();
        let viewer = trawl_viewer::Viewer::embedded(dir.path().to_path_buf(), registry(), 1000);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        Api {
            _dir: dir,
            app: trawl_viewer::router(Arc::new(viewer)),
            rt,
        }
    })
}

const METHODS: [&str; 4] = ["GET", "POST", "HEAD", "PUT"];
const PATHS: [&str; 7] = [
    "/api/sessions",
    "/api/sessions.json",
    "/api/sessions/pcap",
    "/api/sessions.pcap",
    "/api/session/",
    "/api/stats",
    "",
];

fuzz_target!(|data: &[u8]| {
    let [m, p, rest @ ..] = data else { return };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default().to_vec();
    let method = METHODS[usize::from(*m) % METHODS.len()];
    let base = PATHS[usize::from(*p) % PATHS.len()];
    let uri = if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{query}")
    };
    let Ok(req) = Request::builder()
        .method(method)
        .uri(&uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
    else {
        return;
    };
    let api = api();
    let status = api.rt.block_on(async {
        let resp = api.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let _ = axum::body::to_bytes(resp.into_body(), 64 << 20).await;
        status
    });
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {uri:.200}");
});
