//! Tunnels, proxies and encrypted transports: SOCKS, STUN/TURN, OpenVPN and Google QUIC
//! today (IETF QUIC and ISAKMP/IKE to come; DTLS is in the TLS crate).

pub mod openvpn;
pub mod quic;
pub mod socks;
pub mod stun;

use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    openvpn::register(c);
    quic::register(c, f);
    socks::register(c, f);
    stun::register(c, f);
}
