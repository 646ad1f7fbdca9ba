#![no_main]
//! The ftp parser: a TCP session to port 21.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 21, b"220 FTP server ready\r\n", data));
