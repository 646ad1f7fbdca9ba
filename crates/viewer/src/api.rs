//! The router, its handlers and the server loop.

use std::any::Any;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Form, FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use trawl_fields::FieldRegistry;
use trawl_query::excerpt;
use trawl_query::{Bounding, Hit, SearchOpts};

use crate::export::{self, Export};
use crate::search::{compile, db_name, parse_time, session_count, sort_field, values_at};
use crate::source::{Embedded, SessionSource, SourceError};

/// Largest request head (request line and headers) read; a larger one is answered
/// 431. hyper reads heads into a buffer of this size.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest request body (a POSTed form); a larger one is answered 413.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may leave its request body waiting between two pieces.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a pcap answer waits for the client to take the next piece.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Bytes of pcap per piece of a streamed answer, and pieces queued ahead.
const CHUNK: usize = 64 * 1024;
const CHUNKS_AHEAD: usize = 4;
/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 512;
/// The longest error message answered.
const MAX_ERROR: usize = 300;
/// Sessions `/api/sessions` and `/api/sessions/pcap` return when not told.
const DEFAULT_SESSIONS: usize = 100;
const DEFAULT_PCAP_SESSIONS: usize = 100_000;

/// What the API answers from: the sessions (embedded store or cluster) and the
/// field registry.
pub struct Viewer {
    source: Arc<dyn SessionSource>,
    reg: FieldRegistry,
    max_sessions: usize,
}

impl Viewer {
    /// A viewer of `source`; no search returns more than `max_sessions` sessions
    /// (Arkime's `maxSessionsQueried`).
    pub fn new(source: Arc<dyn SessionSource>, reg: FieldRegistry, max_sessions: usize) -> Viewer {
        Viewer {
            source,
            reg,
            max_sessions: max_sessions.max(1),
        }
    }

    /// A viewer of the embedded store under `data_dir`.
    pub fn embedded(data_dir: PathBuf, reg: FieldRegistry, max_sessions: usize) -> Viewer {
        Viewer::new(Arc::new(Embedded::new(&data_dir)), reg, max_sessions)
    }
}

/// The parameters of a session search, from the query string (GET) or the form
/// body (POST, where they override the query string's).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    expression: Option<String>,
    date: Option<String>,
    start_time: Option<String>,
    stop_time: Option<String>,
    length: Option<String>,
    order: Option<String>,
    fields: Option<String>,
    bounding: Option<String>,
    strictly: Option<String>,
}

impl Params {
    fn or(self, o: Params) -> Params {
        Params {
            expression: self.expression.or(o.expression),
            date: self.date.or(o.date),
            start_time: self.start_time.or(o.start_time),
            stop_time: self.stop_time.or(o.stop_time),
            length: self.length.or(o.length),
            order: self.order.or(o.order),
            fields: self.fields.or(o.fields),
            bounding: self.bounding.or(o.bounding),
            strictly: self.strictly.or(o.strictly),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Fail;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = Query::<Params>::try_from_uri(req.uri())
            .map_err(|e| Fail(e.status(), e.body_text()))?
            .0;
        if req.method() != Method::POST {
            return Ok(query);
        }
        let Form(form) = Form::<Params>::from_request(req, state)
            .await
            .map_err(|e| Fail(e.status(), e.body_text()))?;
        Ok(form.or(query))
    }
}

fn json(code: StatusCode, body: &serde_json::Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `{"error": msg}`, the message cut to [`MAX_ERROR`] characters.
fn error(code: StatusCode, msg: &str) -> Response {
    let msg = match msg.char_indices().nth(MAX_ERROR) {
        None => msg.to_string(),
        Some((i, _)) => format!("{}…", &msg[..i]),
    };
    json(code, &serde_json::json!({ "error": msg }))
}

/// A request that failed: the status and message to answer.
struct Fail(StatusCode, String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        error(self.0, &self.1)
    }
}

fn bad_request(e: impl std::fmt::Display) -> Fail {
    Fail(StatusCode::BAD_REQUEST, e.to_string())
}

/// Logs a server-side failure in full and answers 500 without its details (they
/// name files of the machine).
fn internal(what: &str, e: impl std::fmt::Display) -> Fail {
    tracing::error!("{what}: {e}");
    Fail(StatusCode::INTERNAL_SERVER_ERROR, what.to_string())
}

fn source_failed(e: SourceError) -> Fail {
    match e {
        SourceError::Bad(m) => bad_request(m),
        e => internal("search failed", e),
    }
}

impl Viewer {
    /// The search options of Arkime's session parameters.
    fn search_opts(&self, p: &Params, default_len: usize) -> Result<SearchOpts, Fail> {
        let mut o = SearchOpts {
            limit: session_count(p.length.as_deref(), default_len, self.max_sessions)
                .map_err(bad_request)?,
            ..SearchOpts::default()
        };
        let time = |v: &Option<String>| -> Result<Option<i64>, Fail> {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| parse_time(v).map_err(bad_request))
                .transpose()
        };
        o.start_ms = time(&p.start_time)?;
        o.stop_ms = time(&p.stop_time)?;
        if let Some(b) = p.bounding.as_deref().filter(|v| !v.is_empty()) {
            o.bounding = Bounding::parse(b).ok_or_else(|| {
                bad_request(format!(
                    "bounding '{}' is not one of last, first, both, either, database",
                    excerpt(b)
                ))
            })?;
        }
        // Arkime's older `strictly=true` is `bounding=both`.
        if p.strictly.as_deref() == Some("true") {
            o.bounding = Bounding::Both;
        }
        if let Some(d) = p.date.as_deref().filter(|v| !v.is_empty()) {
            let h: f64 = d.trim().parse().map_err(|_| {
                bad_request(format!("date '{}' is not a number of hours", excerpt(d)))
            })?;
            if h > 0.0 {
                // A float to integer cast saturates: no overflow for any number.
                let span = (h * 3_600_000.0) as i64;
                o.start_ms = Some(chrono::Utc::now().timestamp_millis().saturating_sub(span));
                o.stop_ms = None;
            }
        }
        if let Some(ord) = p.order.as_deref().filter(|v| !v.is_empty()) {
            let first = ord.split(',').next().unwrap_or("");
            let (f, dir) = first.split_once(':').unwrap_or((first, "asc"));
            o.sort = (
                sort_field(&self.reg, f.trim()).map_err(bad_request)?,
                dir.trim().eq_ignore_ascii_case("desc"),
            );
        }
        Ok(o)
    }

