#![no_main]
//! The krb5 parser: a UDP session to port 88.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 88, b"", data));
