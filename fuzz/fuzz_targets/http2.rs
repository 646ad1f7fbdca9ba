#![no_main]
//! The HTTP/2 parser: a TCP session to port 80 that starts with the connection preface.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Tcp,
    80,
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    data
));