    fn search(&self, p: &Params, default_len: usize) -> Result<(u64, Vec<Hit>), Fail> {
        let q = compile(p.expression.as_deref(), &self.reg).map_err(bad_request)?;
        let o = self.search_opts(p, default_len)?;
        self.source.search(&q, &o).map_err(source_failed)
    }

    fn sessions(&self, p: &Params) -> Response {
        let (total, hits) = match self.search(p, DEFAULT_SESSIONS) {
            Ok(r) => r,
            Err(r) => return r.into_response(),
        };
        let fields: Option<Vec<String>> = p
            .fields
            .as_deref()
            .filter(|f| !f.is_empty())
            .map(|f| f.split(',').map(|x| db_name(&self.reg, x.trim())).collect());
        let data: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                let src: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
                let mut obj = match &fields {
                    None => src.as_object().cloned().unwrap_or_default(),
                    Some(fs) => fs
                        .iter()
                        .map(|f| (f.clone(), serde_json::json!(values_at(&src, f))))
                        .collect(),
                };
                obj.insert("id".into(), h.id.clone().into());
                obj.insert("index".into(), h.partition.clone().into());
                serde_json::Value::Object(obj)
            })
            .collect();
        json(
            StatusCode::OK,
            &serde_json::json!({ "recordsTotal": total, "recordsFiltered": total, "data": data }),
        )
    }

    fn session(&self, id: &str) -> Response {
        let found = match self.source.get(id) {
            Ok(h) => h,
            Err(e) => return source_failed(e).into_response(),
        };
        match found {
            Some(h) => {
                let src: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
                json(
                    StatusCode::OK,
                    &serde_json::json!({ "id": h.id, "index": h.partition, "source": src }),
                )
            }
            None => error(
                StatusCode::NOT_FOUND,
                &format!("no session {}", excerpt(id)),
            ),
        }
    }

    fn plan_pcap(&self, p: &Params) -> Result<Export, Fail> {
        let (_, hits) = self.search(p, DEFAULT_PCAP_SESSIONS)?;
        let export =
            export::plan(&*self.source, &hits).map_err(|e| internal("pcap export failed", e))?;
        for (node, n) in &export.report().other_nodes {
            tracing::warn!(
                "pcap export: {n} sessions of node {node} left out: their packets are on that node"
            );
        }
        Ok(export)
    }

    fn stats(&self) -> Response {
        let parts = match self.source.partitions() {
            Ok(p) => p,
            Err(e) => return internal("cannot read the store", e).into_response(),
        };
        let docs: u64 = parts.iter().filter_map(|p| p["docs"].as_u64()).sum();
        // No dataDir: answers do not show the machine's paths.
        json(
            StatusCode::OK,
            &serde_json::json!({
                "sessions": docs,
                "partitions": parts,
                "nodes": self.source.node_stats(),
            }),
        )
    }
}

/// Runs `f` (store work, which blocks) on tokio's blocking threads; a panic there
/// answers 500.
async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => internal("internal error", e).into_response(),
    }
}

type Shared = State<Arc<Viewer>>;

async fn sessions(State(v): Shared, p: Params) -> Response {
    blocking(move || v.sessions(&p)).await
}

async fn session(State(v): Shared, id: Result<Path<String>, PathRejection>) -> Response {
    let id = match id {
        Ok(Path(id)) => id,
        Err(e) => return error(e.status(), &e.body_text()),
    };
    let id = id.strip_suffix("/detail").unwrap_or(&id).to_string();
    blocking(move || v.session(&id)).await
}

