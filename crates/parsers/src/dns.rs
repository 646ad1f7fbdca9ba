//! DNS (being written).

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers the DNS classifiers and fields.
pub fn register(_c: &mut Classifiers, _f: &mut FieldRegistry, _st: &Settings) {}
