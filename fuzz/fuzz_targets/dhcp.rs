#![no_main]
//! The dhcp parser: a UDP session to port 67.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 67, b"", data));
