#![no_main]
//! The smb1 parser: a TCP session to port 445.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 445, b"\x00\x00\x00\x40\xffSMB", data));
