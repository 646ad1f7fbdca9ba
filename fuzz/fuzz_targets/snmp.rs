#![no_main]
//! The snmp parser: a UDP session to port 161.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 161, b"\x30", data));
