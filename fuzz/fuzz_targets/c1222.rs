#![no_main]
//! The c1222 parser: a TCP session to port 1153.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 1153, b"\x60", data));
