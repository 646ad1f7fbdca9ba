#![no_main]
//! The imap parser: a TCP session to port 143.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 143, b"* OK IMAP4rev1 ready\r\n", data));
