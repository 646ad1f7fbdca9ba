//! Industrial and telecom protocols: Modbus, DNP3, PANA, synchrophasor and S7comm today
//! (BACnet, C12.22, EtherNet/IP, OPC UA, MQTT, Diameter, M3UA/SCCP/TCAP/CAMEL and PTP
//! to come).

pub mod cursor;
pub mod dnp3;
pub mod modbus;
pub mod pana;
pub mod s7comm;
pub mod synchrophasor;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    dnp3::register(c, f);
    modbus::register(c, f);
    pana::register(c, f);
    s7comm::register(c, f);
    synchrophasor::register(c, f);
}
