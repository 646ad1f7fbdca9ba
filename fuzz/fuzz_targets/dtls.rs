#![no_main]
//! The dtls parser: a UDP session opened by a 100-byte DTLS 1.2 handshake record
//! (a ClientHello by its type byte, zeros after); the input's datagrams follow.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

const FIRST: [u8; 100] = {
    let mut a = [0u8; 100];
    a[0] = 0x16;
    a[1] = 0xfe;
    a[2] = 0xfd;
    a[12] = 87;
    a[13] = 1;
    a
};

fuzz_target!(|data: &[u8]| run(Transport::Udp, 4433, &FIRST, data));
