#![no_main]
//! The bacnet parser: a UDP session to port 47808.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 47808, b"\x81", data));
