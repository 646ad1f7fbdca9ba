//! The router, its handlers and the server loop.

use std::any::Any;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use trawl_fields::FieldRegistry;
use trawl_query::excerpt;

use crate::assets;
use crate::auth::{self, Auth};
use crate::endpoints::{answer, no_such};
pub use crate::request::Params;
use crate::source::{Embedded, SessionSource};

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

/// What the API answers from: the sessions (embedded store or cluster) and the
/// field registry.
pub struct Viewer {
    pub(crate) source: Arc<dyn SessionSource>,
    pub(crate) reg: FieldRegistry,
    pub(crate) max_sessions: usize,
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

/// Reads [`Params`] from the query string and, for a POST, from the body: a form
/// (`application/x-www-form-urlencoded`) or a JSON object, as Arkime's page posts.
impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Fail;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().unwrap_or("").to_string();
        if req.method() != Method::POST {
            return Params::parse(&query, None).map_err(bad_request);
        }
        let json_body = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| Fail(e.status(), e.body_text()))?;
        if json_body && !body.is_empty() {
            let v: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| bad_request(format!("body: {e}")))?;
            let Some(o) = v.as_object() else {
                return Err(bad_request("body: not a JSON object"));
            };
            let form: Vec<(String, String)> = o
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), crate::aggs::text(v)))
                .collect();
            let form = serde_urlencoded::to_string(form).map_err(bad_request)?;
            return Params::parse(&query, Some(form.as_bytes())).map_err(bad_request);
        }
        Params::parse(&query, Some(&body)).map_err(bad_request)
    }
}

