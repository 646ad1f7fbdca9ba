//! Industrial and telecom protocols: Modbus today (BACnet, DNP3, C12.22,
//! synchrophasor, S7comm, EtherNet/IP, OPC UA, MQTT, Diameter, PANA, M3UA/SCCP/TCAP/
//! CAMEL and PTP to come).

pub mod modbus;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    modbus::register(c, f);
}
