use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A Modbus/TCP frame: MBAP header (transaction id, protocol id 0, length of unit id
/// and PDU, unit id) and the PDU (function code and data).
fn frame(transaction: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut f = transaction.to_be_bytes().to_vec();
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
    f.push(unit);
    f.extend_from_slice(pdu);
    f
}

#[test]
fn requests_responses_and_an_exception() {
    // Read Holding Registers (3): 3 registers from 107.
    let read = frame(1, 17, &[3, 0, 107, 0, 3]);
    // Its response: 6 bytes, three registers.
    let read_rsp = frame(1, 17, &[3, 6, 0x02, 0x2b, 0x00, 0x00, 0x00, 0x64]);
    // Write Single Register (6) and Read Coils (1), in one segment.
    let mut writes = frame(2, 17, &[6, 0, 1, 0, 3]);
    writes.extend(frame(3, 17, &[1, 0, 0, 0, 8]));
    // Exception response to the write: function 0x86, code 2 (illegal data address);
    // then the coils.
    let mut exc = frame(2, 17, &[0x86, 2]);
    exc.extend(frame(3, 17, &[1, 1, 0x55]));

    let frames = TcpConversation::new("10.1.0.5:49200", "10.1.0.9:502")
        .handshake()
        .client(&read)
        .server(&read_rsp)
        // Split mid-frame: the parser buffers the rest.
        .segment(9)
        .client(&writes)
        .server(&exc)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "modbus"]));
    // Transaction ids and function codes come from the client's requests only; the
    // exception code from the server's 0x86; unit and protocol id from each
    // direction's first packet (the same values both ways).
    assert_eq!(
        doc["modbus"],
        json!({
            "unitid": 17,
            "protocolid": 0,
            "transactionid": [1, 2, 3],
            "transactionidCnt": 3,
            "funccode": [3, 6, 1],
            "funccodeCnt": 3,
            "exccode": [2],
            "exccodeCnt": 1,
        })
    );
}
