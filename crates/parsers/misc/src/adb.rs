//! ADB, the Android Debug Bridge (Arkime's adb.c). Two framings:
//!
//! * the transport protocol between host and device (TCP 5555, or any session whose
//!   first bytes are a CNXN or AUTH header): 24-byte little-endian headers (command,
//!   two arguments, payload length, payload checksum, command xor 0xffffffff) and a
//!   payload. CNXN gives version, max payload, system type and serial; OPEN the stream
//!   id and service (with sync and shell v2 streams and port forwards noted); OKAY the
//!   stream ids; AUTH its type; WRTE, on sync or shell v2 sessions, the file sync
//!   operations and paths and the shell's exit code; STLS on both sides hands the
//!   session on to TLS.
//! * the client-server protocol to the local ADB server (TCP 5037): four hex digits of
//!   length, then a service request.
//!
//! Arkime keeps each direction's bytes in an 8192-byte buffer and silently drops what
//! does not fit (it ignores the buffer's overflow), and starts afresh from the next
//! segment after a header whose check value is wrong. Both are reproduced here.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::at::le32;
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::text::{latin1, until_nul};
use trawl_session::parsers::{self, port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// A message header.
pub const HEADER: usize = 24;
/// Arkime's parser buffer per direction (`arkime_parser_buf_create`).
const MAX_BUF: usize = 8192;
/// The longest client-server request Arkime accepts.
const MAX_REQUEST: usize = 4096;

const A_SYNC: u32 = 0x434e_5953;
const A_CNXN: u32 = 0x4e58_4e43;
const A_OPEN: u32 = 0x4e45_504f;
const A_OKAY: u32 = 0x5941_4b4f;
const A_CLSE: u32 = 0x4553_4c43;
const A_WRTE: u32 = 0x4554_5257;
const A_AUTH: u32 = 0x4854_5541;
const A_STLS: u32 = 0x534c_5453;

/// The name Arkime records for a transport command.
pub fn command_name(cmd: u32) -> &'static str {
    match cmd {
        A_SYNC => "sync",
        A_CNXN => "cnxn",
        A_OPEN => "open",
        A_OKAY => "okay",
        A_CLSE => "clse",
        A_WRTE => "wrte",
        A_AUTH => "auth",
        A_STLS => "stls",
        _ => "unknown",
    }
}

/// A file sync request or reply id, by name.
fn sync_name(id: u32) -> Option<&'static str> {
    Some(match &id.to_le_bytes() {
        b"STAT" => "STAT",
        b"LIST" => "LIST",
        b"SEND" => "SEND",
        b"RECV" => "RECV",
        b"DATA" => "DATA",
        b"DONE" => "DONE",
        b"OKAY" => "OKAY",
        b"FAIL" => "FAIL",
        b"DENT" => "DENT",
        b"QUIT" => "QUIT",
        _ => return None,
    })
}

/// The ADB fields, in the order of [`FIELDS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum F {
    /// adb.version
    Version,
    /// adb.serial
    Serial,
    /// adb.systemtype
    SystemType,
    /// adb.command
    Command,
    /// adb.service
    Service,
    /// adb.maxpayload
    MaxPayload,
    /// adb.authtype
    AuthType,
    /// adb.streamid
    StreamId,
    /// adb.sync.operation
    SyncOperation,
    /// adb.sync.path
    SyncPath,
    /// adb.shell.exitcode
    ShellExitCode,
    /// adb.forward.local
    ForwardLocal,
    /// adb.forward.remote
    ForwardRemote,
    /// adb.forward.direction
    ForwardDirection,
}

/// What the parser adds to the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// A field value.
    Add(F, String),
    /// A tag.
    Tag(&'static str),
}

fn add(out: &mut Vec<Out>, f: F, b: &[u8]) {
    out.push(Out::Add(f, latin1(b)));
}

