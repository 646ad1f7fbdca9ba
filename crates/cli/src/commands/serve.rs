//! `trawl serve`: a JSON HTTP API over the embedded store, on loopback by default,
//! with the names and parameters of Arkime's viewer API:
//!
//! * `GET /api/sessions?expression=&date=&startTime=&stopTime=&length=&order=&fields=`
//!   → `{"recordsTotal","recordsFiltered","data":[…]}`, each session its document plus
//!   `id` and `index` (or only the `fields` asked for, by database name).
//! * `GET /api/session/<id>` → that session's document.
//! * `GET /api/sessions/pcap?expression=…` (also `/api/sessions.pcap`) → a pcap of the
//!   matching sessions' packets.
//! * `GET /api/stats` → the store's partitions and totals, and each capturing node's
//!   latest stats document (Arkime's `stats` fields).
//!
//! A bad expression answers 400 with `{"error": …}` giving its position.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use tiny_http::{Header, Method, Request, Response, Server};
use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_store::{SearchOpts, Store};

use super::sessions::{compile, db_name, parse_time, values_at, StoreArgs};
use super::setup;

/// Options of `trawl serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on (loopback by default; the API has no authentication).
    #[arg(long, default_value = "127.0.0.1:8005")]
    pub listen: String,
    /// Worker threads answering requests.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

struct Ctx {
    st: Settings,
    reg: FieldRegistry,
}

type Answer = Response<std::io::Cursor<Vec<u8>>>;

fn json(code: u16, body: &serde_json::Value) -> Answer {
    let mut r = Response::from_data(body.to_string().into_bytes()).with_status_code(code);
    if let Ok(h) = Header::from_bytes("Content-Type", "application/json") {
        r.add_header(h);
    }
    r
}

fn error(code: u16, msg: &str) -> Answer {
    json(code, &serde_json::json!({ "error": msg }))
}

/// Decodes `%xx` and `+` in a query string component.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path and the query parameters of a request URL.
fn split_url(url: &str) -> (String, HashMap<String, String>) {
    let (path, q) = url.split_once('?').unwrap_or((url, ""));
    let params = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect();
    (path.to_string(), params)
}

/// The search options of Arkime's session parameters.
fn search_opts(
    p: &HashMap<String, String>,
    reg: &FieldRegistry,
    default_len: usize,
) -> Result<SearchOpts, String> {
    let mut o = SearchOpts {
        limit: default_len,
        ..SearchOpts::default()
    };
    if let Some(l) = p.get("length") {
        o.limit = l
            .parse()
            .map_err(|_| format!("length '{l}' is not a number"))?;
    }
    let time = |k: &str| -> Result<Option<i64>, String> {
        p.get(k)
            .filter(|v| !v.is_empty())
            .map(|v| parse_time(v).map_err(|e| e.to_string()))
            .transpose()
    };
    o.start_ms = time("startTime")?;
    o.stop_ms = time("stopTime")?;
    if let Some(d) = p.get("date").filter(|v| !v.is_empty()) {
        let h: f64 = d
            .parse()
            .map_err(|_| format!("date '{d}' is not a number of hours"))?;
        if h > 0.0 {
            o.start_ms = Some(chrono::Utc::now().timestamp_millis() - (h * 3_600_000.0) as i64);
            o.stop_ms = None;
        }
    }
    if let Some(ord) = p.get("order").filter(|v| !v.is_empty()) {
        let first = ord.split(',').next().unwrap_or("");
        let (f, dir) = first.split_once(':').unwrap_or((first, "asc"));
        o.sort = (db_name(reg, f), dir.eq_ignore_ascii_case("desc"));
    }
    Ok(o)
}

fn sessions(ctx: &Ctx, p: &HashMap<String, String>) -> Answer {
    let q = match compile(p.get("expression").map(String::as_str), &ctx.reg) {
        Ok(q) => q,
        Err(e) => return error(400, &e.to_string()),
    };
    let o = match search_opts(p, &ctx.reg, 100) {
        Ok(o) => o,
        Err(e) => return error(400, &e),
    };
    let store = match Store::open(&ctx.st.data_dir) {
        Ok(s) => s,
        Err(e) => return error(500, &e.to_string()),
    };
    let (total, hits) = match store.search(&q, &o) {
        Ok(r) => r,
        Err(e) => return error(400, &e.to_string()),
    };
    let fields: Option<Vec<String>> = p
        .get("fields")
        .filter(|f| !f.is_empty())
        .map(|f| f.split(',').map(|x| db_name(&ctx.reg, x.trim())).collect());
    let data: Vec<serde_json::Value> = hits
        .iter()
        .map(|h| {
            let src: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
            let mut obj = match &fields {
                None => src.as_object().cloned().unwrap_or_default(),
                Some(fs) => fs
                    .iter()
                    .map(|f| {
                        let v = values_at(&src, f);
                        (f.clone(), serde_json::json!(v))
                    })
                    .collect(),
            };
            obj.insert("id".into(), h.id.clone().into());
            obj.insert("index".into(), h.partition.clone().into());
            serde_json::Value::Object(obj)
        })
        .collect();
    json(
        200,
        &serde_json::json!({ "recordsTotal": total, "recordsFiltered": total, "data": data }),
    )
}