pub(crate) fn json(code: StatusCode, body: &serde_json::Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `{"error": msg}`, the message cut to [`MAX_ERROR`] characters.
pub(crate) fn error(code: StatusCode, msg: &str) -> Response {
    let msg = match msg.char_indices().nth(MAX_ERROR) {
        None => msg.to_string(),
        Some((i, _)) => format!("{}…", &msg[..i]),
    };
    json(code, &serde_json::json!({ "error": msg }))
}

/// A request that failed: the status and message to answer.
pub struct Fail(pub StatusCode, pub String);

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
pub(crate) fn internal(what: &str, e: impl std::fmt::Display) -> Fail {
    tracing::error!("{what}: {e}");
    Fail(StatusCode::INTERNAL_SERVER_ERROR, what.to_string())
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
    blocking(move || answer(v.sessions(&p))).await
}

async fn csv(State(v): Shared, p: Params) -> Response {
    blocking(move || answer(v.csv(&p))).await
}

async fn spiview(State(v): Shared, p: Params) -> Response {
    blocking(move || answer(v.spiview(&p))).await
}

async fn spigraph(State(v): Shared, p: Params) -> Response {
    blocking(move || answer(v.spigraph(&p))).await
}

async fn connections(State(v): Shared, p: Params) -> Response {
    blocking(move || answer(v.connections(&p))).await
}

async fn unique(State(v): Shared, p: Params) -> Response {
    blocking(move || answer(v.unique(&p))).await
}

async fn fields(State(v): Shared) -> Response {
    v.fields()
}

async fn stats(State(v): Shared) -> Response {
    blocking(move || answer(v.stats())).await
}

async fn dstats(State(v): Shared, p: Params) -> Response {
    blocking(move || answer(v.dstats(&p))).await
}

/// `/api/session/…`: `ID`, `ID/detail`, `ID/packets`, `NODE/ID/detail`,
/// `NODE/ID/packets` and `NODE/ID.pcap`.
async fn session(
    State(v): Shared,
    rest: Result<Path<String>, PathRejection>,
    p: Params,
) -> Response {
    let rest = match rest {
        Ok(Path(r)) => r,
        Err(e) => return error(e.status(), &e.body_text()),
    };
    let parts: Vec<String> = rest.split('/').map(str::to_string).collect();
    match parts.as_slice() {
        [id] => {
            let id = id.clone();
            blocking(move || answer(v.session(&id))).await
        }
        [.., id, what] if what == "detail" && parts.len() <= 3 => {
            let id = id.clone();
            blocking(move || answer(v.detail(&id))).await
        }
        [.., id, what] if what == "packets" && parts.len() <= 3 => {
            let id = id.clone();
            blocking(move || answer(v.packets(&id, &p))).await
        }
        [_node, file] if file.ends_with(".pcap") => {
            let id = file.trim_end_matches(".pcap").to_string();
            one_pcap(v, id).await
        }
        _ => no_such(&format!("/api/session/{rest}")),
    }
}

/// `/:node/:id.pcap`.
async fn node_pcap(State(v): Shared, Path((_node, file)): Path<(String, String)>) -> Response {
    match file.strip_suffix(".pcap") {
        Some(id) => one_pcap(v, id.to_string()).await,
        None => no_such(&format!("/{_node}/{file}")),
    }
}

/// The pcap of one session.
async fn one_pcap(v: Arc<Viewer>, id: String) -> Response {
    let p = Params {
        ids: Some(id),
        ..Params::default()
    };
    stream_pcap(v, p, "session.pcap").await
}

async fn page() -> Response {
    assets::respond("index.html")
}

async fn asset(Path(name): Path<String>) -> Response {
    assets::respond(&name)
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
    stream_pcap(v, p, "sessions.pcap").await
}

/// Streams the pcap of `p`'s sessions as attachment `filename`.
async fn stream_pcap(v: Arc<Viewer>, p: Params, filename: &'static str) -> Response {
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
        HeaderValue::from_str(&format!("attachment; filename={filename}"))
            .unwrap_or(HeaderValue::from_static("attachment")),
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

/// The API's routes with [`guard`]'s protections, open to anyone.
pub fn router(viewer: Arc<Viewer>) -> Router {
    router_with(viewer, None)
}

/// The API's routes with [`guard`]'s protections and, with `auth`, the login and
/// logout routes and a login required everywhere else but the page's files.
pub fn router_with(viewer: Arc<Viewer>, auth: Option<Arc<Auth>>) -> Router {
    let mut r = Router::new()
        .route("/api/sessions", get(sessions).post(sessions))
        .route("/api/sessions.json", get(sessions).post(sessions))
        .route("/api/sessions/pcap", get(pcap).post(pcap))
        .route("/api/sessions.pcap", get(pcap).post(pcap))
        .route("/api/sessions.csv", get(csv).post(csv))
        .route("/api/sessions/csv", get(csv).post(csv))
        .route("/api/session/{*rest}", get(session))
        .route("/api/spiview", get(spiview).post(spiview))
        .route("/api/spigraph", get(spigraph).post(spigraph))
        .route("/api/connections", get(connections).post(connections))
        .route("/api/unique", get(unique).post(unique))
        .route("/api/unique.txt", get(unique).post(unique))
        .route("/api/fields", get(fields))
        .route("/api/stats", get(stats))
        .route("/api/stats.json", get(stats))
        .route("/api/dstats", get(dstats))
        .route("/", get(page))
        .route("/assets/{name}", get(asset))
        .route("/{node}/{file}", get(node_pcap))
        .fallback(no_endpoint)
        .method_not_allowed_fallback(no_method)
        .with_state(viewer);
    if let Some(a) = auth {
        let login = Router::new()
            .route("/api/login", post(auth::login))
            .route("/api/logout", post(auth::logout))
            .with_state(Arc::clone(&a));
        r = r
            .merge(login)
            .layer(axum::middleware::from_fn_with_state(a, auth::require));
    }
    guard(r.layer(compression()))
}

/// Answers go gzipped to a client that accepts it (the page's script and the JSON
/// of a search shrink several times over a slow link), except pcap, which hardly
/// shrinks and is streamed.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().compress_when(
        DefaultPredicate::new().and(NotForContentType::const_new("application/vnd.tcpdump.pcap")),
    )
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
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
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
        let http = http.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let done = match tls {
                None => http.serve_connection(TokioIo::new(stream), svc).await,
                Some(acceptor) => {
                    match tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => http.serve_connection(TokioIo::new(s), svc).await,
                        Ok(Err(e)) => {
                            tracing::debug!("TLS handshake with {peer}: {e}");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake with {peer}: timed out");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = done {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(slot);
        });
    }
}

/// How `trawl serve` protects what it serves.
#[derive(Default)]
pub struct ServeOptions {
    /// Users who must log in; none: anyone may use it (loopback only).
    pub auth: Option<Auth>,
    /// TLS certificate chain and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// The TLS configuration of a PEM certificate chain and private key.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<rustls::ServerConfig> {
    use anyhow::Context as _;
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("certFile {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("certFile {}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("certFile {}: no certificate in it", cert.display());
    }
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("keyFile {}", key.display()))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("certFile and keyFile do not go together")?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Listens on `listen`, calls `ready` with the address bound, and serves the API
/// until the process ends, with `threads` worker threads.
pub fn serve(
    listen: &str,
    threads: usize,
    viewer: Viewer,
    opts: ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let tls = match &opts.tls {
        Some((cert, key)) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls_config(
            cert, key,
        )?))),
        None => None,
    };
    let auth = opts.auth.map(Arc::new);
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
        serve_on(listener, router_with(Arc::new(viewer), auth), tls).await;
        Ok(())
    })
}
