use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

const ISPI_V1: [u8; 8] = [0xa1, 0xb2, 0xc3, 0xd4, 0x01, 0x02, 0x03, 0x04];
const RSPI_V1: [u8; 8] = [0x55; 8];
const ISPI_V2: [u8; 8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];
const RSPI_V2: [u8; 8] = [0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];

/// An ISAKMP message: SPIs, first payload type, version, exchange type, flags,
/// message id and the length of the whole message, then the payloads.
fn message(
    ispi: [u8; 8],
    rspi: [u8; 8],
    next: u8,
    version: u8,
    exchange: u8,
    flags: u8,
    payloads: &[u8],
) -> Vec<u8> {
    let mut m = ispi.to_vec();
    m.extend_from_slice(&rspi);
    m.extend_from_slice(&[next, version, exchange, flags, 0, 0, 0, 0]);
    m.extend_from_slice(&((28 + payloads.len()) as u32).to_be_bytes());
    m.extend_from_slice(payloads);
    m
}

/// A generic payload (or proposal / transform substructure): next (or "last"),
/// reserved, length of the whole, body.
fn sub(next: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![next, 0];
    p.extend_from_slice(&((4 + body.len()) as u16).to_be_bytes());
    p.extend_from_slice(body);
    p
}

/// An IKEv1 transform (KEY_IKE) with TV attributes and one TLV attribute (life
/// duration, which the parser passes over).
fn transform_v1(last: bool, number: u8, tv: &[(u16, u16)]) -> Vec<u8> {
    let mut b = vec![number, 1, 0, 0];
    for &(t, v) in tv {
        b.extend_from_slice(&(0x8000 | t).to_be_bytes());
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(&[0x80, 0x0b, 0x00, 0x01]); // life type: seconds
    b.extend_from_slice(&[0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80]); // 86400 s
    sub(if last { 0 } else { 3 }, &b)
}

/// An IKEv1 SA payload body: IPsec DOI, identity situation, one ISAKMP proposal.
fn sa_v1(transforms: &[Vec<u8>]) -> Vec<u8> {
    let mut prop = vec![1, 1, 0, transforms.len() as u8];
    for t in transforms {
        prop.extend_from_slice(t);
    }
    let mut b = vec![0, 0, 0, 1, 0, 0, 0, 1];
    b.extend_from_slice(&sub(0, &prop));
    b
}

/// An IKEv2 transform: type, id, optional key-length attribute.
fn transform_v2(last: bool, ty: u8, id: u16, key_bits: Option<u16>) -> Vec<u8> {
    let mut b = vec![ty, 0];
    b.extend_from_slice(&id.to_be_bytes());
    if let Some(k) = key_bits {
        b.extend_from_slice(&[0x80, 0x0e]);
        b.extend_from_slice(&k.to_be_bytes());
    }
    sub(if last { 0 } else { 3 }, &b)
}

/// An IKEv2 proposal for the IKE SA (no SPI).
fn proposal_v2(last: bool, number: u8, transforms: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![number, 1, 0, transforms.len() as u8];
    for t in transforms {
        b.extend_from_slice(t);
    }
    sub(if last { 0 } else { 2 }, &b)
}

const RFC3947: [u8; 16] = [
    0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
];
const DPD: [u8; 16] = [
    0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00,
];
const STRONGSWAN: [u8; 16] = [
    0x16, 0x6f, 0x93, 0x2d, 0x55, 0xeb, 0x64, 0xd8, 0xe4, 0xdf, 0x4f, 0xd3, 0x7e, 0x23, 0x13, 0xf0,
];

#[test]
fn ikev1_main_mode() {
    let aes = transform_v1(false, 1, &[(1, 7), (14, 256), (2, 4), (3, 1), (4, 14)]);
    let tdes = transform_v1(true, 2, &[(1, 5), (2, 2), (3, 1), (4, 2)]);
    let unknown_vid: Vec<u8> = (1..=20).collect();

    // 1: SA with two transforms, then two vendor ids (one known, one not).
    let mut p = sub(13, &sa_v1(&[aes.clone(), tdes]));
    p.extend_from_slice(&sub(13, &RFC3947));
    p.extend_from_slice(&sub(0, &unknown_vid));
    let m1 = message(ISPI_V1, [0; 8], 1, 0x10, 2, 0, &p);

    // 2: the responder picks the AES transform (the last one now), DPD vendor id.
    let chosen = transform_v1(true, 1, &[(1, 7), (14, 256), (2, 4), (3, 1), (4, 14)]);
    let mut p = sub(13, &sa_v1(&[chosen]));
    p.extend_from_slice(&sub(0, &DPD));
    let m2 = message(ISPI_V1, RSPI_V1, 1, 0x10, 2, 0, &p);

    // 3 and 4: key exchange and nonce, nothing the parser reads.
    let mut p = sub(10, &[0x42; 256]);
    p.extend_from_slice(&sub(0, &[0x17; 16]));
    let m3 = message(ISPI_V1, RSPI_V1, 4, 0x10, 2, 0, &p);
    let m4 = message(ISPI_V1, RSPI_V1, 4, 0x10, 2, 0, &p);

    // 5: encrypted (flag 1); the bytes after the header would read as a vendor id.
    let m5 = message(ISPI_V1, RSPI_V1, 5, 0x10, 2, 1, &sub(0, &DPD));

    let frames = UdpExchange::new("10.0.0.1:500", "192.0.2.10:500")
        .client(&m1)
        .server(&m2)
        .client(&m3)
        .server(&m4)
        .client(&m5)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "isakmp"]));
    assert_eq!(
        doc["isakmp"],
        json!({
            "initiatorSpi": ["a1b2c3d401020304"],
            "initiatorSpiCnt": 1,
            "responderSpi": ["5555555555555555"],
            "responderSpiCnt": 1,
            "version": ["1.0"],
            "versionCnt": 1,
            "exchangeType": ["identity-protection"],
            "exchangeTypeCnt": 1,
            "vendorId": ["rfc3947-nat-t", "0102030405060708090a0b0c0d0e0f10", "dpd"],
            "vendorIdCnt": 3,
            "encryption": ["aes-cbc", "3des-cbc"],
            "encryptionCnt": 2,
            "hash": ["sha2-256", "sha1"],
            "hashCnt": 2,
            "authMethod": ["psk"],
            "authMethodCnt": 1,
            "dhGroup": ["modp2048", "modp1024"],
            "dhGroupCnt": 2,
        })
    );
}

