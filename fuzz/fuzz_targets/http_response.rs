#![no_main]
//! The http_response parser: a TCP session to port 80.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 80, b"HTTP/1.1 200 OK\r\n", data));
