#![no_main]
//! The PTP parser: a UDP session to port 319.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 319, b"", data));
