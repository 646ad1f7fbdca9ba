#![no_main]
//! The mdns parser: a UDP session to port 5353.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 5353, b"", data));
