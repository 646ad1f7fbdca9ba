#![no_main]
//! The opcua parser: a TCP session to port 4840 whose first segment starts a Hello
//! header; the input completes it and sends the rest.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 4840, b"HELF\x40\x00\x00\x00", data));
