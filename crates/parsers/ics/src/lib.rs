//! Industrial and telecom protocols: Modbus, BACnet, DNP3, C12.22, synchrophasor, S7comm, EtherNet/IP, OPC UA, MQTT, Diameter, PANA, M3UA/SCCP/TCAP/CAMEL, PTP.
//!
//! Being written: registers nothing yet.

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(_c: &mut Classifiers, _f: &mut FieldRegistry, _st: &Settings) {}
