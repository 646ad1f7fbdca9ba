#![no_main]
//! CAMEL behind M3UA, SCCP and TCAP: the input follows a TCAP Begin's dialogue
//! portion with CAP v2's application context (so it is read as the component
//! portion), in an SCCP Unitdata of one M3UA Transfer Data message on an SCTP
//! association (payload protocol id 3).
use libfuzzer_sys::fuzz_target;
use trawl_fuzz::{run, Transport};

/// A Begin: no length checked by Arkime, a dialogue portion with CAP v2's context.
const BEGIN: &[u8] = &[
    0x62, 0x00, 0x6b, 0x1a, 0x28, 0x18, 0x06, 0x07, 0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01, 0xa0,
    0x0d, 0x60, 0x0b, 0xa1, 0x09, 0x06, 0x07, 0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01,
];

fn message(components: &[u8]) -> Vec<u8> {
    let components = &components[..components.len().min(255 - BEGIN.len())];
    let mut tcap = BEGIN.to_vec();
    tcap.extend_from_slice(components);
    // SCCP Unitdata: called and calling addresses with point codes, then the data.
    let mut sccp = vec![
        0x09, 0x00, 3, 7, 11, 4, 0x43, 0xf4, 0x01, 146, 4, 0x43, 0x58, 0x02, 146,
    ];
    sccp.push(tcap.len() as u8);
    sccp.extend_from_slice(&tcap);
    let plen = 16 + sccp.len();
    let mut m = vec![1, 0, 1, 1];
    m.extend_from_slice(&((8 + plen) as u32).to_be_bytes());
    m.extend_from_slice(&[0x02, 0x10]);
    m.extend_from_slice(&(plen as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0, 2, 0x58, 0, 0, 1, 0xf4, 3, 2, 0, 1]);
    m.extend_from_slice(&sccp);
    m
}

fuzz_target!(|data: &[u8]| run(Transport::Sctp(3), 2905, &message(data), b""));
