use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A TPKT (version 3, length) around a COTP data TPDU (length 2, DT 0xf0, EOT) and
/// this S7 PDU.
fn dt(pdu: &[u8]) -> Vec<u8> {
    let mut t = vec![3, 0];
    t.extend_from_slice(&((4 + 3 + pdu.len()) as u16).to_be_bytes());
    t.extend_from_slice(&[0x02, 0xf0, 0x80]);
    t.extend_from_slice(pdu);
    t
}

/// An S7comm header: protocol id 0x32, ROSCTR, redundancy id, PDU reference,
/// parameter and data lengths, (for Ack_Data) error class and code; then parameters
/// and data.
fn s7(rosctr: u8, pdu_ref: u16, error: Option<[u8; 2]>, param: &[u8], data: &[u8]) -> Vec<u8> {
    let mut p = vec![0x32, rosctr, 0, 0];
    p.extend_from_slice(&pdu_ref.to_be_bytes());
    p.extend_from_slice(&(param.len() as u16).to_be_bytes());
    p.extend_from_slice(&(data.len() as u16).to_be_bytes());
    if let Some(e) = error {
        p.extend_from_slice(&e);
    }
    p.extend_from_slice(param);
    p.extend_from_slice(data);
    p
}

#[test]
fn setup_read_and_a_refused_plc_stop() {
    // COTP connection request and confirm with TSAPs 0x0100 / 0x0102: no S7 yet.
    let cr = [
        3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 10,
    ];
    let cc = [
        3, 0, 0, 22, 17, 0xd0, 0, 1, 0, 1, 0, 0xc0, 1, 10, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2,
    ];
    // Setup communication (0xf0): max AmQ 1/1, PDU size 480.
    let setup = dt(&s7(1, 1, None, &[0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0], &[]));
    let setup_ack = dt(&s7(
        3,
        1,
        Some([0, 0]),
        &[0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0],
        &[],
    ));
    // Read Var (4) of one item: DB1.DBW0.
    let read = dt(&s7(
        1,
        2,
        None,
        &[4, 1, 0x12, 0x0a, 0x10, 0x02, 0, 1, 0, 1, 0x84, 0, 0, 0],
        &[],
    ));
    let read_ack = dt(&s7(
        3,
        2,
        Some([0, 0]),
        &[4, 1],
        &[0xff, 0x04, 0, 16, 0x12, 0x34],
    ));
    // PLC Stop (0x29) of "P_PROGRAM", refused: error class 0x84, code 0x04.
    let mut stop = vec![0x29, 0, 0, 0, 0, 0, 9];
    stop.extend_from_slice(b"P_PROGRAM");
    let stop = dt(&s7(1, 3, None, &stop, &[]));
    let stop_ack = dt(&s7(3, 3, Some([0x84, 0x04]), &[0x29], &[]));

    let mut two = read.clone();
    two.extend_from_slice(&stop);
    let frames = TcpConversation::new("10.7.0.20:49160", "10.7.0.10:102")
        .handshake()
        .client(&cr)
        .server(&cc)
        .client(&setup)
        .server(&setup_ack)
        // Two TPKTs in 10-byte pieces.
        .segment(10)
        .client(&two)
        .segment(1460)
        .server(&[read_ack, stop_ack].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    // The classifier only registers the parser; "s7comm" comes with the first S7
    // PDU.
    assert_eq!(doc["protocol"], json!(["tcp", "s7comm"]));
    assert_eq!(
        doc["s7comm"],
        json!({
            "rosctr": [1, 3],
            "rosctrCnt": 2,
            "pduref": [1, 2, 3],
            "pdurefCnt": 3,
            "func": [240, 4, 41],
            "funcCnt": 3,
            "funcName": ["Setup communication", "Read Var", "PLC Stop"],
            "funcNameCnt": 3,
            "errorClass": [132],
            "errorClassCnt": 1,
            "errorCode": [4],
            "errorCodeCnt": 1,
        })
    );
}

#[test]
fn s7comm_plus_opcodes() {
    // S7comm-plus V3: protocol id 0x72, version 3, data length, a 32-byte integrity
    // digest (length byte first), then the opcode (0x31 request, 0x32 response).
    let plus = |opcode: u8| {
        let mut p = vec![0x72, 3, 0, 40, 32];
        p.extend_from_slice(&[0xa5; 32]);
        p.extend_from_slice(&[opcode, 0, 0, 0x04, 0xf2, 0, 0, 0, 1]);
        dt(&p)
    };
    let frames = TcpConversation::new("10.7.1.20:49161", "10.7.1.10:102")
        .handshake()
        .client(&plus(0x31))
        .server(&plus(0x32))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "s7comm-plus"]));
    assert_eq!(doc["s7comm"], json!({"opcode": [49, 50], "opcodeCnt": 2}));
}

#[test]
fn more_than_8_kib_held_gives_up() {
    // A Setup communication job, then a Read Var job padded to a TPKT of 8000 bytes and
    // 500 more bytes, in 1460-byte segments. Arkime keeps at most 8 KiB per direction:
    // the sixth segment takes it to 8500 bytes, and it gives up with a tag before
    // reading the frame, although the frame is whole among them: no Read Var.
    let setup = dt(&s7(1, 1, None, &[0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0], &[]));
    let mut big = dt(&s7(1, 2, None, &[4, 1], &[]));
    big.resize(8000, 0);
    big[2..4].copy_from_slice(&8000u16.to_be_bytes());
    let frames = TcpConversation::new("10.7.2.20:49162", "10.7.2.10:102")
        .handshake()
        .client(&setup)
        .client(&[big, vec![0; 500]].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["tags"], json!(["s7comm:frame-too-long"]));
    assert_eq!(
        doc["s7comm"],
        json!({
            "rosctr": [1],
            "rosctrCnt": 1,
            "pduref": [1],
            "pdurefCnt": 1,
            "func": [240],
            "funcCnt": 1,
            "funcName": ["Setup communication"],
            "funcNameCnt": 1,
        })
    );
}
