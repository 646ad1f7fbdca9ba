#![no_main]
//! The oracle parser: a TCP session to port 1521.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 1521, b"\x00", data));
