#![no_main]
//! The enip parser: each input as a TCP session to port 44818, then as a UDP one to
//! port 2222 (the implicit I/O port).
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| {
    run(Transport::Tcp, 44818, b"", data);
    run(Transport::Udp, 2222, b"", data);
});