/// Arkime's `arkime_field_string_add_lower` (ASCII letters only).
fn add_lower(out: &mut Vec<Out>, f: F, b: &[u8]) {
    out.push(Out::Add(f, latin1(b).to_ascii_lowercase()));
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The first `max` bytes of `b`, as far as a NUL (Arkime copies into a fixed C string).
fn c_string(b: &[u8], max: usize) -> &[u8] {
    until_nul(b.get(..max).unwrap_or(b))
}

/// A port forward service: `forward:<local>;<remote>`, `reverse:forward:<remote>;
/// <local>` (recorded as local, then remote, as written), or another `reverse:` one
/// (direction only).
fn forward(out: &mut Vec<Out>, svc: &[u8]) {
    let (direction, endpoints) = if let Some(e) = svc.strip_prefix(b"reverse:forward:") {
        ("reverse", e)
    } else if let Some(e) = svc.strip_prefix(b"forward:") {
        ("forward", e)
    } else if svc.starts_with(b"reverse:") {
        out.push(Out::Add(F::ForwardDirection, "reverse".into()));
        return;
    } else {
        return;
    };
    out.push(Out::Add(F::ForwardDirection, direction.into()));
    if let Some(p) = endpoints.iter().position(|&c| c == b';') {
        add(out, F::ForwardLocal, &endpoints[..p]);
        add(out, F::ForwardRemote, &endpoints[p + 1..]);
    }
}

/// The service name before the first of `delims`, lower-cased; the whole request when
/// there is none or it starts the request.
fn base_service(out: &mut Vec<Out>, svc: &[u8], delims: &[u8]) {
    match svc.iter().position(|c| delims.contains(c)) {
        Some(p) if p > 0 => add_lower(out, F::Service, &svc[..p.min(63)]),
        _ => add_lower(out, F::Service, svc),
    }
}

/// A CNXN payload, `<systemtype>:<serial>:<banner>`: the system type (lower-cased)
/// before the first colon, the serial (if not empty) up to a second one.
fn connect(out: &mut Vec<Out>, version: u32, max_payload: u32, payload: &[u8]) {
    out.push(Out::Add(F::Version, format!("0x{version:08x}")));
    out.push(Out::Add(F::MaxPayload, max_payload.to_string()));
    let banner = c_string(payload, 1023);
    if let Some(c1) = banner.iter().position(|&c| c == b':') {
        add_lower(out, F::SystemType, &banner[..c1]);
        let rest = &banner[c1 + 1..];
        if let Some(c2) = rest.iter().position(|&c| c == b':') {
            if c2 > 0 {
                add(out, F::Serial, &rest[..c2]);
            }
        }
    }
}

/// File sync messages in a WRTE payload: an id and a 32-bit argument, then for the
/// requests naming a path (SEND, RECV, STAT, LIST) the path (SEND's `,mode` cut off),
/// for DATA the data, for FAIL (under 256 bytes) the message. Arkime stops at a path
/// or data running past the payload; a path of 4096 bytes or more is skipped unread.
fn sync_payload(out: &mut Vec<Out>, payload: &[u8]) {
    let mut c = Cursor::new(payload);
    while c.remaining() >= 8 {
        let id = c.le32();
        let arg = c.le32() as usize;
        let name = sync_name(id);
        if let Some(n) = name {
            out.push(Out::Add(F::SyncOperation, n.into()));
        }
        match name {
            Some("SEND" | "RECV" | "STAT" | "LIST") if arg > 0 => {
                if c.remaining() < arg {
                    break;
                }
                let path = c.take_or_empty(arg);
                if arg < 4096 {
                    let p = c_string(path, 1023);
                    let p = p.split(|&b| b == b',').next().unwrap_or(p);
                    add(out, F::SyncPath, p);
                }
            }
            Some("DATA") if arg > 0 => {
                if c.remaining() < arg {
                    break;
                }
                c.skip(arg);
            }
            Some("FAIL") if arg > 0 && arg < 256 => c.skip(arg.min(c.remaining())),
            _ => {}
        }
    }
}

/// Shell protocol v2 packets in a WRTE payload: an id and a 32-bit length, then the
/// data; an exit packet (id 3) carries the exit code in its first byte.
fn shell_v2_payload(out: &mut Vec<Out>, payload: &[u8]) {
    let mut c = Cursor::new(payload);
    while c.remaining() >= 5 {
        let id = c.u8();
        let len = c.le32() as usize;
        if len > c.remaining() {
            break;
        }
        if id == 3 && len >= 1 {
            out.push(Out::Add(F::ShellExitCode, c.u8().to_string()));
            c.skip(len - 1);
        } else {
            c.skip(len);
        }
    }
}

/// A client-server request (after its hex length): port forwards (the first
/// `forward:`, else `reverse:`, in a request starting with one of them or with
/// `host:forward:`/`host:reverse:`) and the service before the first colon.
fn request(out: &mut Vec<Out>, req: &[u8]) {
    let svc = c_string(req, 511);
    if [
        &b"forward:"[..],
        b"reverse:",
        b"host:forward:",
        b"host:reverse:",
    ]
    .iter()
    .any(|p| svc.starts_with(p))
    {
        // Arkime looks for "forward:" anywhere first, so "reverse:forward:..." reads
        // as a forward here (the transport's OPEN reads it as a reverse).
        if let Some(p) = find(svc, b"forward:").or_else(|| find(svc, b"reverse:")) {
            forward(out, &svc[p..]);
        }
    }
    base_service(out, svc, b":");
}

/// Where a run of bytes left the parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Keep the bytes from this offset (an unfinished message).
    Keep(usize),
    /// Drop everything (Arkime empties its buffer).
    Drop,
}

