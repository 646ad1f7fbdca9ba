#![no_main]
//! The mysql parser: a TCP session to port 3306.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 3306, b"\x4a\x00\x00\x00\x0a", data));