#[test]
fn ikev2_sa_init_then_auth() {
    // Proposal 1: AES-GCM-16/256, PRF-HMAC-SHA2-256, curve25519. Proposal 2:
    // AES-CBC/256, HMAC-SHA2-256-128 (integrity, not read), PRF-HMAC-SHA2-512, ecp256.
    let p1 = proposal_v2(
        false,
        1,
        &[
            transform_v2(false, 1, 20, Some(256)),
            transform_v2(false, 2, 5, None),
            transform_v2(true, 4, 31, None),
        ],
    );
    let p2 = proposal_v2(
        true,
        2,
        &[
            transform_v2(false, 1, 12, Some(256)),
            transform_v2(false, 3, 12, None),
            transform_v2(false, 2, 7, None),
            transform_v2(true, 4, 19, None),
        ],
    );
    let mut sa = p1.clone();
    sa.extend_from_slice(&p2);
    let mut ke = vec![0, 31, 0, 0];
    ke.extend_from_slice(&[0x99; 32]);

    // SA, KE, Ni, N(NAT_DETECTION_SOURCE_IP), V.
    let mut p = sub(34, &sa);
    p.extend_from_slice(&sub(40, &ke));
    p.extend_from_slice(&sub(41, &[0x5a; 32]));
    let mut notify = vec![0, 0, 0x40, 0x04];
    notify.extend_from_slice(&[0x33; 20]);
    p.extend_from_slice(&sub(43, &notify));
    p.extend_from_slice(&sub(0, &STRONGSWAN));
    let init = message(ISPI_V2, [0; 8], 33, 0x20, 34, 0x08, &p);

    // The response: proposal 1 (now the last), KE, Nr, an unknown 8-byte vendor id.
    let chosen = proposal_v2(
        true,
        1,
        &[
            transform_v2(false, 1, 20, Some(256)),
            transform_v2(false, 2, 5, None),
            transform_v2(true, 4, 31, None),
        ],
    );
    let mut p = sub(34, &chosen);
    p.extend_from_slice(&sub(40, &ke));
    p.extend_from_slice(&sub(43, &[0x6b; 32]));
    p.extend_from_slice(&sub(0, b"TRAWLVID"));
    let resp = message(ISPI_V2, RSPI_V2, 33, 0x20, 34, 0x20, &p);

    // IKE_AUTH: an SK payload; only the header is read.
    let auth = message(ISPI_V2, RSPI_V2, 46, 0x20, 35, 0x08, &sub(0, &[0xee; 80]));

    let frames = UdpExchange::new("10.0.0.1:500", "192.0.2.20:500")
        .client(&init)
        .server(&resp)
        .client(&auth)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "isakmp"]));
    assert_eq!(
        doc["isakmp"],
        json!({
            "initiatorSpi": ["0011223344556677"],
            "initiatorSpiCnt": 1,
            "responderSpi": ["8899aabbccddeeff"],
            "responderSpiCnt": 1,
            "version": ["2.0"],
            "versionCnt": 1,
            "exchangeType": ["ike-sa-init", "ike-auth"],
            "exchangeTypeCnt": 2,
            "vendorId": ["strongswan", "545241574c564944"],
            "vendorIdCnt": 2,
            "encryption": ["aes-gcm-16", "aes-cbc"],
            "encryptionCnt": 2,
            "hash": ["prf-hmac-sha2-256", "prf-hmac-sha2-512"],
            "hashCnt": 2,
            "dhGroup": ["curve25519", "ecp256"],
            "dhGroupCnt": 2,
        })
    );
}

