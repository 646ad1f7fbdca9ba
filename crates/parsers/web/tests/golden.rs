//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

// The documents asserted with `json!` are big.
#![recursion_limit = "256"]

mod golden {
    pub mod http;
    pub mod http2;
    pub mod websocket;
}

use trawl_config::Config;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's parsers with every option at its default (the `ntlm.*`
/// fields first, as `trawl_parsers::register_all` defines them).
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    with_config(trawl_testkit::run::default_config())(c, f);
}

/// Registers this crate's parsers with the options of `cfg`.
pub fn with_config(cfg: Config) -> impl FnOnce(&mut Classifiers, &mut FieldRegistry) {
    move |c, f| {
        trawl_parser_common::ntlm::register(c, f);
        trawl_parser_web::register(c, f, &cfg).expect("HTTP options");
    }
}
