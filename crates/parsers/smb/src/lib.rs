//! SMB, DCE/RPC and NTLM parsers, and ADB (Arkime's smb.c, dcerpc.c, adb.c).
//!
//! Being written: registers nothing yet.

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(_c: &mut Classifiers, _f: &mut FieldRegistry, _st: &Settings) {}
