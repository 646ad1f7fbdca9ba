//! HTTP/1.x, HTTP/2 and WebSocket: HTTP/1.x and WebSocket today (HTTP/2 to come).

pub mod http;
pub mod http_parser;
pub mod websocket;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &Settings) {
    http::register(c, f, st);
    websocket::register(c, f);
}
