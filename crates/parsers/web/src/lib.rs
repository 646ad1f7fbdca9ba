//! HTTP/1.x, HTTP/2 and WebSocket: HTTP/1.x and WebSocket today (HTTP/2 to come).

pub mod http;
pub mod http_parser;
pub mod websocket;

use trawl_config::{Config, ConfigError};
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields, with options read from `cfg`.
pub fn register(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    // WebSocket has no classifier: HTTP defines its fields (after its own) and hands
    // upgraded sessions over.
    http::register(c, f, &http::HttpOptions::from_config(cfg)?);
    Ok(())
}
