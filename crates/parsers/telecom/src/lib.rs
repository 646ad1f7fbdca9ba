//! SS7 over SIGTRAN (Arkime's m3ua.c, tcap.c and camel.c): M2UA and M3UA messages on
//! SCTP (payload protocol ids 2 and 3), the MTP3 service indicator they carry, and
//! for SCCP (service indicator 3) the Unitdata point codes, the TCAP application
//! context and, for CAMEL contexts, the operations, numbers and IMSI of the
//! components. ISUP (5) and TUP (4) are only named as protocols.
//!
//! One file per layer: [`m3ua`] (the classifiers and the session parser, which hands
//! the MTP3 user part on), [`sccp`], [`tcap`] and [`camel`].

pub mod camel;
pub mod m3ua;
pub mod sccp;
pub mod tcap;

use trawl_fields::{FieldId, FieldRegistry};
use trawl_session::parsers::Classifiers;

/// What one layer tells the layer that called it (Arkime's parser return values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Keep the parser for the session's next messages (Arkime's 0).
    Keep,
    /// Stop parsing the session (Arkime's `ARKIME_PARSER_UNREGISTER`).
    Unregister,
}

/// Every field id the layers write, captured by the classifiers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ids {
    camel: camel::Ids,
    si: FieldId,
    sccp: sccp::Ids,
    opcode: FieldId,
}

/// Registers this crate's fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    // Arkime loads its parsers in file-name order: camel.so, m3ua.so, then tcap.so,
    // which defines SCCP's fields before TCAP's.
    let camel = camel::define(f);
    let si = m3ua::define(f);
    let sccp = sccp::define(f);
    let opcode = tcap::define(f);
    m3ua::register(
        c,
        Ids {
            camel,
            si,
            sccp,
            opcode,
        },
    );
}
