//! Protocol parsers (Arkime's `capture/parsers`). Each protocol family is a crate of
//! its own under `crates/parsers/` (one protocol per file inside it), so a change to
//! one parser rebuilds one small crate. Each registers its classifiers and fields and
//! attaches a parser with its own per-session state to the sessions it recognizes;
//! the framework (`trawl_session::parsers`) delivers each direction's bytes in order.

use trawl_config::{Config, ConfigError};
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers every parser's fields and classifiers; each family reads its own options
/// from `cfg` (a bad value is an error naming the key).
pub fn register_all(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    // Fields several parsers write (Arkime's core defines them).
    trawl_parser_common::ntlm::register(c, f);
    trawl_parser_dns::register(c, f, cfg)?;
    trawl_parser_web::register(c, f, cfg)?;
    trawl_parser_tls::register(c, f, cfg)?;
    trawl_parser_email::register(c, f, cfg)?;
    trawl_parser_misc::register(c, f);
    trawl_parser_db::register(c, f);
    trawl_parser_vpn::register(c, f, cfg)?;
    trawl_parser_ics::register(c, f);
    trawl_parser_smb::register(c, f);
    trawl_parser_telecom::register(c, f);
    Ok(())
}
