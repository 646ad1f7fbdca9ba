#![no_main]
//! The s7comm parser: a TCP session to port 102.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 102, b"\x03\x00", data));
