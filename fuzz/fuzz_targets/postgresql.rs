#![no_main]
//! The postgresql parser: a TCP session to port 5432.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 5432, b"\x00\x00\x00\x08\x04\xd2\x16\x2f", data));
