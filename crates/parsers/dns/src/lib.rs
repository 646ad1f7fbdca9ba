//! DNS, LLMNR and mDNS parsers (Arkime's dns.c), and NetBIOS name service (nbns.c).

pub mod dns;
pub mod name;
pub mod nbns;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &Settings) {
    dns::register(c, f, st);
    nbns::register(c, f);
}
