#![no_main]
//! The fbzero parser: a TCP session to port 443.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 443, b"\x31QTV", data));
