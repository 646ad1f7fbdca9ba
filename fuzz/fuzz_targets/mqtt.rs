#![no_main]
//! The MQTT parser: a TCP session to port 1883 opened by a CONNECT header (MQTT
//! 3.1.1) whose body the input completes; the input's segments follow.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Tcp,
    1883,
    b"\x10\x20\x00\x04MQTT\x04\xc2\x00\x3c",
    data
));
