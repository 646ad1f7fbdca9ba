//! HTTP/1.x, HTTP/2 and WebSocket: HTTP recognition today (the HTTP fields, HTTP/2 and
//! WebSocket to come).

pub mod http;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, _f: &mut FieldRegistry, _st: &Settings) {
    http::register(c);
}
