#![no_main]
//! The dnp3 parser: a TCP session to port 20000.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 20000, b"\x05\x64", data));
