#![no_main]
//! The dns_udp parser: a UDP session to port 53.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 53, b"", data));
