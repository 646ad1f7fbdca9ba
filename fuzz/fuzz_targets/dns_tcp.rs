#![no_main]
//! The dns_tcp parser: a TCP session to port 53.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 53, b"", data));
