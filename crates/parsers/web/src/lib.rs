//! HTTP/1.x, HTTP/2 (clear text: prior knowledge and `Upgrade: h2c`) and WebSocket.

pub mod hpack;
pub mod http;
pub mod http2;
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
    let http = http::register(c, f, &http::HttpOptions::from_config(cfg)?);
    // HTTP/2 writes HTTP's fields (Arkime's http2.c defines the same ones again).
    http2::register(c, http);
    Ok(())
}
