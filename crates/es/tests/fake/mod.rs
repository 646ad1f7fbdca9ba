//! A scriptable fake Elasticsearch for the tests: a small HTTP/1.1 server on a raw
//! TcpListener whose behaviour is switched over time (`set`) or for the next bulk
//! requests (`script`). It records the documents it accepted, by `_id`.
//!
//! `GET /` is answered 200 whatever the mode (except `Refuse`, where nothing
//! listens), so a capture starts and the fault hits its bulk requests. The requests a
//! capture makes before it reads anything are answered as an initialized Arkime
//! cluster would (the sessions3 template's version, the file number sequence, an
//! empty `fields` index and its `_bulk`, the refresh at exit), outside the modes and not recorded.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Picks documents by `_id`.
pub type Pick = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// How the fake answers a bulk request.
#[derive(Clone)]
pub enum Mode {
    /// Every document accepted (201 each).
    Normal,
    /// The whole request answered with this status (429, 500, 400…).
    Status(u16),
    /// 413 when the bulk holds more than this many documents, else `Normal`.
    TooLargeOver(usize),
    /// Per item: the picked documents get `status` with error `kind` the first
    /// `times` times they are sent; the others are accepted.
    ItemStatus {
        status: u16,
        kind: &'static str,
        pick: Pick,
        times: u32,
    },
    /// Per item: documents holding this field (dotted key or nested path) get a
    /// 400 `mapper_parsing_exception` naming it; the others are accepted.
    FieldRefused(String),
    /// Per item: the picked documents get a 400 that names no field (cannot be fixed).
    ItemRefused(Pick),
    /// 200 with an HTML page (a proxy's), nothing indexed.
    Html,
    /// Documents indexed, then the connection closed halfway through the answer.
    CloseMid,
    /// The request is read and never answered.
    Hang,
    /// Nothing listens: connections are refused.
    Refuse,
}

#[derive(Default)]
struct St {
    script: VecDeque<Mode>,
    mode: Option<Mode>,
    /// `_id` → (`_index`, body) of the documents accepted.
    accepted: BTreeMap<String, (String, String)>,
    /// Documents accepted, duplicates included.
    accepted_total: u64,
    /// File number sequences by path: their current version.
    sequence: HashMap<String, u32>,
    bulk_requests: u64,
    get_requests: u64,
    seen: HashMap<String, u32>,
}

struct Inner {
    st: Mutex<St>,
    stop: AtomicBool,
}

/// The fake cluster; stops (and ends hanging answers) when dropped.
pub struct Fake {
    pub url: String,
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl Fake {
    pub fn start(mode: Mode) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let inner = Arc::new(Inner {
            st: Mutex::new(St {
                mode: Some(mode),
                ..St::default()
            }),
            stop: AtomicBool::new(false),
        });
        let i = Arc::clone(&inner);
        std::thread::spawn(move || accept_loop(Some(l), addr, &i));
        Fake {
            url: format!("http://{addr}"),
            addr,
            inner,
        }
    }

    /// From now on, answer this way.
    pub fn set(&self, mode: Mode) {
        self.inner.st.lock().unwrap().mode = Some(mode);
        // Give the accept loop time to close or reopen the listener.
        std::thread::sleep(Duration::from_millis(30));
    }

    /// The next bulk requests are answered by these modes, in order; then by the
    /// mode set.
    pub fn script(&self, modes: Vec<Mode>) {
        self.inner.st.lock().unwrap().script.extend(modes);
    }

    pub fn accepted_ids(&self) -> BTreeSet<String> {
        self.inner
            .st
            .lock()
            .unwrap()
            .accepted
            .keys()
            .cloned()
            .collect()
    }

    /// Accepted documents by `_id` (the last body sent).
    pub fn accepted(&self) -> BTreeMap<String, String> {
        let st = self.inner.st.lock().unwrap();
        st.accepted
            .iter()
            .map(|(id, (_, body))| (id.clone(), body.clone()))
            .collect()
    }

    /// The `_index` of each document accepted.
    pub fn accepted_indexes(&self) -> Vec<String> {
        let st = self.inner.st.lock().unwrap();
        st.accepted.values().map(|(i, _)| i.clone()).collect()
    }

    pub fn accepted_total(&self) -> u64 {
        self.inner.st.lock().unwrap().accepted_total
    }

    pub fn bulk_requests(&self) -> u64 {
        self.inner.st.lock().unwrap().bulk_requests
    }

    pub fn get_requests(&self) -> u64 {
        self.inner.st.lock().unwrap().get_requests
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
    }
}

fn refusing(inner: &Inner) -> bool {
    let st = inner.st.lock().unwrap();
    st.script.is_empty() && matches!(st.mode, Some(Mode::Refuse))
}