/// The per-session state of Arkime's parser.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Per direction: speaking the client-server protocol.
    pub client_server: [bool; 2],
    tls: [bool; 2],
    /// Both sides sent STLS: the rest is TLS.
    pub tls_done: bool,
    sync: [bool; 2],
    shell_v2: [bool; 2],
}

impl State {
    /// Parses `buf`, Arkime's buffer for direction `dir` (at most 8192 bytes), of
    /// which the first `held` were kept from before.
    pub fn run(&mut self, buf: &[u8], held: usize, dir: Dir, out: &mut Vec<Out>) -> End {
        let d = dir as usize;
        // A direction whose segment starts, with nothing kept, with four hex digits
        // turns to the client-server protocol.
        if !self.client_server[d] && held == 0 && buf.len() >= 4 && is_hex4(buf) {
            self.client_server[d] = true;
        }
        if self.client_server[d] {
            return self.requests(buf, d, out);
        }
        let mut at = 0;
        while let Some(b) = buf.get(at..).filter(|b| b.len() >= HEADER) {
            let word = |i| le32(b, i).unwrap_or(0);
            let (command, arg0, arg1, len, magic) = (word(0), word(4), word(8), word(12), word(20));
            if magic != !command {
                return End::Drop;
            }
            let len = len as usize;
            if len > MAX_BUF - HEADER {
                return End::Drop;
            }
            let Some(msg) = b.get(..HEADER + len) else {
                return End::Keep(at);
            };
            let payload = &msg[HEADER..];
            out.push(Out::Add(F::Command, command_name(command).into()));
            match command {
                A_CNXN => connect(out, arg0, arg1, payload),
                A_OPEN => self.open(out, arg0, payload, d),
                A_AUTH => {
                    let t = match arg0 {
                        1 => "token",
                        2 => "signature",
                        3 => "rsapublickey",
                        _ => "unknown",
                    };
                    out.push(Out::Add(F::AuthType, t.into()));
                }
                A_STLS => {
                    self.tls[d] = true;
                    out.push(Out::Tag("adb:tls"));
                    if self.tls[0] && self.tls[1] {
                        self.tls_done = true;
                        out.push(Out::Tag("adb:tls-encrypted"));
                    }
                }
                A_OKAY => out.push(Out::Add(F::StreamId, format!("{arg0}-{arg1}"))),
                A_WRTE if len > 0 => {
                    if self.sync[0] || self.sync[1] {
                        sync_payload(out, payload);
                    }
                    if self.shell_v2[0] || self.shell_v2[1] {
                        shell_v2_payload(out, payload);
                    }
                }
                _ => {}
            }
            at += HEADER + len;
        }
        End::Keep(at)
    }

    /// An OPEN: the local stream id and the service (noting sync and shell v2
    /// streams, and port forwards).
    fn open(&mut self, out: &mut Vec<Out>, local: u32, payload: &[u8], d: usize) {
        out.push(Out::Add(F::StreamId, local.to_string()));
        if payload.is_empty() {
            return;
        }
        let svc = c_string(payload, 511);
        if svc.starts_with(b"sync:") {
            self.sync[d] = true;
            out.push(Out::Tag("adb:sync"));
        }
        if (svc.starts_with(b"shell,v2") || svc.starts_with(b"shell,V2"))
            && matches!(svc.get(8), Some(b':' | b','))
        {
            self.shell_v2[d] = true;
            out.push(Out::Tag("adb:shell-v2"));
        }
        if svc.starts_with(b"forward:") || svc.starts_with(b"reverse:") {
            forward(out, svc);
        }
        base_service(out, svc, b":,");
    }

