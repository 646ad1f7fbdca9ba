//! The page: `GET /` and `GET /assets/<file>`, from the copy embedded at build time,
//! or, for whoever works on the page, from the directory `TRAWL_VIEWER_ASSETS` names,
//! read at each request.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));
include!("content_type.rs");

/// Whether `name` is a plain file name of the page (no path).
fn plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The file `name` of the page, with its content type.
pub fn get(name: &str) -> Option<(&'static str, std::borrow::Cow<'static, [u8]>)> {
    if !plain(name) {
        return None;
    }
    if let Some(dir) = std::env::var_os("TRAWL_VIEWER_ASSETS") {
        let bytes = std::fs::read(std::path::Path::new(&dir).join(name)).ok()?;
        return Some((content_type(name), bytes.into()));
    }
    ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, t, b)| (*t, std::borrow::Cow::Borrowed(*b)))
}

/// The answer for page file `name`: the file, or 404.
pub fn respond(name: &str) -> Response {
    match get(name) {
        Some((ty, bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, ty),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes.into_owned(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}
