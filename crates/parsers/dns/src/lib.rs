//! DNS, LLMNR and mDNS parsers (Arkime's dns.c).

pub mod dns;
pub mod name;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &Settings) {
    dns::register(c, f, st);
}
