use serde_json::json;
use trawl_testkit::{run_session, UdpExchange};

/// A BACnet/IP datagram: BVLC type 0x81, function, length; then the NPDU and APDU.
fn bvlc(function: u8, npdu_apdu: &[u8]) -> Vec<u8> {
    let mut d = vec![0x81, function];
    d.extend_from_slice(&((4 + npdu_apdu.len()) as u16).to_be_bytes());
    d.extend_from_slice(npdu_apdu);
    d
}

#[test]
fn who_is_i_am_and_read_property_of_the_object_name() {
    // Who-Is (unconfirmed 8) to the global network: NPDU control 0x20 (DNET present),
    // DNET 0xffff, DLEN 0, hop count 255.
    let who_is = bvlc(0x0a, &[0x01, 0x20, 0xff, 0xff, 0x00, 0xff, 0x10, 0x08]);
    // I-Am (unconfirmed 0): device 100, max APDU 1476, segmentation both, vendor 15.
    let i_am = bvlc(
        0x0a,
        &[
            0x01, 0x00, 0x10, 0x00, 0xc4, 0x02, 0x00, 0x00, 0x64, 0x22, 0x05, 0xc4, 0x91, 0x00,
            0x21, 0x0f,
        ],
    );
    // ReadProperty (confirmed 12), invoke id 1: device 100, property object-name (77).
    let read = bvlc(
        0x0a,
        &[
            0x01, 0x04, 0x00, 0x05, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0x64, 0x19, 0x4d,
        ],
    );
    // Its Complex-ACK: [3] { CharacterString (0x75, extended length 17): charset 0,
    // "AHU-1 Supply Fan" }.
    let mut ack = vec![
        0x01, 0x00, 0x30, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0x64, 0x19, 0x4d, 0x3e, 0x75, 17,
        0x00,
    ];
    ack.extend_from_slice(b"AHU-1 Supply Fan");
    ack.push(0x3f);
    let ack = bvlc(0x0a, &ack);

    let frames = UdpExchange::new("10.8.0.5:47808", "10.8.0.100:47808")
        .client(&who_is)
        .server(&i_am)
        .client(&read)
        .server(&ack)
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "bacnet"]));
    // The ACK's opening tag [3] (0x3e) is skipped; the first character string after
    // the service choice is the name.
    assert_eq!(
        doc["bacnet"],
        json!({
            "function": ["original-unicast"],
            "functionCnt": 1,
            "apduType": ["unconfirmed-request", "confirmed-request", "complex-ack"],
            "apduTypeCnt": 3,
            "service": ["who-is", "i-am", "read-property"],
            "serviceCnt": 3,
            "objectName": ["AHU-1 Supply Fan"],
            "objectNameCnt": 1,
        })
    );
}
