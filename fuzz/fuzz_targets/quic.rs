#![no_main]
//! The quic parser: a UDP session to port 443.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 443, b"", data));
