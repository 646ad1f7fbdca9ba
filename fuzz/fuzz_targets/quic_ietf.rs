#![no_main]
//! The IETF QUIC parser: the input's first part becomes the payload of a client
//! Initial packet protected with the v1 keys (so the fuzzer reaches the CRYPTO frames
//! and the TLS ClientHello behind the decryption), the rest follows as datagrams.
use aes::cipher::{BlockEncrypt, KeyInit, KeyIvInit, StreamCipher};
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};
use trawl_parser_vpn::quic_ietf::client_initial_keys;

const DCID: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fuzz_target!(|data: &[u8]| {
    let split = usize::from(data.first().copied().unwrap_or(0)) * 8;
    let (payload, rest) = data
        .get(1..)
        .unwrap_or(&[])
        .split_at(split.min(data.len().saturating_sub(1)));
    let keys = client_initial_keys(1, &DCID);
    // Header: long, Initial, 1-byte packet number 0; empty source id and token.
    let mut p = vec![0xc0, 0, 0, 0, 1, 8];
    p.extend_from_slice(&DCID);
    p.extend_from_slice(&[0, 0]);
    let mut body = payload.to_vec();
    body.resize(body.len().max(1200 - p.len() - 3 - 16), 0);
    p.extend_from_slice(&(0x4000 | (1 + body.len() + 16) as u16).to_be_bytes());
    let pn_at = p.len();
    p.push(0);
    let mut iv = [0u8; 16];
    iv[..12].copy_from_slice(&keys.iv);
    iv[15] = 2;
    ctr::Ctr32BE::<aes::Aes128>::new(&keys.key.into(), &iv.into()).apply_keystream(&mut body);
    p.extend_from_slice(&body);
    p.extend_from_slice(&[0; 16]); // the tag, which is not checked
    let mut mask = <[u8; 16]>::try_from(&p[pn_at + 4..pn_at + 20])
        .unwrap()
        .into();
    aes::Aes128::new(&keys.hp.into()).encrypt_block(&mut mask);
    p[0] ^= mask[0] & 0x0f;
    p[pn_at] ^= mask[1];
    run(Transport::Udp, 443, &p, rest)
});
