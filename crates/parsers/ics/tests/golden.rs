//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod bacnet;
    pub mod c1222;
    pub mod diameter;
    pub mod dnp3;
    pub mod enip;
    pub mod modbus;
    pub mod mqtt;
    pub mod opcua;
    pub mod pana;
    pub mod ptp;
    pub mod s7comm;
    pub mod synchrophasor;
}

/// Registers this crate's parsers.
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    trawl_parser_ics::register(c, f);
}
