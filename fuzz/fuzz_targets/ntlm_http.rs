#![no_main]
//! The ntlm_http parser: a TCP session to port 80.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 80, b"GET / HTTP/1.1\r\nAuthorization: NTLM TlRMTVNTUA", data));
