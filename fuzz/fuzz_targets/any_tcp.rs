#![no_main]
//! Every TCP classifier: the port is the input's first two bytes, the first
//! segment its third and following length-prefixed bytes.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let port = u16::from_be_bytes([data[0], data[1]]);
    run(Transport::Tcp, port, b"", &data[2..]);
});
