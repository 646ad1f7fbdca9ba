#![no_main]
//! The ldap parser: a TCP session to port 389.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 389, b"\x30", data));
