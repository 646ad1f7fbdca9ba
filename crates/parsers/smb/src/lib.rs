//! SMB, DCE/RPC, NTLM and ADB: SMB recognition today (its fields, DCE/RPC, NTLM and
//! ADB to come).

pub mod smb;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, _f: &mut FieldRegistry, _st: &Settings) {
    smb::register(c);
}
