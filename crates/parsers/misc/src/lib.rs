//! Small protocol classifiers and parsers: Arkime's misc.c classifiers and SSH today
//! (SOCKS, FTP, IRC, RDP, TFTP and BGP to come).

pub mod classify;
pub mod irc;
pub mod ssh;
pub mod tftp;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    classify::register(c);
    irc::register(c, f);
    ssh::register(c, f);
    tftp::register(c, f);
}
