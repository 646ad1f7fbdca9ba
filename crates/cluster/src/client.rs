//! A small blocking JSON client for the cluster: one request at a time, tried on each
//! `elasticsearch=` URL in turn until one answers, with the `Authorization` header
//! Arkime's config gives (`elasticsearchBasicAuth`, `elasticsearchAPIKey`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

/// How much of an answer an error quotes.
const QUOTE: usize = 300;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No URL answered at all.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The last URL tried.
        url: String,
        /// Why (connection refused, timeout, ...).
        reason: String,
    },
    /// The cluster answered with an error status.
    #[error("{method} {path}: {status} {reason}")]
    Status {
        /// Method.
        method: String,
        /// Path asked.
        path: String,
        /// HTTP status.
        status: u16,
        /// The error's type and reason, or the start of the body.
        reason: String,
    },
    /// The answer was not what the request gives (not JSON, a missing key, ...).
    #[error("{0}")]
    BadAnswer(String),
}

/// A cluster's answer: its status and its JSON body (`Null` when it had none).
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Parsed body.
    pub body: Value,
}

/// The client.
pub struct Client {
    urls: Vec<String>,
    auth: Option<String>,
    agent: ureq::Agent,
    next: AtomicUsize,
}

/// The `Authorization` header value from Arkime's config values: `elasticsearchAPIKey`
/// wins over `elasticsearchBasicAuth` (`user:password`, or its base64 already).
pub fn auth_header(basic: Option<&str>, api_key: Option<&str>) -> Option<String> {
    use base64::Engine;
    if let Some(k) = api_key.filter(|k| !k.is_empty()) {
        return Some(format!("ApiKey {k}"));
    }
    basic.filter(|a| !a.is_empty()).map(|a| {
        let v = if a.contains(':') {
            base64::engine::general_purpose::STANDARD.encode(a)
        } else {
            a.to_string()
        };
        format!("Basic {v}")
    })
}

/// The type and reason of an Elasticsearch error body, or the start of the body.
pub fn error_reason(body: &Value, raw: &str) -> String {
    let e = body.get("error");
    let root = e
        .and_then(|e| e.get("root_cause"))
        .and_then(|r| r.get(0))
        .or(e);
    match root {
        Some(Value::Object(o)) => {
            let t = o.get("type").and_then(Value::as_str).unwrap_or("error");
            let r = o.get("reason").and_then(Value::as_str).unwrap_or("");
            format!("{t}: {r}")
        }
        Some(Value::String(s)) => s.clone(),
        _ => raw.chars().take(QUOTE).collect(),
    }
}