#[test]
fn nat_traversal_on_4500() {
    let marked = |m: Vec<u8>| {
        let mut d = vec![0, 0, 0, 0];
        d.extend_from_slice(&m);
        d
    };
    let auth = marked(message(
        ISPI_V2,
        RSPI_V2,
        46,
        0x20,
        35,
        0x08,
        &sub(0, &[0xee; 64]),
    ));
    let auth_rsp = marked(message(
        ISPI_V2,
        RSPI_V2,
        46,
        0x20,
        35,
        0x20,
        &sub(0, &[0xdd; 64]),
    ));
    // ESP on the same port: a non-zero SPI where the marker would be; not read.
    let mut esp = vec![0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 1];
    esp.extend_from_slice(&[0x77; 64]);
    let info = marked(message(
        ISPI_V2,
        RSPI_V2,
        46,
        0x20,
        37,
        0x08,
        &sub(0, &[0xcc; 32]),
    ));

    let frames = UdpExchange::new("10.0.0.1:4500", "192.0.2.20:4500")
        .client(&auth)
        .server(&auth_rsp)
        .client(&esp)
        .server(&esp)
        .client(&info)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "isakmp"]));
    assert_eq!(
        doc["isakmp"],
        json!({
            "initiatorSpi": ["0011223344556677"],
            "initiatorSpiCnt": 1,
            "responderSpi": ["8899aabbccddeeff"],
            "responderSpiCnt": 1,
            "version": ["2.0"],
            "versionCnt": 1,
            "exchangeType": ["ike-auth", "informational"],
            "exchangeTypeCnt": 2,
        })
    );
}

#[test]
fn esp_on_4500_is_not_isakmp() {
    let mut esp = vec![0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 1];
    esp.extend_from_slice(&[0x10; 40]);
    let frames = UdpExchange::new("10.0.0.1:4500", "192.0.2.20:4500")
        .client(&esp)
        .server(&esp)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp"]));
    assert!(doc.get("isakmp").is_none());
}
