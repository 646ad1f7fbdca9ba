#![no_main]
//! The synchrophasor parser: a TCP session to port 4712.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 4712, b"\xaa", data));
