#![no_main]
//! The pop3 parser: a TCP session to port 110.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 110, b"+OK POP3 server ready\r\n", data));