    /// Client-server requests, each four hex digits of length and the request.
    fn requests(&mut self, buf: &[u8], d: usize, out: &mut Vec<Out>) -> End {
        let mut at = 0;
        while let Some(b) = buf.get(at..).filter(|b| b.len() >= 4) {
            if !is_hex4(b) {
                // Not this protocol after all: the bytes stay, for the transport's
                // parse at the next segment.
                self.client_server[d] = false;
                return End::Keep(at);
            }
            let n = hex4(b);
            if n > MAX_REQUEST {
                return End::Drop;
            }
            let Some(req) = b.get(4..4 + n) else {
                return End::Keep(at);
            };
            request(out, req);
            at += 4 + n;
        }
        End::Keep(at)
    }
}

fn is_hex4(b: &[u8]) -> bool {
    b.len() >= 4 && b[..4].iter().all(u8::is_ascii_hexdigit)
}

fn hex4(b: &[u8]) -> usize {
    b.iter().take(4).fold(0, |v, &c| {
        v * 16 + (char::from(c).to_digit(16).unwrap_or(0) as usize)
    })
}

#[derive(Debug)]
struct Adb {
    ids: [FieldId; 14],
    st: State,
    /// Per direction: how many of the bytes the framework holds for us were kept.
    held: [usize; 2],
    /// Per direction: bytes Arkime's buffer still holds after it dropped what did not
    /// fit; they are not the tail of the stream, so the framework cannot keep them.
    own: [Vec<u8>; 2],
}

impl Adb {
    fn apply(&self, cx: &mut Cx, s: &mut Session, out: Vec<Out>) {
        for o in out {
            match o {
                Out::Add(f, v) => {
                    s.fields
                        .string_add(&cx.shared.fields, self.ids[f as usize], &v);
                }
                Out::Tag(t) => cx.add_tag(s, t),
            }
        }
    }
}

