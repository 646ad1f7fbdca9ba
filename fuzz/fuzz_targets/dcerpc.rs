#![no_main]
//! The dcerpc parser: a TCP session to port 135.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 135, b"\x05\x00\x0b\x03\x10\x00\x00\x00", data));
