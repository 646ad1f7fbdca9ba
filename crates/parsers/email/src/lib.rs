//! SMTP, IMAP and POP3 parsers with email fields (Arkime's smtp.c, imap.c, pop3.c).

pub mod fields;
pub mod imap;
pub mod lines;
pub mod pop3;
pub mod smtp;

use trawl_config::{Config, ConfigError};
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields, with options read from `cfg`.
pub fn register(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    let smtp = smtp::SmtpOptions::from_config(cfg)?;
    smtp::register(c, f, &smtp);
    imap::register(c, f, smtp.support_sha256);
    pop3::register(c, f);
    Ok(())
}
