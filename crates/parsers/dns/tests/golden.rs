//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod dns;
    pub mod nbns;
}

/// Registers this crate's parsers with every option at its default.
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    let cfg = trawl_testkit::run::default_config();
    trawl_parser_dns::register(c, f, &cfg).expect("default options");
}

/// Registers this crate's parsers with these `[default]` settings.
pub fn register_with(
    c: &mut trawl_session::parsers::Classifiers,
    f: &mut trawl_fields::FieldRegistry,
    settings: &str,
) {
    let cfg = trawl_testkit::run::config(&format!("[default]\n{settings}"));
    trawl_parser_dns::register(c, f, &cfg).expect("options");
}
