#![no_main]
//! The socks5 parser: a TCP session to port 1080.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 1080, b"\x05\x01\x00", data));