impl Parser for Adb {
    fn name(&self) -> &'static str {
        "adb"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        let d = dir as usize;
        if self.st.tls_done {
            // Arkime hands the segment (not what it held) to the TCP classifiers.
            let fresh = data.get(self.held[d]..).unwrap_or(&[]);
            parsers::classify_tcp(cx, s, fresh, dir);
            return Parsed::Skip;
        }
        let own = std::mem::take(&mut self.own[d]);
        let held = if own.is_empty() {
            self.held[d]
        } else {
            own.len()
        };
        let joined;
        let all: &[u8] = if own.is_empty() {
            data
        } else {
            joined = [own.as_slice(), data].concat();
            &joined
        };
        // What fits in Arkime's buffer; the rest is lost.
        let buf = &all[..all.len().min(MAX_BUF)];
        let mut out = Vec::new();
        let end = self.st.run(buf, held, dir, &mut out);
        self.apply(cx, s, out);
        self.held[d] = 0;
        match end {
            End::Keep(at) if at < buf.len() && !self.st.tls_done => {
                if own.is_empty() && buf.len() == data.len() {
                    self.held[d] = buf.len() - at;
                    // Called again at the next segment, as Arkime is.
                    Parsed::Incomplete {
                        consumed: at,
                        needed: 0,
                    }
                } else {
                    self.own[d] = buf[at..].to_vec();
                    Parsed::Done(0)
                }
            }
            _ => Parsed::Done(0),
        }
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn known(cmd: u32) -> bool {
    command_name(cmd) != "unknown"
}

/// Whether a stream's first bytes are a transport header of a known command.
pub fn looks_like_transport(d: &[u8]) -> bool {
    match (le32(d, 0), le32(d, 20)) {
        (Some(cmd), Some(magic)) => magic == !cmd && known(cmd),
        _ => false,
    }
}

/// Whether a stream's first bytes are a client-server request of 1 to 4096 bytes.
pub fn looks_like_request(d: &[u8]) -> bool {
    is_hex4(d) && (1..=MAX_REQUEST).contains(&hex4(d))
}

fn attach(cx: &mut Cx, s: &mut Session, ids: [FieldId; 14], client_server: Option<Dir>) {
    cx.add_protocol(s, "adb");
    let mut st = State::default();
    if let Some(d) = client_server {
        st.client_server[d as usize] = true;
    }
    register_parser(
        s,
        Box::new(Adb {
            ids,
            st,
            held: [0; 2],
            own: [Vec::new(), Vec::new()],
        }),
    );
}

const ADB: FieldSpec = FieldSpec::new("adb", FieldType::StrHash).flags(Flags::CNT);

/// The ADB fields, in the order of [`F`].
pub const FIELDS: [FieldSpec; 14] = [
    ADB.named("adb.version", "adb.version", Kind::TermField)
        .text("Version", "ADB Protocol Version"),
    ADB.named("adb.serial", "adb.serial", Kind::LoTermField)
        .text("Serial", "ADB Device Serial Number"),
    ADB.named("adb.systemtype", "adb.systemtype", Kind::LoTermField)
        .text(
            "System Type",
            "ADB System Type (device, host, bootloader, etc.)",
        ),
    ADB.named("adb.command", "adb.command", Kind::LoTermField)
        .text("Command", "ADB Command Type"),
    ADB.named("adb.service", "adb.service", Kind::LoTermField)
        .text("Service", "ADB Service Name"),
    ADB.named("adb.maxpayload", "adb.maxpayload", Kind::TermField)
        .text("Max Payload", "ADB Maximum Payload Size"),
    ADB.named("adb.authtype", "adb.authtype", Kind::LoTermField)
        .text("Auth Type", "ADB Authentication Type"),
    ADB.named("adb.streamid", "adb.streamid", Kind::TermField)
        .text("Stream ID", "ADB Stream Identifier"),
    ADB.named(
        "adb.sync.operation",
        "adb.sync.operation",
        Kind::LoTermField,
    )
    .text(
        "Sync Operation",
        "ADB File Sync Operation (SEND, RECV, LIST, STAT)",
    ),
    ADB.named("adb.sync.path", "adb.sync.path", Kind::LoTermField)
        .text("Sync Path", "ADB File Sync Path"),
    ADB.named("adb.shell.exitcode", "adb.shell.exitcode", Kind::TermField)
        .text("Shell Exit Code", "ADB Shell Command Exit Code"),
    ADB.named("adb.forward.local", "adb.forward.local", Kind::LoTermField)
        .text("Forward Local", "ADB Port Forward Local Endpoint"),
    ADB.named(
        "adb.forward.remote",
        "adb.forward.remote",
        Kind::LoTermField,
    )
    .text("Forward Remote", "ADB Port Forward Remote Endpoint"),
    ADB.named(
        "adb.forward.direction",
        "adb.forward.direction",
        Kind::LoTermField,
    )
    .text(
        "Forward Direction",
        "ADB Port Forward Direction (forward or reverse)",
    ),
];

/// Registers the ADB fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let ids = f.define_all(&FIELDS);
    let transport = move |cx: &mut Cx, s: &mut Session, d: &[u8], _: Dir, _: u32| {
        if !cx.has_protocol(s, "adb") && d.len() >= HEADER && looks_like_transport(d) {
            attach(cx, s, ids, None);
        }
    };
    c.register_port("adb", 0, 5037, port::TCP, move |cx, s, d, dir, _| {
        if !cx.has_protocol(s, "adb") && looks_like_request(d) {
            attach(cx, s, ids, Some(dir));
        }
    });
    c.register_port("adb", 0, 5555, port::TCP, transport);
    c.register_tcp("adb", 0, 0, b"CNXN", transport);
    c.register_tcp("adb", 0, 0, b"AUTH", transport);
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn add(f: F, v: &str) -> Out {
        Out::Add(f, v.to_string())
    }

    fn run(st: &mut State, b: &[u8], dir: Dir) -> (End, Vec<Out>) {
        let mut out = Vec::new();
        let e = st.run(b, 0, dir, &mut out);
        (e, out)
    }

