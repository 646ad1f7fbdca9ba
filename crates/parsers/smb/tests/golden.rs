//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod dcerpc;
    pub mod smb;
}

/// Registers this crate's parsers, after the `ntlm.*` fields as the capture defines
/// them (first).
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    trawl_parser_common::ntlm::register(c, f);
    trawl_parser_smb::register(c, f);
}

/// `s` in UTF-16LE.
pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}
