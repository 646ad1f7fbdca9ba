use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A control packet: first byte (type << 4 | flags), remaining length as MQTT's
/// variable-length integer, body.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    let mut n = body.len();
    loop {
        let b = (n % 128) as u8;
        n /= 128;
        p.push(if n > 0 { b | 0x80 } else { b });
        if n == 0 {
            break;
        }
    }
    p.extend_from_slice(body);
    p
}

fn string(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(&(s.len() as u16).to_be_bytes());
    v.extend_from_slice(s.as_bytes());
}

#[test]
fn connect_subscribe_publish_both_ways() {
    // CONNECT, MQTT 3.1.1 (level 4): user name, password, will QoS 1, clean session.
    let mut connect = Vec::new();
    string(&mut connect, "MQTT");
    connect.push(4);
    connect.push(0x80 | 0x40 | 0x08 | 0x04 | 0x02);
    connect.extend_from_slice(&60u16.to_be_bytes()); // keep alive
    for s in [
        "sensor-7",
        "plant/sensor-7/status",
        "offline",
        "Operator",
        "secret",
    ] {
        string(&mut connect, s);
    }
    let connect = packet(0x10, &connect);
    // SUBSCRIBE (flags 2), packet id 1, one filter at QoS 1.
    let mut sub = 1u16.to_be_bytes().to_vec();
    string(&mut sub, "plant/+/cmd");
    sub.push(1);
    // PUBLISH at QoS 1 (flags 2): topic, packet id 2, payload.
    let mut publish = Vec::new();
    string(&mut publish, "plant/sensor-7/temp");
    publish.extend_from_slice(&2u16.to_be_bytes());
    publish.extend_from_slice(b"21.5");
    // The server's PUBLISH at QoS 0: topic and payload, no packet id.
    let mut cmd = Vec::new();
    string(&mut cmd, "plant/sensor-7/cmd");
    cmd.extend_from_slice(b"reset");
    // UNSUBSCRIBE (flags 2), packet id 3.
    let mut unsub = 3u16.to_be_bytes().to_vec();
    string(&mut unsub, "plant/+/cmd");

    let frames = TcpConversation::new("10.4.0.2:51515", "10.4.0.1:1883")
        .handshake()
        .client(&connect)
        .server(&packet(0x20, &[0, 0])) // CONNACK: accepted
        .client(&packet(0x82, &sub))
        .server(&packet(0x90, &[0, 1, 1])) // SUBACK
        // The PUBLISH arrives in 7-byte pieces: the topic is read once whole.
        .segment(7)
        .client(&packet(0x32, &publish))
        .segment(1460)
        .server(&packet(0x40, &[0, 2])) // PUBACK
        .server(&packet(0x30, &cmd))
        .client(&packet(0xa2, &unsub))
        .server(&packet(0xb0, &[0, 3])) // UNSUBACK
        .client(&packet(0xc0, &[])) // PINGREQ
        .server(&packet(0xd0, &[])) // PINGRESP
        .client(&packet(0xe0, &[])) // DISCONNECT
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "mqtt"]));
    // QoS: the will's 1 (from CONNECT), the client's PUBLISH 1, the server's 0. The
    // user name goes, lower-cased, to the session's user field.
    assert_eq!(
        doc["mqtt"],
        json!({
            "type": [
                "CONNECT", "CONNACK", "SUBSCRIBE", "SUBACK", "PUBLISH", "PUBACK",
                "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT"
            ],
            "typeCnt": 11,
            "version": ["3.1.1"],
            "versionCnt": 1,
            "flags": ["hasWill", "cleanSession", "hasPassword"],
            "flagsCnt": 3,
            "qos": [1, 0],
            "qosCnt": 2,
            "clientId": ["sensor-7"],
            "clientIdCnt": 1,
            "willTopic": ["plant/sensor-7/status"],
            "willTopicCnt": 1,
            "topic": ["plant/+/cmd", "plant/sensor-7/temp", "plant/sensor-7/cmd"],
            "topicCnt": 3,
            "connackCode": [0],
            "connackCodeCnt": 1,
        })
    );
    assert_eq!(doc["user"], json!(["operator"]));
}
