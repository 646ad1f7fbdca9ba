#![no_main]
//! The RDP parser: a TCP session to port 3389 whose first segment starts a 96-byte
//! connection request (TPKT, X.224, a negotiation request type) the input completes.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Tcp,
    3389,
    b"\x03\x00\x00\x60\x5b\xe0\x00\x00\x00\x00\x00\x01",
    data
));