fn session(ctx: &Ctx, id: &str) -> Answer {
    let store = match Store::open(&ctx.st.data_dir) {
        Ok(s) => s,
        Err(e) => return error(500, &e.to_string()),
    };
    match store.get(id) {
        Some(h) => {
            let src: serde_json::Value = serde_json::from_str(&h.source).unwrap_or_default();
            json(
                200,
                &serde_json::json!({ "id": h.id, "index": h.partition, "source": src }),
            )
        }
        None => error(404, &format!("no session {id}")),
    }
}

fn pcap(ctx: &Ctx, p: &HashMap<String, String>) -> Answer {
    let q = match compile(p.get("expression").map(String::as_str), &ctx.reg) {
        Ok(q) => q,
        Err(e) => return error(400, &e.to_string()),
    };
    let o = match search_opts(p, &ctx.reg, 100_000) {
        Ok(o) => o,
        Err(e) => return error(400, &e),
    };
    let store = match Store::open(&ctx.st.data_dir) {
        Ok(s) => s,
        Err(e) => return error(500, &e.to_string()),
    };
    let hits = match store.search(&q, &o) {
        Ok((_, h)) => h,
        Err(e) => return error(400, &e.to_string()),
    };
    let mut buf = Vec::new();
    match super::pcap::export(&ctx.st.data_dir, &hits, &mut buf) {
        Ok(r) => {
            if r.bad_sessions > 0 {
                tracing::error!(
                    "pcap export: {} sessions had {} packets that could not be read",
                    r.bad_sessions,
                    r.bad_packets
                );
            }
            let mut resp = Response::from_data(buf);
            for (k, v) in [
                ("Content-Type", "application/vnd.tcpdump.pcap"),
                ("Content-Disposition", "attachment; filename=sessions.pcap"),
            ] {
                if let Ok(h) = Header::from_bytes(k, v) {
                    resp.add_header(h);
                }
            }
            if let Ok(h) =
                Header::from_bytes("X-Trawl-Unreadable-Sessions", r.bad_sessions.to_string())
            {
                resp.add_header(h);
            }
            resp
        }
        Err(e) => error(500, &format!("{e:#}")),
    }
}

fn stats(ctx: &Ctx) -> Answer {
    let store = match Store::open(&ctx.st.data_dir) {
        Ok(s) => s,
        Err(e) => return error(500, &e.to_string()),
    };
    let parts: Vec<serde_json::Value> = store
        .info()
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name, "docs": p.docs, "bytes": p.bytes,
                "firstPacket": p.span.map(|s| s.0), "lastPacket": p.span.map(|s| s.1),
            })
        })
        .collect();
    let docs: u64 = parts.iter().filter_map(|p| p["docs"].as_u64()).sum();
    json(
        200,
        &serde_json::json!({
            "sessions": docs,
            "partitions": parts,
            "dataDir": ctx.st.data_dir,
            "nodes": crate::stats::read_all(&ctx.st.data_dir),
        }),
    )
}

fn answer(ctx: &Ctx, req: &Request) -> Answer {
    if req.method() != &Method::Get {
        return error(405, "only GET is supported");
    }
    let (path, params) = split_url(req.url());
    match path.as_str() {
        "/api/sessions" | "/api/sessions.json" => sessions(ctx, &params),
        "/api/sessions/pcap" | "/api/sessions.pcap" => pcap(ctx, &params),
        "/api/stats" | "/api/stats.json" => stats(ctx),
        p => match p.strip_prefix("/api/session/") {
            Some(id) if !id.is_empty() => session(ctx, &unescape(id.trim_end_matches("/detail"))),
            _ => error(404, &format!("no such endpoint {p}")),
        },
    }
}

/// Runs `trawl serve` until killed.
pub fn run(a: ServeArgs) -> Result<ExitCode> {
    let (_cfg, st) = a.store.load()?;
    let reg = setup::field_registry(&st);
    let server = Server::http(&a.listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", a.listen))?;
    let addr = server.server_addr();
    tracing::info!(
        "serving the store in {} on http://{addr}",
        st.data_dir.display()
    );
    // Tests and scripts read the address from stdout.
    println!("listening on http://{addr}");
    let ctx = Arc::new(Ctx { st, reg });
    let server = Arc::new(server);
    let mut workers = Vec::new();
    for i in 0..a.threads.max(1) {
        let (server, ctx) = (Arc::clone(&server), Arc::clone(&ctx));
        workers.push(
            std::thread::Builder::new()
                .name(format!("serve-{i}"))
                .spawn(move || {
                    for req in server.incoming_requests() {
                        let resp = answer(&ctx, &req);
                        if let Err(e) = req.respond(resp) {
                            tracing::debug!("answering: {e}");
                        }
                    }
                })
                .context("starting a server thread")?,
        );
    }
    for w in workers {
        let _ = w.join();
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let (p, q) = split_url("/api/sessions?expression=ip.src+%3D%3D+10.0.0.0%2F8&length=5&x");
        assert_eq!(p, "/api/sessions");
        assert_eq!(q["expression"], "ip.src == 10.0.0.0/8");
        assert_eq!(q["length"], "5");
        assert_eq!(q["x"], "");
        assert_eq!(unescape("%zz%4"), "%zz%4", "bad escapes kept");
    }
}