/// The error of an answer that is not a 2xx: its status and the cluster's reason.
pub fn status_error(method: &str, path: &str, r: &Reply) -> ClusterError {
    let raw = match &r.body {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    ClusterError::Status {
        method: method.to_string(),
        path: path.to_string(),
        status: r.status,
        reason: error_reason(&r.body, &raw),
    }
}

/// The body of a 2xx answer, else its [`status_error`].
pub fn ok_reply(method: &str, path: &str, r: Reply) -> Result<Value, ClusterError> {
    if (200..300).contains(&r.status) {
        Ok(r.body)
    } else {
        Err(status_error(method, path, &r))
    }
}

impl Client {
    /// A client for `urls` (comma-separated in the config: give them split, each with
    /// its scheme; `host:port` alone means `http://`).
    pub fn new(urls: &[String], auth: Option<String>, timeout: Duration) -> Client {
        let urls = urls
            .iter()
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|u| !u.is_empty())
            .map(|u| {
                if u.contains("://") {
                    u.to_string()
                } else {
                    format!("http://{u}")
                }
            })
            .collect();
        Client {
            urls,
            auth,
            agent: ureq::AgentBuilder::new()
                .timeout(timeout)
                .max_idle_connections_per_host(4)
                .build(),
            next: AtomicUsize::new(0),
        }
    }

    /// From a comma-separated `elasticsearch=` value.
    pub fn from_config(elasticsearch: &str, auth: Option<String>, timeout: Duration) -> Client {
        let urls: Vec<String> = elasticsearch.split(',').map(str::to_string).collect();
        Client::new(&urls, auth, timeout)
    }

    /// The URLs, as used.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Sends one request; a body is JSON (or, for `_bulk`, ndjson given as
    /// [`Value::String`]). Any status comes back as a [`Reply`]; only a failure to get
    /// an answer from every URL is an error.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ClusterError> {
        if self.urls.is_empty() {
            return Err(ClusterError::Unreachable {
                url: String::new(),
                reason: "no elasticsearch URL configured".into(),
            });
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut last = None;
        for i in 0..self.urls.len() {
            let url = &self.urls[(start + i) % self.urls.len()];
            let full = format!("{url}/{}", path.trim_start_matches('/'));
            let mut req = self.agent.request(method, &full);
            if let Some(a) = &self.auth {
                req = req.set("Authorization", a);
            }
            let res = match body {
                None => req.call(),
                Some(Value::String(nd)) => req
                    .set("Content-Type", "application/x-ndjson")
                    .send_string(nd),
                Some(v) => req
                    .set("Content-Type", "application/json")
                    .send_string(&v.to_string()),
            };
            let resp = match res {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(ureq::Error::Transport(t)) => {
                    last = Some(ClusterError::Unreachable {
                        url: url.clone(),
                        reason: t.to_string(),
                    });
                    continue;
                }
            };
            let status = resp.status();
            let text = resp.into_string().unwrap_or_default();
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            return Ok(Reply { status, body });
        }
        Err(last.unwrap_or_else(|| ClusterError::Unreachable {
            url: String::new(),
            reason: "no answer".into(),
        }))
    }

    /// Sends and insists on a 2xx answer, else an error with the cluster's reason.
    pub fn ok(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClusterError> {
        let r = self.send(method, path, body)?;
        ok_reply(method, path, r)
    }

    /// GET, 2xx only.
    pub fn get(&self, path: &str) -> Result<Value, ClusterError> {
        self.ok("GET", path, None)
    }

    /// GET that gives `None` on 404.
    pub fn get_opt(&self, path: &str) -> Result<Option<Value>, ClusterError> {
        let r = self.send("GET", path, None)?;
        if r.status == 404 {
            return Ok(None);
        }
        ok_reply("GET", path, r).map(Some)
    }

    /// PUT with a JSON body, 2xx only.
    pub fn put(&self, path: &str, body: &Value) -> Result<Value, ClusterError> {
        self.ok("PUT", path, Some(body))
    }

    /// POST with a JSON body, 2xx only.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ClusterError> {
        self.ok("POST", path, Some(body))
    }

    /// DELETE, 2xx only (404 too: it is gone either way).
    pub fn delete(&self, path: &str) -> Result<(), ClusterError> {
        let r = self.send("DELETE", path, None)?;
        if r.status == 404 {
            return Ok(());
        }
        ok_reply("DELETE", path, r).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        let b: Value = serde_json::from_str(
            r#"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [x]"}],"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}"#,
        )
        .unwrap();
        assert_eq!(
            error_reason(&b, ""),
            "index_not_found_exception: no such index [x]"
        );
        assert_eq!(
            error_reason(&Value::Null, "<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn auth() {
        assert_eq!(auth_header(Some("u:p"), None).unwrap(), "Basic dTpw");
        assert_eq!(auth_header(Some("dTpw"), None).unwrap(), "Basic dTpw");
        assert_eq!(auth_header(Some("u:p"), Some("k")).unwrap(), "ApiKey k");
        assert_eq!(auth_header(Some(""), None), None);
    }

    #[test]
    fn nothing_listening_is_unreachable() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let c = Client::from_config(&format!("127.0.0.1:{port}"), None, Duration::from_secs(2));
        match c.get("/") {
            Err(ClusterError::Unreachable { url, .. }) => assert!(url.ends_with(&port.to_string())),
            other => panic!("{other:?}"),
        }
    }
}
