//! Industrial and telecom protocols: Modbus and PANA today (BACnet, DNP3, C12.22,
//! synchrophasor, S7comm, EtherNet/IP, OPC UA, MQTT, Diameter, M3UA/SCCP/TCAP/CAMEL
//! and PTP to come).

pub mod modbus;
pub mod pana;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    modbus::register(c, f);
    pana::register(c, f);
}
