#![no_main]
//! The OpenVPN parser over UDP: a session opened by a HARD_RESET_CLIENT_V2 without
//! tls-auth; the input's datagrams are the records that follow.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Udp,
    1194,
    b"\x38\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x00\x00",
    data
));
