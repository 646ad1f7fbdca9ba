#![no_main]
//! The SIP parser over TCP: a session to port 5060 whose first segment starts a
//! REGISTER request; the input's segments follow.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(
    Transport::Tcp,
    5060,
    b"REGISTER sip:example SIP/2.0\r\n",
    data
));
