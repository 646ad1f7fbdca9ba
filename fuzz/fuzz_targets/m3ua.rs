#![no_main]
//! The M3UA parser over SCTP (payload protocol id 3): an association that opens with
//! ASPUP, then each input segment one M3UA message.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Sctp(3),
    2905,
    b"\x01\x00\x03\x01\x00\x00\x00\x08",
    data
));
