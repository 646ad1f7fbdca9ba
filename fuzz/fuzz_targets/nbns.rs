#![no_main]
//! The nbns parser: a UDP session to port 137 opened by a name query (for
//! "AAAAAAAAAAAAAAAA"); the input's datagrams follow.
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

const QUERY: &[u8] = b"\x00\x01\x01\x10\x00\x01\x00\x00\x00\x00\x00\x00\x20\
EBEBEBEBEBEBEBEBEBEBEBEBEBEBEBEB\x00\x00\x20\x00\x01";

fuzz_target!(|data: &[u8]| run(Transport::Udp, 137, QUERY, data));