    #[test]
    fn connect_and_open() {
        let cnxn = msg(
            b"CNXN",
            0x0100_0001,
            262144,
            b"DEVICE:HVA12345:ro.product=x\0",
        );
        let mut st = State::default();
        let (e, out) = run(&mut st, &cnxn, Dir::Src);
        assert_eq!(e, End::Keep(cnxn.len()));
        assert_eq!(
            out,
            vec![
                add(F::Command, "cnxn"),
                add(F::Version, "0x01000001"),
                add(F::MaxPayload, "262144"),
                add(F::SystemType, "device"),
                add(F::Serial, "HVA12345"),
            ]
        );
        // An empty serial is left out; no colon, no system type.
        let mut out = Vec::new();
        connect(&mut out, 1, 2, b"host::");
        assert_eq!(out[2..], [add(F::SystemType, "host")]);
        out.clear();
        connect(&mut out, 1, 2, b"host");
        assert_eq!(out.len(), 2);

        let open = msg(b"OPEN", 7, 0, b"Shell,v2,raw:ls -l\0");
        let (_, out) = run(&mut st, &open, Dir::Src);
        assert_eq!(
            out,
            vec![
                add(F::Command, "open"),
                add(F::StreamId, "7"),
                add(F::Service, "shell"),
            ]
        );
        // "Shell" is not "shell": no shell v2 here.
        assert!(!st.shell_v2[0]);
        // Every prefix keeps what it cannot read yet.
        for n in 0..cnxn.len() {
            let mut st = State::default();
            let (e, out) = run(&mut st, &cnxn[..n], Dir::Src);
            assert_eq!(e, End::Keep(0), "cut at {n}");
            assert!(out.is_empty(), "cut at {n}");
        }
        // A wrong check value drops everything; so does a length over the buffer.
        let mut bad = cnxn.clone();
        bad[20] ^= 1;
        assert_eq!(run(&mut State::default(), &bad, Dir::Src).0, End::Drop);
        let mut long = cnxn.clone();
        long[12..16].copy_from_slice(&8169u32.to_le_bytes());
        assert_eq!(run(&mut State::default(), &long, Dir::Src).0, End::Drop);
        long[12..16].copy_from_slice(&8168u32.to_le_bytes());
        assert_eq!(run(&mut State::default(), &long, Dir::Src).0, End::Keep(0));
        // Mutations never panic.
        for i in 0..cnxn.len() {
            for v in [0, 0x3a, 0x7f, 0xff] {
                let mut m = cnxn.clone();
                m[i] = v;
                let _ = run(&mut State::default(), &m, Dir::Src);
            }
        }
    }

    #[test]
    fn sync_and_shell_streams() {
        let mut st = State::default();
        let (_, out) = run(&mut st, &msg(b"OPEN", 1, 0, b"sync:\0"), Dir::Src);
        assert!(out.contains(&Out::Tag("adb:sync")));
        assert!(out.contains(&add(F::Service, "sync")));
        // SEND with a mode, DATA, DONE, then a RECV longer than what is left.
        let mut p = b"SEND".to_vec();
        p.extend_from_slice(&22u32.to_le_bytes());
        p.extend_from_slice(b"/sdcard/test.txt,33206");
        p.extend_from_slice(b"DATA");
        p.extend_from_slice(&3u32.to_le_bytes());
        p.extend_from_slice(b"abc");
        p.extend_from_slice(b"DONE");
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(b"RECV");
        p.extend_from_slice(&99u32.to_le_bytes());
        p.extend_from_slice(b"/x");
        let mut out = Vec::new();
        sync_payload(&mut out, &p);
        assert_eq!(
            out,
            vec![
                add(F::SyncOperation, "SEND"),
                add(F::SyncPath, "/sdcard/test.txt"),
                add(F::SyncOperation, "DATA"),
                add(F::SyncOperation, "DONE"),
                add(F::SyncOperation, "RECV"),
            ]
        );
        for n in 0..p.len() {
            sync_payload(&mut Vec::new(), &p[..n]);
        }
        // The payload is read in WRTE once a sync stream was opened.
        let (_, out) = run(&mut st, &msg(b"WRTE", 1, 2, &p), Dir::Dst);
        assert_eq!(out.len(), 6);

        let mut st = State::default();
        let (_, out) = run(
            &mut st,
            &msg(b"OPEN", 1, 0, b"shell,v2,TERM=x:id\0"),
            Dir::Src,
        );
        assert!(out.contains(&Out::Tag("adb:shell-v2")));
        // Stdout "hi", then exit 42.
        let p = [1, 2, 0, 0, 0, b'h', b'i', 3, 1, 0, 0, 0, 42];
        let (_, out) = run(&mut st, &msg(b"WRTE", 2, 1, &p), Dir::Dst);
        assert_eq!(
            out,
            vec![add(F::Command, "wrte"), add(F::ShellExitCode, "42")]
        );
    }

