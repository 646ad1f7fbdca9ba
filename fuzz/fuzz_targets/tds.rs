#![no_main]
//! The tds parser: a TCP session to port 1433.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 1433, b"\x12\x01\x00", data));
