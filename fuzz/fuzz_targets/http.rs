#![no_main]
//! The http parser: a TCP session to port 80.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 80, b"GET /a?b=c HTTP/1.1\r\n", data));
