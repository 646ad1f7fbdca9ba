use serde_json::json;
use trawl_testkit::{run_session, TcpConversation, UdpExchange};

/// CRC-CCITT as C37.118 computes CHK: polynomial 0x1021, initial 0xffff, not
/// reflected (CRC-16/CCITT-FALSE; Python's binascii.crc_hqx(data, 0xffff)).
fn chk(d: &[u8]) -> [u8; 2] {
    let mut c: u16 = 0xffff;
    for &b in d {
        c ^= u16::from(b) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            };
        }
    }
    c.to_be_bytes()
}

/// A frame: SYNC (0xaa, type << 4 | version), FRAMESIZE, IDCODE, SOC, FRACSEC, the
/// payload, CHK.
fn frame(ty: u8, version: u8, idcode: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0xaa, ty << 4 | version];
    f.extend_from_slice(&((16 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&idcode.to_be_bytes());
    f.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    f.extend_from_slice(&0x0001_86a0u32.to_be_bytes()); // FRACSEC
    f.extend_from_slice(payload);
    let c = chk(&f);
    f.extend_from_slice(&c);
    f
}

const COMMAND: u8 = 4;
const CFG2: u8 = 3;
const CFG3: u8 = 5;
const DATA: u8 = 0;

/// A CFG-2 PMU block: station name (16 bytes, space padded), IDCODE, FORMAT, and
/// `ph` phasors and `an` analogs with names and units, FNOM and CFGCNT.
fn cfg2_pmu(name: &str, idcode: u16, ph: u16, an: u16) -> Vec<u8> {
    let mut p = format!("{name:<16}").into_bytes();
    p.extend_from_slice(&idcode.to_be_bytes());
    p.extend_from_slice(&0x000fu16.to_be_bytes()); // floats, polar
    p.extend_from_slice(&ph.to_be_bytes());
    p.extend_from_slice(&an.to_be_bytes());
    p.extend_from_slice(&0u16.to_be_bytes());
    for i in 0..ph + an {
        p.extend_from_slice(format!("{:<16}", format!("CH{i}")).as_bytes());
    }
    for _ in 0..ph + an {
        p.extend_from_slice(&[0, 0, 0, 1]);
    }
    p.extend_from_slice(&[0, 0, 0, 1]); // FNOM 50 Hz, CFGCNT 1
    p
}

#[test]
fn command_cfg2_and_data_over_tcp() {
    let idcode = 7734;
    // CFG-2: TIME_BASE 1000000, two PMUs, DATA_RATE 30.
    let mut cfg = 1_000_000u32.to_be_bytes().to_vec();
    cfg.extend_from_slice(&2u16.to_be_bytes());
    cfg.extend(cfg2_pmu("SUB-A PMU1", 1, 1, 1));
    cfg.extend(cfg2_pmu("SUB-B PMU2", 2, 2, 0));
    cfg.extend_from_slice(&30u16.to_be_bytes());
    let cfg = frame(CFG2, 1, idcode, &cfg);
    // A data frame: STAT, then the measurements (not read).
    let data = frame(DATA, 1, idcode, &[0; 2 + 8 + 8 + 2 + 4 + 4 + 16 + 2]);
    let frames = TcpConversation::new("10.12.0.1:40712", "10.12.0.50:4712")
        .handshake()
        // Command 5: send CFG-2.
        .client(&frame(COMMAND, 1, idcode, &5u16.to_be_bytes()))
        // The configuration in 60-byte pieces: buffered until whole.
        .segment(60)
        .server(&cfg)
        .segment(1460)
        // Command 2: turn on transmission.
        .client(&frame(COMMAND, 1, idcode, &2u16.to_be_bytes()))
        .server(&[data.clone(), data].concat())
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "synchrophasor"]));
    // Station names lose their padding.
    assert_eq!(
        doc["synchrophasor"],
        json!({
            "frameType": ["command", "cfg2", "data"],
            "frameTypeCnt": 3,
            "idcode": [7734],
            "idcodeCnt": 1,
            "cmd": [5, 2],
            "cmdCnt": 2,
            "numPMU": [2],
            "numPMUCnt": 1,
            "station": ["SUB-A PMU1", "SUB-B PMU2"],
            "stationCnt": 2,
            "dataRate": [30],
            "dataRateCnt": 1,
        })
    );
}

#[test]
fn cfg3_over_udp() {
    let idcode: u16 = 12;
    // CFG-3 (2011): CONT_IDX, TIME_BASE, one PMU: name with its length byte, IDCODE,
    // G_PMU_ID (16), FORMAT, one phasor; its name (length byte first), PHSCALE (12),
    // lat/lon/elev, service class, window, group delay (21), FNOM and CFGCNT; then
    // DATA_RATE 60.
    let mut cfg = vec![0, 0];
    cfg.extend_from_slice(&1_000_000u32.to_be_bytes());
    cfg.extend_from_slice(&1u16.to_be_bytes());
    cfg.push(13);
    cfg.extend_from_slice(b"Feeder 12 PMU");
    cfg.extend_from_slice(&idcode.to_be_bytes());
    cfg.extend_from_slice(&[0x42; 16]);
    cfg.extend_from_slice(&[0, 0x0f, 0, 1, 0, 0, 0, 0]);
    cfg.push(4);
    cfg.extend_from_slice(b"VA_1");
    cfg.extend_from_slice(&[0; 12]);
    cfg.extend_from_slice(&[0; 21]);
    cfg.extend_from_slice(&[0, 0, 0, 1]);
    cfg.extend_from_slice(&60u16.to_be_bytes());
    let frames = UdpExchange::new("10.12.1.1:4713", "10.12.1.60:4713")
        // Command 6: send CFG-3 (version 2, IEEE C37.118.2-2011).
        .client(&frame(COMMAND, 2, idcode, &6u16.to_be_bytes()))
        .server(&frame(CFG3, 2, idcode, &cfg))
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["udp", "synchrophasor"]));
    assert_eq!(
        doc["synchrophasor"],
        json!({
            "frameType": ["command", "cfg3"],
            "frameTypeCnt": 2,
            "idcode": [12],
            "idcodeCnt": 1,
            "cmd": [6],
            "cmdCnt": 1,
            "numPMU": [1],
            "numPMUCnt": 1,
            "station": ["Feeder 12 PMU"],
            "stationCnt": 1,
            "dataRate": [60],
            "dataRateCnt": 1,
        })
    );
}

#[test]
fn chk_is_crc_ccitt_false() {
    // CRC-16/CCITT-FALSE's check value for "123456789" is 0x29B1 (binascii.crc_hqx).
    assert_eq!(chk(b"123456789"), [0x29, 0xb1]);
}
