use serde_json::json;
use trawl_testkit::{run_session, TcpConversation};

/// A transport message: command, two arguments, payload length, payload checksum and
/// the command xor 0xffffffff (all little-endian), then the payload.
fn msg(cmd: &[u8; 4], arg0: u32, arg1: u32, payload: &[u8]) -> Vec<u8> {
    let cmd = u32::from_le_bytes(*cmd);
    let mut m = cmd.to_le_bytes().to_vec();
    m.extend_from_slice(&arg0.to_le_bytes());
    m.extend_from_slice(&arg1.to_le_bytes());
    m.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let sum: u32 = payload.iter().map(|&b| u32::from(b)).sum();
    m.extend_from_slice(&sum.to_le_bytes());
    m.extend_from_slice(&(!cmd).to_le_bytes());
    m.extend_from_slice(payload);
    m
}

const VERSION: u32 = 0x0100_0001;

#[test]
fn auth_connect_and_a_shell_v2_command() {
    // The host connects; the device asks for authentication (token), the host signs
    // it (signature), then offers its public key; the device accepts.
    let cnxn = msg(b"CNXN", VERSION, 262144, b"host::features=shell_v2\0");
    let token = msg(b"AUTH", 1, 0, &[7; 20]);
    let signature = msg(b"AUTH", 2, 0, &[9; 32]);
    let key = msg(b"AUTH", 3, 0, b"QAAAAKey= user@host\0");
    let dev = msg(
        b"CNXN",
        VERSION,
        4096,
        b"device:HVA12345:ro.product.name=x;\0",
    );
    // Shell v2 stream 1 (host) / 2 (device): stdout "uid=0\n", exit code 42.
    let open = msg(b"OPEN", 1, 0, b"shell,v2,TERM=xterm,raw:id\0");
    let ready = msg(b"OKAY", 2, 1, &[]);
    let mut out = vec![1, 6, 0, 0, 0];
    out.extend_from_slice(b"uid=0\n");
    out.extend_from_slice(&[3, 1, 0, 0, 0, 42]);
    let wrte = msg(b"WRTE", 2, 1, &out);
    let clse = msg(b"CLSE", 1, 2, &[]);

    let frames = TcpConversation::new("10.0.0.1:40001", "10.0.0.2:5555")
        .handshake()
        .client(&cnxn)
        .server(&token)
        .client(&signature)
        .server(&token)
        .client(&key)
        .server(&dev)
        // Split mid-header: the rest comes with the next segment.
        .segment(20)
        .client(&open)
        .server(&ready)
        .segment(1460)
        .server(&wrte)
        .client(&clse)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "adb"]));
    assert_eq!(doc["tags"], json!(["adb:shell-v2"]));
    // System types lower-cased; the host's empty serial is left out; the OPEN's
    // local id alone, the OKAY's pair as "local-remote".
    assert_eq!(
        doc["adb"],
        json!({
            "command": ["cnxn", "auth", "open", "okay", "wrte", "clse"],
            "commandCnt": 6,
            "version": ["0x01000001"],
            "versionCnt": 1,
            "maxpayload": ["262144", "4096"],
            "maxpayloadCnt": 2,
            "systemtype": ["host", "device"],
            "systemtypeCnt": 2,
            "serial": ["HVA12345"],
            "serialCnt": 1,
            "authtype": ["token", "signature", "rsapublickey"],
            "authtypeCnt": 3,
            "streamid": ["1", "2-1"],
            "streamidCnt": 2,
            "service": ["shell"],
            "serviceCnt": 1,
            "shell.exitcode": ["42"],
            "shell.exitcodeCnt": 1,
        })
    );
}

