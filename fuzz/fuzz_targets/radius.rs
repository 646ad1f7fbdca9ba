#![no_main]
//! The radius parser: a UDP session to port 1812.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 1812, b"", data));
