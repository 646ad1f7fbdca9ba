#![no_main]
//! The Diameter parser over TCP: a session to port 3868 whose first segment is a
//! Diameter header (a 0x200-byte Capabilities-Exchange request) the input completes.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Tcp,
    3868,
    b"\x01\x00\x02\x00\x80\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01",
    data
));
