//! Industrial and telecom protocols: Modbus, DNP3, PANA and synchrophasor today
//! (BACnet, C12.22, S7comm, EtherNet/IP, OPC UA, MQTT, Diameter, M3UA/SCCP/TCAP/CAMEL
//! and PTP to come).

pub mod dnp3;
pub mod modbus;
pub mod pana;
pub mod synchrophasor;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    dnp3::register(c, f);
    modbus::register(c, f);
    pana::register(c, f);
    synchrophasor::register(c, f);
}
