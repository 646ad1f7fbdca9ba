#![no_main]
//! The isakmp parser: a UDP session to port 500.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 500, b"", data));
