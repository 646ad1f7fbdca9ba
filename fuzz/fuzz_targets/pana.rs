#![no_main]
//! The pana parser: a UDP session to port 716.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 716, b"\x00\x00", data));