fn accept_loop(mut l: Option<TcpListener>, addr: SocketAddr, inner: &Arc<Inner>) {
    while !inner.stop.load(Ordering::SeqCst) {
        if refusing(inner) {
            l = None;
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let Some(listener) = l.as_ref() else {
            // Listen again on the same port.
            match TcpListener::bind(addr) {
                Ok(n) => {
                    n.set_nonblocking(true).unwrap();
                    l = Some(n);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
            continue;
        };
        listener.set_nonblocking(true).unwrap();
        match listener.accept() {
            Ok((s, _)) => {
                let i = Arc::clone(inner);
                std::thread::spawn(move || {
                    let _ = connection(s, &i);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let (mut len, mut gz) = (0usize, false);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "content-length" {
                len = v.parse().unwrap_or(0);
            } else if k == "content-encoding" && v == "gzip" {
                gz = true;
            }
        }
    }
    let mut raw = vec![0; len];
    r.read_exact(&mut raw)?;
    let body = if gz {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        out
    } else {
        raw
    };
    Ok(Some(Request { method, path, body }))
}

fn respond(s: &mut TcpStream, status: u16, ctype: &str, body: &str) -> std::io::Result<()> {
    // One write: several small ones meet Nagle and delayed ACKs (40 ms each).
    let answer = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(answer.as_bytes())?;
    s.flush()
}

/// The answer of an initialized Arkime cluster (schema 86) to a capture's startup
/// requests, or `None` for requests the modes decide.
fn as_initialized_cluster(req: &Request, inner: &Arc<Inner>) -> Option<String> {
    if refusing(inner) {
        return None;
    }
    let path = req.path.split('?').next().unwrap_or("");
    if let Some(name) = path.strip_prefix("/_template/") {
        return Some(format!(
            r#"{{"{name}":{{"mappings":{{"_meta":{{"molochDbVersion":86}}}}}}}}"#
        ));
    }
    if path.contains("sequence/_doc/") {
        let mut st = inner.st.lock().unwrap();
        let v = st.sequence.entry(path.to_string()).or_insert(100);
        if req.method == "POST" {
            *v += 1;
        }
        return Some(format!(r#"{{"found":true,"_version":{v}}}"#));
    }
    if path.ends_with("/_refresh") {
        return Some("{}".to_string());
    }
    if path.ends_with("fields/_search") {
        return Some(r#"{"hits":{"total":{"value":0},"hits":[]}}"#.to_string());
    }
    if path == "/_bulk" && req.body.starts_with(b"{\"create\"") {
        // The fields documents capture adds (the only `create` bulk it sends).
        let n = req
            .body
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"{\"create\""))
            .count();
        let items = vec![r#"{"create":{"status":201}}"#; n].join(",");
        return Some(format!(r#"{{"errors":false,"items":[{items}]}}"#));
    }
    None
}

fn connection(s: TcpStream, inner: &Arc<Inner>) -> std::io::Result<()> {
    s.set_nodelay(true)?;
    let mut w = s.try_clone()?;
    let mut r = BufReader::new(s);
    while let Some(req) = read_request(&mut r)? {
        if inner.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Some(answer) = as_initialized_cluster(&req, inner) {
            respond(&mut w, 200, "application/json", &answer)?;
            continue;
        }
        if req.method == "GET" {
            inner.st.lock().unwrap().get_requests += 1;
            if refusing(inner) {
                return Ok(());
            }
            respond(
                &mut w,
                200,
                "application/json",
                r#"{"version":{"number":"8.15.0"}}"#,
            )?;
            continue;
        }
        assert_eq!(req.path, "/_bulk");
        let mode = {
            let mut st = inner.st.lock().unwrap();
            st.bulk_requests += 1;
            let m = st.script.pop_front();
            m.or_else(|| st.mode.clone()).unwrap_or(Mode::Normal)
        };
        let docs = parse_bulk(&req.body);
        match mode {
            Mode::Refuse => return Ok(()),
            Mode::Hang => {
                while !inner.stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return Ok(());
            }
            Mode::Html => respond(
                &mut w,
                200,
                "text/html",
                "<html><body>Service temporarily moved</body></html>",
            )?,
            Mode::Status(code) => respond(
                &mut w,
                code,
                "application/json",
                &format!(
                    r#"{{"error":{{"type":"fake","reason":"status {code}"}},"status":{code}}}"#
                ),
            )?,
            Mode::TooLargeOver(n) if docs.len() > n => {
                respond(&mut w, 413, "text/plain", "request entity too large")?
            }
            Mode::CloseMid => {
                let answer = answer_items(inner, &docs, &Mode::Normal);
                let cut = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                    answer.len(),
                    &answer[..answer.len() / 2]
                );
                w.write_all(cut.as_bytes())?;
                w.flush()?;
                return Ok(());
            }
            m => {
                let answer = answer_items(inner, &docs, &m);
                respond(&mut w, 200, "application/json", &answer)?
            }
        }
    }
    Ok(())
}

/// (index, id, body) of each document of a bulk body.
fn parse_bulk(body: &[u8]) -> Vec<(String, String, String)> {
    let text = String::from_utf8_lossy(body);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines
        .chunks(2)
        .map(|p| {
            let a: serde_json::Value = serde_json::from_str(p[0]).unwrap();
            (
                a["index"]["_index"].as_str().unwrap_or("").to_string(),
                a["index"]["_id"].as_str().unwrap_or("").to_string(),
                p.get(1).unwrap_or(&"").to_string(),
            )
        })
        .collect()
}

/// Whether a document holds `path` as a dotted key or through nested objects.
pub fn has_field(v: &serde_json::Value, path: &str) -> bool {
    let Some(o) = v.as_object() else {
        return match v {
            serde_json::Value::Array(a) => a.iter().any(|e| has_field(e, path)),
            _ => false,
        };
    };
    if o.contains_key(path) {
        return true;
    }
    path.match_indices('.').any(|(i, _)| {
        o.get(&path[..i])
            .is_some_and(|c| has_field(c, &path[i + 1..]))
    })
}

fn answer_items(inner: &Arc<Inner>, docs: &[(String, String, String)], mode: &Mode) -> String {
    let mut st = inner.st.lock().unwrap();
    let mut items = Vec::new();
    let mut errors = false;
    for (index, id, body) in docs {
        let seen = {
            let n = st.seen.entry(id.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let refusal: Option<(u16, serde_json::Value)> = match mode {
            Mode::ItemStatus {
                status,
                kind,
                pick,
                times,
            } if pick(id) && seen <= *times => Some((
                *status,
                serde_json::json!({"type": kind, "reason": "rejected by the fake"}),
            )),
            Mode::FieldRefused(f) => {
                let v: serde_json::Value = serde_json::from_str(body).unwrap();
                has_field(&v, f).then(|| {
                    (400, serde_json::json!({
                        "type": "document_parsing_exception",
                        "reason": format!("[1:17] failed to parse field [{f}] of type [long] in document with id '{id}'. Preview of field's value: 'abc'"),
                        "caused_by": {"type": "illegal_argument_exception", "reason": "For input string: \"abc\""}
                    }))
                })
            }
            Mode::ItemRefused(pick) if pick(id) => Some((
                400,
                serde_json::json!({"type": "illegal_argument_exception", "reason": format!("Limit of total fields [1000] in index [{index}] has been exceeded")}),
            )),
            _ => None,
        };
        match refusal {
            Some((status, error)) => {
                errors = true;
                items.push(serde_json::json!({"index": {"_index": index, "_id": id, "status": status, "error": error}}));
            }
            None => {
                st.accepted
                    .insert(id.clone(), (index.clone(), body.clone()));
                st.accepted_total += 1;
                items.push(serde_json::json!({"index": {"_index": index, "_id": id, "status": 201, "result": "created"}}));
            }
        }
    }
    serde_json::json!({"took": 1, "errors": errors, "items": items}).to_string()
}

/// The `_id`s in the bulk files (`.ndjson`, action and document lines) of a directory.
pub fn spool_ids(dir: &Path) -> Vec<String> {
    ids_in(dir, 2)
}

/// The `_id`s in the dead-letter files of a directory (action, document, reason).
pub fn dead_letter_ids(dir: &Path) -> Vec<String> {
    ids_in(dir, 3)
}

fn ids_in(dir: &Path, per_doc: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<_> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ndjson"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len() % per_doc, 0, "{}", f.display());
        for rec in lines.chunks(per_doc) {
            let a: serde_json::Value = serde_json::from_str(rec[0]).unwrap();
            serde_json::from_str::<serde_json::Value>(rec[1]).unwrap();
            out.push(a["index"]["_id"].as_str().unwrap().to_string());
        }
    }
    out
}

/// The `_index` of every document in the bulk files of a directory.
pub fn spool_indexes(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for p in rd.filter_map(|e| e.ok()).map(|e| e.path()) {
        if !(p.is_file() && p.extension().is_some_and(|x| x == "ndjson")) {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for rec in lines.chunks(2) {
            let a: serde_json::Value = serde_json::from_str(rec[0]).unwrap();
            out.push(a["index"]["_index"].as_str().unwrap().to_string());
        }
    }
    out
}
