#![no_main]
//! The modbus parser: a TCP session to port 502.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 502, b"", data));
