//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod isakmp;
    pub mod openvpn;
    pub mod quic;
    pub mod quic_ietf;
    pub mod socks;
    pub mod stun;
}

use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's parsers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    trawl_parser_vpn::register(c, f, &trawl_testkit::run::default_config()).expect("vpn registers");
}

/// This crate's parsers and the misc ones (SSH in a SOCKS tunnel).
pub fn register_with_misc(c: &mut Classifiers, f: &mut FieldRegistry) {
    trawl_parser_misc::register(c, f);
    trawl_parser_vpn::register(c, f, &trawl_testkit::run::default_config()).expect("vpn registers");
}

/// TLS (with default options) and this crate's parsers, as capture registers them:
/// OpenVPN hands its TLS handshake to TLS's fields.
pub fn register_with_tls(c: &mut Classifiers, f: &mut FieldRegistry) {
    trawl_parser_tls::register(c, f, &trawl_testkit::run::default_config()).expect("TLS registers");
    trawl_parser_vpn::register(c, f, &trawl_testkit::run::default_config()).expect("vpn registers");
}
