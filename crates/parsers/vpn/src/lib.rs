//! Tunnels, proxies and encrypted transports: SOCKS, STUN/TURN and Google QUIC today
//! (IETF QUIC, DTLS, OpenVPN and ISAKMP/IKE to come).

pub mod quic;
pub mod socks;
pub mod stun;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    quic::register(c, f);
    socks::register(c, f);
    stun::register(c, f);
}
