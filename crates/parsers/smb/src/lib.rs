//! SMB, DCE/RPC and ADB: SMB 1/2/3 and DCE/RPC today (ADB to come; NTLMSSP decoding
//! is shared in trawl-parser-common).

pub mod dcerpc;
pub mod smb;

use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    dcerpc::register(c, f);
    smb::register(c, f);
}
