#![no_main]
//! The ssh parser: a TCP session to port 22.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 22, b"SSH-2.0-OpenSSH_9.0\r\n", data));
