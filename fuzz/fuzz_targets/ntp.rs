#![no_main]
//! The ntp parser: a UDP session to port 123.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 123, b"", data));