    #[test]
    fn forwards_auth_okay_and_tls() {
        let mut st = State::default();
        let (_, out) = run(
            &mut st,
            &msg(b"OPEN", 3, 0, b"reverse:forward:tcp:9090;tcp:443\0"),
            Dir::Src,
        );
        assert_eq!(
            out[2..],
            [
                add(F::ForwardDirection, "reverse"),
                add(F::ForwardLocal, "tcp:9090"),
                add(F::ForwardRemote, "tcp:443"),
                add(F::Service, "reverse"),
            ]
        );
        let (_, out) = run(&mut st, &msg(b"OPEN", 3, 0, b"reverse:list"), Dir::Src);
        assert_eq!(
            out[2..],
            [
                add(F::ForwardDirection, "reverse"),
                add(F::Service, "reverse")
            ]
        );
        let (_, out) = run(&mut st, &msg(b"AUTH", 3, 0, &[1; 20]), Dir::Dst);
        assert_eq!(out[1], add(F::AuthType, "rsapublickey"));
        let (_, out) = run(&mut st, &msg(b"OKAY", 2, 1, &[]), Dir::Dst);
        assert_eq!(out[1], add(F::StreamId, "2-1"));
        let (_, out) = run(&mut st, &msg(b"XXXX", 2, 1, &[]), Dir::Dst);
        assert_eq!(out, vec![add(F::Command, "unknown")]);
        let stls = msg(b"STLS", 0x0100_0000, 0, &[]);
        let (_, out) = run(&mut st, &stls, Dir::Src);
        assert_eq!(out[1..], [Out::Tag("adb:tls")]);
        assert!(!st.tls_done);
        let (_, out) = run(&mut st, &stls, Dir::Dst);
        assert_eq!(
            out[1..],
            [Out::Tag("adb:tls"), Out::Tag("adb:tls-encrypted")]
        );
        assert!(st.tls_done);
    }

    #[test]
    fn client_server_requests() {
        let mut st = State::default();
        let mut b = b"001chost:forward:tcp:8080;tcp:80".to_vec();
        b.extend_from_slice(b"0000000chost:version");
        let (e, out) = run(&mut st, &b, Dir::Src);
        assert_eq!(e, End::Keep(b.len()));
        assert_eq!(
            out,
            vec![
                add(F::ForwardDirection, "forward"),
                add(F::ForwardLocal, "tcp:8080"),
                add(F::ForwardRemote, "tcp:80"),
                add(F::Service, "host"),
                // "0000": an empty request.
                add(F::Service, ""),
                add(F::Service, "host"),
            ]
        );
        // Arkime finds "forward:" first, even after "reverse:".
        let mut out = Vec::new();
        request(&mut out, b"reverse:forward:a;b");
        assert_eq!(out[0], add(F::ForwardDirection, "forward"));
        // Not hex: back to the transport framing, the bytes kept.
        let mut st = State::default();
        st.client_server[0] = true;
        assert_eq!(run(&mut st, b"OKAY", Dir::Src).0, End::Keep(0));
        assert!(!st.client_server[0]);
        // Too long a request drops the bytes; a cut one is kept.
        let mut st = State::default();
        assert_eq!(run(&mut st, b"1001xyz", Dir::Src).0, End::Drop);
        let mut st = State::default();
        assert_eq!(run(&mut st, b"0010xyz", Dir::Src).0, End::Keep(0));
        // Hex digits only count at the start of a segment with nothing held.
        let mut st = State::default();
        let mut out = Vec::new();
        assert_eq!(st.run(b"0010xyz", 3, Dir::Src, &mut out), End::Keep(0));
        assert!(!st.client_server[0]);
        assert!(looks_like_request(b"0001x"));
        assert!(!looks_like_request(b"0000"));
        assert!(!looks_like_request(b"1001"));
        assert!(!looks_like_request(b"00g1"));
    }
}
