#![no_main]
//! The adb parser: each input as a TCP session to port 5555 (the transport
//! protocol), then to port 5037 (the client-server protocol).
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| {
    run(Transport::Tcp, 5555, b"", data);
    run(Transport::Tcp, 5037, b"", data);
});
