//! Capture plugins (Arkime's `capture/plugins`) that need no outside service.

pub mod scrubspi;
pub mod test;
pub mod zeekintel;
