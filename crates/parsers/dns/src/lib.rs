//! DNS, LLMNR and mDNS parsers (Arkime's dns.c), and NetBIOS name service (nbns.c).

pub mod dns;
pub mod name;
pub mod nbns;

use trawl_config::{Config, ConfigError};
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields, with options read from `cfg`.
pub fn register(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    dns::register(c, f, &dns::DnsOptions::from_config(cfg)?);
    nbns::register(c, f);
    Ok(())
}
