#![no_main]
//! The stun parser: a UDP session to port 3478.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 3478, b"", data));
