#![no_main]
//! The socks4 parser: a TCP session to port 1080.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 1080, b"\x04\x01\x00\x50\x0a\x00\x00\x01user\x00", data));
