#![no_main]
//! The tftp parser: a UDP session to port 69.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 69, b"\x00\x01", data));
