#![no_main]
//! SCCP behind M3UA: the input is the MTP3 user part of one M3UA Transfer Data
//! message with service indicator 3 (SCCP), on an SCTP association (payload protocol
//! id 3).
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

/// M3UA Transfer Data around `user`: Protocol Data with OPC, DPC, SI 3, NI, MP, SLS.
fn m3ua(user: &[u8]) -> Vec<u8> {
    let user = &user[..user.len().min(4096)];
    let plen = 16 + user.len();
    let mut m = vec![1, 0, 1, 1];
    m.extend_from_slice(&((8 + plen) as u32).to_be_bytes());
    m.extend_from_slice(&[0x02, 0x10]);
    m.extend_from_slice(&(plen as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 2, 0x58, 0, 0, 1, 0xf4, 3, 2, 0, 1]);
    m.extend_from_slice(user);
    m
}

fuzz_target!(|data: &[u8]| run(Transport::Sctp(3), 2905, &m3ua(data), b""));
