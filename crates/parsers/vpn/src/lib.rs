//! Tunnels, proxies and encrypted transports: SOCKS, STUN/TURN, OpenVPN, ISAKMP/IKE and
//! QUIC, Google's and the IETF's (DTLS is in the TLS crate).

pub mod isakmp;
pub mod openvpn;
pub mod quic;
pub mod quic_ietf;
pub mod socks;
pub mod stun;

use trawl_config::{Config, ConfigError};
use trawl_fields::FieldRegistry;
use trawl_parser_tls::{TlsConfig, TlsFields};
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields (after TLS's: OpenVPN and IETF QUIC
/// fill TLS's fields, with TLS's options read from `cfg`).
pub fn register(
    c: &mut Classifiers,
    f: &mut FieldRegistry,
    cfg: &Config,
) -> Result<(), ConfigError> {
    isakmp::register(c, f);
    let tls = TlsFields::lookup(f, TlsConfig::from_config(cfg)?);
    openvpn::register(c, tls);
    quic::register(c, f);
    quic_ietf::register(c, tls);
    socks::register(c, f);
    stun::register(c, f);
    Ok(())
}
