//! Small protocol classifiers and parsers: Arkime's misc.c classifiers, SSH, FTP, IRC,
//! TFTP, BGP, RDP, SIP, ONC RPC and ADB.

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

use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    adb::register(c, f);
    bgp::register(c, f);
    classify::register(c, f);
    ftp::register(c, f);
    irc::register(c, f);
    rdp::register(c, f);
    rpc::register(c);
    sip::register(c, f);
    ssh::register(c, f);
    tftp::register(c, f);
}