async fn stats(State(v): Shared) -> Response {
    blocking(move || v.stats()).await
}

/// A `Write` that sends what it is given, in pieces, to a streamed answer's body,
/// waiting at most [`SEND_TIMEOUT`] for the client to make room.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    rt: tokio::runtime::Handle,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let sent = self
            .rt
            .block_on(tokio::time::timeout(SEND_TIMEOUT, self.tx.send(Ok(piece))));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client took nothing for {} s", SEND_TIMEOUT.as_secs()),
            )),
        }
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// The pcap of the matching sessions' packets: planned, then written from a
/// blocking task through a bounded channel into the body, so the answer is never
/// whole in memory.
async fn pcap(State(v): Shared, p: Params) -> Response {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(CHUNKS_AHEAD);
    let (planned_tx, planned) = tokio::sync::oneshot::channel::<Result<u64, Fail>>();
    let rt = tokio::runtime::Handle::current();
    let job = tokio::task::spawn_blocking(move || {
        let export = match v.plan_pcap(&p) {
            Ok(e) => e,
            Err(r) => {
                let _ = planned_tx.send(Err(r));
                return;
            }
        };
        let r = export.report().clone();
        if r.bad_sessions > 0 {
            tracing::error!(
                "pcap export: {} sessions had {} packets that could not be read",
                r.bad_sessions,
                r.bad_packets
            );
        }
        if planned_tx.send(Ok(r.bad_sessions)).is_err() {
            return;
        }
        let mut w = ChannelWriter {
            tx,
            rt,
            buf: Vec::with_capacity(CHUNK),
        };
        let written =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| export.write_to(&mut w)));
        match written {
            Ok(Ok(r)) => tracing::debug!("pcap answer: {} packets", r.packets),
            Ok(Err(e)) => tracing::warn!("pcap answer cut short: {e:#}"),
            Err(_) => {
                // Break the connection rather than end a truncated pcap as if whole.
                tracing::error!("pcap answer: the export panicked");
                let failed = std::io::Error::other("the export failed");
                let _ = w.tx.blocking_send(Err(failed));
            }
        }
    });
    let bad_sessions = match planned.await {
        Ok(Ok(n)) => n,
        Ok(Err(r)) => return r.into_response(),
        // The task ended without a word: it panicked.
        Err(_) => {
            return match job.await {
                Err(e) => internal("internal error", e),
                Ok(()) => internal("internal error", "pcap export ended early"),
            }
            .into_response()
        }
    };
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut resp = Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.tcpdump.pcap"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=sessions.pcap"),
    );
    h.insert(
        "x-trawl-unreadable-sessions",
        HeaderValue::from(bad_sessions),
    );
    resp
}

async fn no_endpoint(req: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("no such endpoint {}", excerpt(req.uri().path())),
    )
}

async fn no_method(req: Request) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{} is not supported here", excerpt(req.method().as_str())),
    )
}

/// The answer to a request whose handler panicked: 500 and a short message; the
/// panic itself goes to the log.
fn panicked(e: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let what = e
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| e.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!("a request panicked: {what}");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// The API's routes with [`guard`]'s protections.
pub fn router(viewer: Arc<Viewer>) -> Router {
    let r = Router::new()
        .route("/api/sessions", get(sessions).post(sessions))
        .route("/api/sessions.json", get(sessions).post(sessions))
        .route("/api/sessions/pcap", get(pcap).post(pcap))
        .route("/api/sessions.pcap", get(pcap).post(pcap))
        .route("/api/session/{*id}", get(session))
        .route("/api/stats", get(stats))
        .route("/api/stats.json", get(stats))
        .fallback(no_endpoint)
        .method_not_allowed_fallback(no_method)
        .with_state(viewer);
    guard(r)
}

/// What protects every route: a panic answers 500, a body is at most [`MAX_BODY`]
/// bytes (413) and must keep coming ([`BODY_TIMEOUT`]).
pub fn guard(r: Router) -> Router {
    // The size limit sits inside the timeout so that extractors see its error as
    // it is and answer 413.
    r.layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .layer(CatchPanicLayer::custom(panicked))
}

/// Serves `app` on `listener` until the process ends: one task per connection
/// (HTTP/1.1), request heads of at most [`MAX_HEAD`] bytes that must arrive within
/// [`HEAD_TIMEOUT`], at most [`MAX_CONNECTIONS`] connections at once.
pub async fn serve_on(listener: tokio::net::TcpListener, app: Router) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let svc = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = http.serve_connection(TokioIo::new(stream), svc);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(slot);
        });
    }
}

/// Listens on `listen`, calls `ready` with the address bound, and serves the API
/// until the process ends, with `threads` worker threads.
pub fn serve(
    listen: &str,
    threads: usize,
    viewer: Viewer,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let threads = threads.max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .max_blocking_threads((threads * 8).max(16))
        .thread_name("serve")
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        ready(listener.local_addr()?);
        serve_on(listener, router(Arc::new(viewer))).await;
        Ok(())
    })
}