#[test]
fn file_sync_and_port_forwards() {
    let cnxn = msg(b"CNXN", VERSION, 262144, b"host::\0");
    let open = msg(b"OPEN", 1, 0, b"sync:\0");
    // STAT of a directory, then SEND of a file with its mode, its data and DONE.
    let mut req = b"STAT".to_vec();
    req.extend_from_slice(&8u32.to_le_bytes());
    req.extend_from_slice(b"/sdcard/");
    req.extend_from_slice(b"SEND");
    req.extend_from_slice(&23u32.to_le_bytes());
    req.extend_from_slice(b"/sdcard/upload.txt,33188");
    req.truncate(req.len() - 1);
    req.extend_from_slice(b"DATA");
    req.extend_from_slice(&5u32.to_le_bytes());
    req.extend_from_slice(b"hello");
    req.extend_from_slice(b"DONE");
    req.extend_from_slice(&0u32.to_le_bytes());
    let wrte = msg(b"WRTE", 1, 2, &req);
    // The device fails it with a message.
    let mut fail = b"FAIL".to_vec();
    fail.extend_from_slice(&4u32.to_le_bytes());
    fail.extend_from_slice(b"nope");
    let wrte_fail = msg(b"WRTE", 2, 1, &fail);
    // Forwards on other streams.
    let fwd = msg(b"OPEN", 3, 0, b"forward:tcp:8080;tcp:80\0");
    let rev = msg(b"OPEN", 5, 0, b"reverse:forward:tcp:9090;tcp:443\0");

    let frames = TcpConversation::new("10.0.0.1:40002", "10.0.0.2:5555")
        .handshake()
        .client(&cnxn)
        .client(&open)
        .client(&wrte)
        .server(&wrte_fail)
        .client(&fwd)
        .client(&rev)
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["tags"], json!(["adb:sync"]));
    let adb = &doc["adb"];
    // SEND's ",mode" is cut from its path (here ",3318").
    assert_eq!(
        adb["sync.operation"],
        json!(["STAT", "SEND", "DATA", "DONE", "FAIL"])
    );
    assert_eq!(adb["sync.path"], json!(["/sdcard/", "/sdcard/upload.txt"]));
    assert_eq!(adb["forward.direction"], json!(["forward", "reverse"]));
    assert_eq!(adb["forward.local"], json!(["tcp:8080", "tcp:9090"]));
    assert_eq!(adb["forward.remote"], json!(["tcp:80", "tcp:443"]));
    assert_eq!(adb["service"], json!(["sync", "forward", "reverse"]));
    assert_eq!(adb["streamid"], json!(["1", "3", "5"]));
}

#[test]
fn client_server_requests_to_the_adb_server() {
    // "host:forward:..." (0x1c bytes), then "host:version" (0x0c); the server's
    // "OKAY" is not hex and never a whole header.
    let frames = TcpConversation::new("10.0.0.3:40006", "10.0.0.4:5037")
        .handshake()
        .client(b"001chost:forward:tcp:8080;tcp:80")
        .server(b"OKAY")
        .client(b"000chost:version")
        .server(b"OKAY0004001f")
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "adb"]));
    assert_eq!(
        doc["adb"],
        json!({
            "forward.direction": ["forward"],
            "forward.directionCnt": 1,
            "forward.local": ["tcp:8080"],
            "forward.localCnt": 1,
            "forward.remote": ["tcp:80"],
            "forward.remoteCnt": 1,
            "service": ["host"],
            "serviceCnt": 1,
        })
    );
}

#[test]
fn stls_on_both_sides_hands_over_to_the_classifiers() {
    let cnxn = msg(b"CNXN", VERSION, 262144, b"host::\0");
    let stls = msg(b"STLS", 0x0100_0000, 0, &[]);
    // After both STLS, the next segment goes to the TCP classifiers (TLS in practice;
    // this crate's SSH classifier here, to show the hand-over), and ADB is done.
    let frames = TcpConversation::new("10.0.0.1:40005", "10.0.0.2:5555")
        .handshake()
        .client(&cnxn)
        .server(&stls)
        .client(&stls)
        .client(b"SSH-2.0-OpenSSH_9.6\r\n")
        .client(&msg(b"CLSE", 1, 2, &[]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["protocol"], json!(["tcp", "adb", "ssh"]));
    assert_eq!(doc["tags"], json!(["adb:tls", "adb:tls-encrypted"]));
    assert_eq!(doc["adb"]["command"], json!(["cnxn", "stls"]));
}

#[test]
fn bytes_past_arkimes_buffer_are_lost() {
    // After the CNXN, 10 bytes of an OPEN header; then one segment with the rest of
    // the OPEN (31 bytes in all), a WRTE of 8121 bytes of payload (8145) and an OKAY
    // (24): 8200 bytes for Arkime's 8192-byte buffer, so the OKAY's last 8 bytes are
    // dropped. Its first 16 then read as a header whose check value is the next
    // segment's CLSE command: the buffer is emptied, and neither is recorded.
    let cnxn = msg(b"CNXN", VERSION, 262144, b"host::\0");
    let mut stream = msg(b"OPEN", 5, 0, b"shell:\0");
    stream.extend(msg(b"WRTE", 5, 6, &vec![b'x'; 8121]));
    stream.extend(msg(b"OKAY", 5, 6, &[]));
    let mut first = cnxn.clone();
    first.extend_from_slice(&stream[..10]);
    let frames = TcpConversation::new("10.0.0.1:40009", "10.0.0.2:5555")
        .segment(9000)
        .handshake()
        .client(&first)
        .client(&stream[10..])
        .client(&msg(b"CLSE", 5, 6, &[]))
        .close()
        .frames();
    let doc = run_session(crate::register, &frames);
    assert_eq!(doc["adb"]["command"], json!(["cnxn", "open", "wrte"]));
    assert_eq!(doc["adb"]["streamid"], json!(["5"]));
}
