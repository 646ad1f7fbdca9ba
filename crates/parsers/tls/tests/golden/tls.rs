//! TLS over TCP, on the handshakes in src/testdata (cut from Arkime's regression
//! pcaps badcurveball.pcap and ssl-selfsign.pcap). The expected values are what
//! Arkime wrote for those sessions (its regression .test files), and the digests
//! were checked with Python's hashlib: JA3 and JA3S are the MD5 of the JA3 strings
//! shown, JA4's last two parts the first 12 hex digits of the SHA-256 of the sorted
//! cipher list and of the sorted extension list plus signature algorithms (ja4_r).

use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

const CURVE_CLIENT: &[u8] = include_bytes!("../../src/testdata/badcurveball-client.bin");
const CURVE_SERVER: &[u8] = include_bytes!("../../src/testdata/badcurveball-server.bin");
const SELF_CLIENT: &[u8] = include_bytes!("../../src/testdata/ssl-selfsign-client.bin");
const SELF_SERVER: &[u8] = include_bytes!("../../src/testdata/ssl-selfsign-server.bin");

/// The client's second flight: ClientKeyExchange (a handshake record that is not a
/// ClientHello, skipped), ChangeCipherSpec (not handshake: the client side is done),
/// then encrypted data each way, which TLS no longer reads.
fn after_the_hellos(c: TcpConversation, version: [u8; 2]) -> TcpConversation {
    let [a, b] = version;
    c.client(&[0x16, a, b, 0, 6, 16, 0, 0, 2, 0xaa, 0xbb])
        .client(&[0x14, a, b, 0, 1, 1])
        .server(&[0x14, a, b, 0, 1, 1])
        .client(&[0x17, a, b, 0, 4, 1, 2, 3, 4])
        .server(&[0x17, a, b, 0, 4, 5, 6, 7, 8])
}

#[test]
fn tls12_hellos_fingerprints_and_an_ecdsa_chain() {
    // The ClientHello in 100-byte segments, the server's flight (ServerHello,
    // Certificate, ServerKeyExchange, ServerHelloDone: 1796 bytes) in 1460-byte ones,
    // the Certificate record across the cut: both are reassembled.
    let c = TcpConversation::new("10.0.0.1:51234", "10.0.0.2:443")
        .handshake()
        .segment(100)
        .client(CURVE_CLIENT)
        .segment(1460)
        .server(CURVE_SERVER);
    let frames = after_the_hellos(c, [3, 3]).close().frames();
    // Arkime's session began at 1579293816.
    let frames = crate::starting_at(frames, 1_579_293_816);
    let doc = run_session(crate::register_with(crate::regression_config()), &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "tls"]));
    assert_eq!(
        doc["tls"],
        json!({
            "cipher": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
            "cipherCnt": 1,
            "ja3": ["66918128f1b9b03303d77c6f2eefd128"],
            "ja3Cnt": 1,
            "ja3s": ["2d1eb5817ece335c24904f516ad5da12"],
            "ja3sCnt": 1,
            "ja3sstring": ["771,49195,0-65281-11-35-16"],
            "ja3sstringCnt": 1,
            "ja3string": ["771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53-10,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0"],
            "ja3stringCnt": 1,
            "ja4": ["t13d1615H2_46e7e9700bed_45f260be83e2"],
            "ja4Cnt": 1,
            "ja4_r": ["t13d1615H2_000a,002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,ff01_0403,0804,0401,0503,0805,0501,0806,0601,0201"],
            "ja4_rCnt": 1,
            // The client offered a session id; the server's ServerHello has none.
            "srcSessionId": ["078a389ef1767da304d9e10cc7a9441a734513694d3a353ed9522ac47f9c8aa4"],
            "version": ["TLSv1.2"],
            "versionCnt": 1,
        })
    );
    // The SNI.
    assert_eq!(
        doc["http"],
        json!({"host": ["bad.curveballtest.com"], "hostCnt": 1})
    );
    // Both certificates of the chain, in Arkime's order; the second's curve is
    // given as explicit parameters, which Arkime calls corrupt.
    assert_eq!(doc["certCnt"], json!(2));
    assert_eq!(
        doc["cert"],
        json!([
            {
                "alt": ["bad.curveballtest.com"],
                "altCnt": 1,
                "curve": "secp384r1",
                "hash": "af:cc:00:61:95:f8:2b:59:cf:4a:d2:3b:34:d7:b8:a2:1a:b7:4d:af",
                "issuerCN": ["infigo"],
                "issuerON": ["INFIGO IS"],
                "notAfter": 1_584_947_742_000u64,
                "notBefore": 1_521_875_742_000u64,
                "publicAlgorithm": "id-ecPublicKey",
                "remainingDays": 65,
                "remainingSeconds": 5_653_926,
                "serial": "5ecb7cee8ca206bf9ec00728889ad99f4362cfd9",
                "subjectCN": ["sans isc dshield test"],
                "subjectON": ["SANS Internet Storm Center"],
                "validDays": 730,
                "validSeconds": 63_072_000,
            },
            {
                "curve": "corrupt",
                "hash": "f9:ce:21:f0:64:d4:99:f9:e9:95:e8:4d:c7:30:6d:19:62:e1:02:c4",
                "issuerCN": ["infigo"],
                "issuerON": ["INFIGO IS"],
                "notAfter": 1_581_775_250_000u64,
                "notBefore": 1_579_183_250_000u64,
                "publicAlgorithm": "id-ecPublicKey",
                "remainingDays": 28,
                "remainingSeconds": 2_481_434,
                "serial": "62344031f7ab03e6f9327cde33419cf7fb09df94",
                "subjectCN": ["infigo"],
                "subjectON": ["INFIGO IS"],
                "validDays": 30,
                "validSeconds": 2_592_000,
            },
        ])
    );
    // Neither self-signed (the leaf's issuer is not its subject) nor a CA.
    assert_eq!(doc.get("tags"), None);
}

