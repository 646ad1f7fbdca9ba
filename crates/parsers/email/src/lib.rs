//! SMTP, IMAP and POP3 parsers with email fields (Arkime's smtp.c, imap.c, pop3.c).

pub mod fields;
pub mod imap;
pub mod lines;
pub mod pop3;
pub mod smtp;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, st: &Settings) {
    smtp::register(c, f, st);
    imap::register(c, f, st.support_sha256);
    pop3::register(c, f);
}
