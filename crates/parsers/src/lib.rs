//! Protocol parsers (Arkime's `capture/parsers`): each file registers its classifiers
//! and fields, and attaches a parser with its own per-session state to the sessions
//! it recognizes. Parsers are pure over the bytes they are given; the framework
//! (`trawl_session::parsers`) delivers each direction's bytes in order.

pub mod dns;
pub mod http;
pub mod tls;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers every parser's fields and classifiers.
pub fn register_all(c: &mut Classifiers, f: &mut FieldRegistry, st: &Settings) {
    dns::register(c, f, st);
    http::register(c, f, st);
    tls::register(c, f, st);
}