#[test]
fn sslv3_self_signed_with_default_options() {
    // The server's flight in 40-byte segments: every record is reassembled.
    let c = TcpConversation::new("10.0.0.1:40000", "10.0.0.2:4443")
        .handshake()
        .client(SELF_CLIENT)
        .segment(40)
        .server(SELF_SERVER)
        .segment(1460);
    let frames = after_the_hellos(c, [3, 0]).close().frames();
    // Arkime's session began at 1519400125.
    let frames = crate::starting_at(frames, 1_519_400_125);
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "tls"]));
    // Without ja3Strings and ja4Raw there are no ja3string, ja3sstring and ja4_r;
    // JA3S is md5("768,53,65281").
    assert_eq!(
        doc["tls"],
        json!({
            "cipher": ["TLS_RSA_WITH_AES_256_CBC_SHA"],
            "cipherCnt": 1,
            "dstSessionId": ["d8085c19d95282c3729bf84782c55e9464780f2721648365a55ad6be14ede710"],
            "ja3": ["03e697d7655911e630ee3ee8e2a02ba4"],
            "ja3Cnt": 1,
            "ja3s": ["9f527afa113542d92a2c3b08c525ee1d"],
            "ja3sCnt": 1,
            // No extensions: the extension hash is twelve zeros.
            "ja4": ["ts3i230000_6a57a6f57151_000000000000"],
            "ja4Cnt": 1,
            "version": ["SSLv3"],
            "versionCnt": 1,
        })
    );
    // No SNI.
    assert_eq!(doc.get("http"), None);
    assert_eq!(doc["cert"], json!([crate::selfsign_cert()]));
    assert_eq!(doc["certCnt"], json!(1));
    assert_eq!(doc["tags"], json!(["cert:self-signed"]));
    assert_eq!(doc["tagsCnt"], json!(1));
}

/// The TLS fields of the badcurveball hellos with default options.
fn curveball_tls_fields() -> serde_json::Value {
    json!({
        "cipher": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
        "cipherCnt": 1,
        "ja3": ["66918128f1b9b03303d77c6f2eefd128"],
        "ja3Cnt": 1,
        "ja3s": ["2d1eb5817ece335c24904f516ad5da12"],
        "ja3sCnt": 1,
        "ja4": ["t13d1615H2_46e7e9700bed_45f260be83e2"],
        "ja4Cnt": 1,
        "srcSessionId": ["078a389ef1767da304d9e10cc7a9441a734513694d3a353ed9522ac47f9c8aa4"],
        "version": ["TLSv1.2"],
        "versionCnt": 1,
    })
}

#[test]
fn a_certificate_record_cut_by_the_end_is_read_when_the_document_is_saved() {
    // The server's flight stops 100 bytes into the second certificate (the
    // Certificate record starts at 85 and its first certificate ends at 715), in
    // 300-byte segments: the record is never whole, so the framework still holds it
    // when the session ends, and the save reads it as far as it goes (Arkime's
    // tls_save): the first certificate only.
    let frames = TcpConversation::new("10.0.0.1:51234", "10.0.0.2:443")
        .handshake()
        .client(CURVE_CLIENT)
        .segment(300)
        .server(&CURVE_SERVER[..815])
        .close()
        .frames();
    let frames = crate::starting_at(frames, 1_579_293_816);
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "tls"]));
    assert_eq!(doc["tls"], curveball_tls_fields());
    assert_eq!(doc["certCnt"], json!(1));
    assert_eq!(
        doc["cert"][0]["serial"],
        json!("5ecb7cee8ca206bf9ec00728889ad99f4362cfd9")
    );
    assert_eq!(
        doc["cert"][0]["subjectCN"],
        json!(["sans isc dshield test"])
    );
}

#[test]
fn a_handshake_record_longer_than_the_buffer_is_not_read() {
    // The ServerHello record and, in the same segment, a handshake record header
    // saying 0x4806 + 5 = 18443 bytes (more than 18437): the hello is read, then TLS
    // gives up with Arkime's tag; the certificate record after it is not read.
    let mut server = CURVE_SERVER[..85].to_vec();
    server.extend_from_slice(&[0x16, 0x03, 0x03, 0x48, 0x06, 11, 0, 0, 0]);
    let frames = TcpConversation::new("10.0.0.1:51234", "10.0.0.2:443")
        .handshake()
        .client(CURVE_CLIENT)
        .server(&server)
        .server(&CURVE_SERVER[85..])
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["tls"], curveball_tls_fields());
    assert_eq!(doc.get("cert"), None);
    assert_eq!(doc["tags"], json!(["tls:record-too-long"]));
}
