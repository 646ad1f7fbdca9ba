#![no_main]
//! The irc parser: a TCP session to port 6667.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

fuzz_target!(|data: &[u8]| run(Transport::Tcp, 6667, b"NICK ", data));
