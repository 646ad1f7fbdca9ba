//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod adb;
    pub mod bgp;
    pub mod classify;
    pub mod ftp;
    pub mod irc;
    pub mod rdp;
    pub mod rpc;
    pub mod sip;
    pub mod ssh;
    pub mod tftp;
}

/// Registers this crate's parsers.
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    trawl_parser_misc::register(c, f);
}
