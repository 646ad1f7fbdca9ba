//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, SCTP reassembly and the document writer are the real ones).

mod golden {
    pub mod m3ua;
}

/// Registers this crate's parsers.
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    trawl_parser_telecom::register(c, f);
}
