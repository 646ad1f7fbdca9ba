//! Industrial, timing and telecom protocols: Modbus, DNP3, PANA, synchrophasor, S7comm,
//! C12.22, BACnet, OPC UA, MQTT, Diameter, EtherNet/IP with CIP, and PTP (SS7 over
//! SIGTRAN is the telecom crate's).

pub mod bacnet;
pub mod c1222;
pub mod diameter;
pub mod dnp3;
pub mod enip;
pub mod modbus;
pub mod mqtt;
pub mod opcua;
pub mod pana;
pub mod ptp;
pub mod s7comm;
pub mod synchrophasor;

use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    bacnet::register(c, f);
    c1222::register(c, f);
    diameter::register(c, f);
    dnp3::register(c, f);
    enip::register(c, f);
    modbus::register(c, f);
    mqtt::register(c, f);
    opcua::register(c, f);
    pana::register(c, f);
    ptp::register(c, f);
    s7comm::register(c, f);
    synchrophasor::register(c, f);
}
