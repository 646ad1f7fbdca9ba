//! Who may use `trawl serve`: users from a file of argon2 password hashes (one
//! `name:$argon2id$…` per line, managed by `trawl user add|del|list`), logged in
//! through the page's form (`POST /api/login`, a session cookie) or HTTP basic
//! authentication for scripts. With users configured, every route but the page's own
//! files and the login answers 401 without a login.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::Digest as _;

/// The session cookie's name.
pub const COOKIE: &str = "TRAWL_SESSION";
/// How long a login lasts without use.
const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// How long a checked basic authorization header is remembered (argon2 is slow by
/// design; a script's every request should not pay it).
const BASIC_CACHE: Duration = Duration::from_secs(300);
/// The pause before answering a failed login, to slow guessing.
const FAIL_DELAY: Duration = Duration::from_millis(400);
/// Most sessions and remembered headers kept; the oldest go first.
const MAX_SESSIONS: usize = 10_000;

/// Whether `name` may be a user name: letters, digits and `. _ @ -`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// The users file.
#[derive(Clone, Debug, Default)]
pub struct Users {
    path: PathBuf,
    users: Vec<(String, String)>,
}

impl Users {
    /// The users of the file at `path`; no file is no users.
    pub fn load(path: &Path) -> Result<Users> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut users = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, hash)) = line.split_once(':') else {
                bail!("{}:{}: not name:hash", path.display(), n + 1);
            };
            if !valid_name(name) || PasswordHash::new(hash).is_err() {
                bail!(
                    "{}:{}: not a user name and argon2 hash",
                    path.display(),
                    n + 1
                );
            }
            users.push((name.to_string(), hash.to_string()));
        }
        Ok(Users {
            path: path.to_path_buf(),
            users,
        })
    }

    /// Writes the file (readable by its owner only), replacing it whole.
    pub fn save(&self) -> Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut text = String::from("# trawl users: name:argon2 hash (trawl user add|del|list)\n");
        for (n, h) in &self.users {
            text.push_str(&format!("{n}:{h}\n"));
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// Adds `name` with `password`, or changes its password.
    pub fn add(&mut self, name: &str, password: &str) -> Result<()> {
        if !valid_name(name) {
            bail!("'{name}' is not a user name (letters, digits and . _ @ -, at most 64)");
        }
        if password.is_empty() {
            bail!("an empty password is not a password");
        }
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).context("no random numbers for a salt")?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
            .to_string();
        match self.users.iter_mut().find(|u| u.0 == name) {
            Some(u) => u.1 = hash,
            None => self.users.push((name.to_string(), hash)),
        }
        Ok(())
    }

    /// Removes `name`; whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| u.0 != name);
        before != self.users.len()
    }

    /// The user names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.users.iter().map(|u| u.0.as_str())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Whether `password` is `name`'s (slow: argon2).
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let Some((_, hash)) = self.users.iter().find(|u| u.0 == name) else {
            // As slow as a real check, so that timing does not tell names apart.
            let _ = Argon2::default().hash_password(
                password.as_bytes(),
                &SaltString::encode_b64(b"trawl-no-such-user").unwrap_or_else(|_| {
                    SaltString::from_b64("dHJhd2xzYWx0c2FsdA").expect("a constant salt")
                }),
            );
            return false;
        };
        PasswordHash::new(hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

/// Logins in progress and checked basic headers.
pub struct Auth {
    users: Users,
    sessions: Mutex<HashMap<String, (String, Instant)>>,
    basic: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    /// Cookies only over TLS.
    secure: bool,
}

impl Auth {
    /// Authentication against `users`; `secure` when the server speaks TLS.
    pub fn new(users: Users, secure: bool) -> Auth {
        Auth {
            users,
            sessions: Mutex::new(HashMap::new()),
            basic: Mutex::new(HashMap::new()),
            secure,
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The user of a live session cookie in `headers`.
    fn cookie_user(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .map(|(_, v)| v.to_string())?;
        let mut s = Self::lock(&self.sessions);
        let now = Instant::now();
        match s.get_mut(&token) {
            Some((user, seen)) if now.duration_since(*seen) < SESSION_IDLE => {
                *seen = now;
                Some(user.clone())
            }
            Some(_) => {
                s.remove(&token);
                None
            }
            None => None,
        }
    }

    /// The user of a valid `Authorization: Basic` header in `headers`.
    fn basic_user(&self, headers: &HeaderMap) -> Option<String> {
        let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let b64 = v
            .strip_prefix("Basic ")
            .or_else(|| v.strip_prefix("basic "))?;
        let key: [u8; 32] = sha2::Sha256::digest(b64.trim().as_bytes()).into();
        let now = Instant::now();
        if let Some((user, at)) = Self::lock(&self.basic).get(&key) {
            if now.duration_since(*at) < BASIC_CACHE {
                return Some(user.clone());
            }
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (name, password) = text.split_once(':')?;
        if !self.users.verify(name, password) {
            return None;
        }
        let mut m = Self::lock(&self.basic);
        if m.len() >= MAX_SESSIONS {
            m.clear();
        }
        m.insert(key, (name.to_string(), now));
        Some(name.to_string())
    }

    /// Starts a session for `user`: its cookie.
    fn start_session(&self, user: &str) -> Option<String> {
        let mut t = [0u8; 32];
        getrandom::getrandom(&mut t).ok()?;
        let token: String = t.iter().map(|b| format!("{b:02x}")).collect();
        let mut s = Self::lock(&self.sessions);
        if s.len() >= MAX_SESSIONS {
            let now = Instant::now();
            s.retain(|_, (_, seen)| now.duration_since(*seen) < SESSION_IDLE);
            if s.len() >= MAX_SESSIONS {
                s.clear();
            }
        }
        s.insert(token.clone(), (user.to_string(), Instant::now()));
        let secure = if self.secure { "; Secure" } else { "" };
        Some(format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
        ))
    }

    fn end_session(&self, headers: &HeaderMap) {
        for v in headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            for c in v.split(';') {
                if let Some((COOKIE, token)) = c.trim().split_once('=') {
                    Self::lock(&self.sessions).remove(token);
                }
            }
        }
    }
}

fn unauthorized(msg: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": msg }).to_string(),
    )
        .into_response()
}

/// Whether `path` answers without a login: the page's own files and the login.
fn public(path: &str) -> bool {
    path == "/" || path.starts_with("/assets/") || path == "/api/login"
}

/// The middleware: a request without a valid cookie or basic header gets 401.
pub async fn require(State(auth): State<Arc<Auth>>, req: Request, next: Next) -> Response {
    if public(req.uri().path()) {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    let a = Arc::clone(&auth);
    let user = tokio::task::spawn_blocking(move || {
        a.cookie_user(&headers).or_else(|| a.basic_user(&headers))
    })
    .await
    .ok()
    .flatten();
    match user {
        Some(_) => next.run(req).await,
        None => unauthorized("login required"),
    }
}

/// `POST /api/login` (form or JSON `username`, `password`): sets the session cookie.
pub async fn login(State(auth): State<Arc<Auth>>, p: crate::request::Params) -> Response {
    let (Some(user), Some(password)) = (p.username.clone(), p.password.clone()) else {
        return unauthorized("username and password required");
    };
    let a = Arc::clone(&auth);
    let u = user.clone();
    let ok = tokio::task::spawn_blocking(move || a.users.verify(&u, &password))
        .await
        .unwrap_or(false);
    if !ok {
        tracing::warn!("failed login for '{}'", trawl_query::excerpt(&user));
        tokio::time::sleep(FAIL_DELAY).await;
        return unauthorized("wrong user name or password");
    }
    let Some(cookie) = auth.start_session(&user) else {
        return unauthorized("cannot start a session");
    };
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "userId": user }).to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /api/logout`: ends the session.
pub async fn logout(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    auth.end_session(&headers);
    let mut r = (StatusCode::OK, "{}").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("TRAWL_SESSION=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_file_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("sub/users");
        let mut u = Users::load(&path).unwrap();
        assert!(u.is_empty());
        u.add("alice", "s3cret").unwrap();
        u.add("bob", "hunter2").unwrap();
        assert!(u.add("bad name", "x").is_err());
        assert!(u.add("carol", "").is_err());
        u.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret") && text.contains("alice:$argon2id$"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut u = Users::load(&path).unwrap();
        assert!(u.verify("alice", "s3cret"));
        assert!(!u.verify("alice", "S3cret"));
        assert!(!u.verify("nobody", "s3cret"));
        u.add("alice", "new").unwrap();
        assert!(u.verify("alice", "new") && !u.verify("alice", "s3cret"));
        assert!(u.remove("bob") && !u.remove("bob"));
        assert_eq!(u.names().collect::<Vec<_>>(), ["alice"]);
        std::fs::write(&path, "alice:notahash\n").unwrap();
        assert!(Users::load(&path).is_err());
    }
}
