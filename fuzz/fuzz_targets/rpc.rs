#![no_main]
//! The ONC RPC classifiers: a UDP session to port 111.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 111, b"", data));
