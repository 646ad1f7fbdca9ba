#![no_main]
//! The smtp parser: a TCP session to port 25.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 25, b"EHLO mail.example\r\n", data));
