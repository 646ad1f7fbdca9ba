//! Golden documents: for each parser of this crate, bytes on the wire in, the exact
//! fields of the session's document out (through `trawl_testkit::run_session`, so
//! classification, reassembly and the document writer are the real ones).

mod golden {
    pub mod dtls;
    pub mod tls;
}

use trawl_config::Config;
use trawl_testkit::Frame;

/// Registers this crate's parsers with the options of `cfg`.
pub fn register_with(
    cfg: Config,
) -> impl FnOnce(&mut trawl_session::parsers::Classifiers, &mut trawl_fields::FieldRegistry) {
    move |c, f| trawl_parser_tls::register(c, f, &cfg).expect("TLS options")
}

/// Registers this crate's parsers with every option at its default.
pub fn register(c: &mut trawl_session::parsers::Classifiers, f: &mut trawl_fields::FieldRegistry) {
    register_with(trawl_testkit::run::default_config())(c, f);
}

/// The two options Arkime's regression tests turn on (`ja3Strings`, `ja4Raw`).
pub fn regression_config() -> Config {
    trawl_testkit::run::config("[default]\nja3Strings=true\nja4Raw=true\n")
}

/// `frames` moved in time so that the first is at `secs` (microseconds kept): a
/// certificate's remaining validity depends on the session's first packet, and this
/// puts it where Arkime's regression capture had it.
pub fn starting_at(frames: Vec<Frame>, secs: u32) -> Vec<Frame> {
    let first = frames.first().map_or(secs, |f| f.ts_sec);
    frames
        .into_iter()
        .map(|mut f| {
            f.ts_sec = f.ts_sec - first + secs;
            f
        })
        .collect()
}

/// The Certificate handshake message body (after its 4-byte header) of a TLS record
/// stream.
pub fn certificate_body(stream: &[u8]) -> Vec<u8> {
    let mut s = stream;
    while s.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([s[3], s[4]]));
        let rec = &s[5..5 + len];
        if s[0] == 0x16 && rec[0] == 11 {
            let l = usize::from(rec[1]) << 16 | usize::from(rec[2]) << 8 | usize::from(rec[3]);
            return rec[4..4 + l].to_vec();
        }
        s = &s[5 + len..];
    }
    panic!("no Certificate message")
}

/// The `cert` object Arkime wrote for ssl-selfsign's certificate (ssl-selfsign.test),
/// which the TLS and DTLS tests both send.
pub fn selfsign_cert() -> serde_json::Value {
    serde_json::json!({
        "hash": "d5:14:6c:45:45:60:f6:78:1e:67:bb:5a:67:b6:89:d4:98:a2:ec:2e",
        "issuerCN": ["molochftw"],
        "notAfter": 1_521_991_598_000u64,
        "notBefore": 1_519_399_598_000u64,
        "publicAlgorithm": "rsaEncryption",
        "remainingDays": 29,
        "remainingSeconds": 2_591_473,
        "serial": "00b27e45d092b4dddf",
        "subjectCN": ["molochftw"],
        "validDays": 30,
        "validSeconds": 2_592_000,
    })
}
