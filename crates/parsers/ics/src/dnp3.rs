//! DNP3 (Arkime's dnp3.c): link-layer frames over TCP (buffered, resynchronized on
//! the 0x05 0x64 start bytes) or UDP; source and destination addresses and the
//! application function code and name of each frame.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser, ParserBuf};
use trawl_session::{Cx, Session};

/// Start(2) + length(1) + control(1) + destination(2) + source(2) + CRC(2).
const MIN_LEN: usize = 10;
/// Most bytes buffered per direction.
const MAX_BUF: usize = 8192;

#[derive(Clone, Copy, Debug)]
struct Ids {
    src: FieldId,
    dst: FieldId,
    func: FieldId,
    func_name: FieldId,
}

/// The name of an application function code.
pub fn func_name(code: u8) -> Option<&'static str> {
    const LOW: [&str; 34] = [
        "Confirm",
        "Read",
        "Write",
        "Select",
        "Operate",
        "DirectOperate",
        "DirectOperateNoAck",
        "ImmediateFreeze",
        "ImmediateFreezeNoAck",
        "FreezeClear",
        "FreezeClearNoAck",
        "FreezeAtTime",
        "FreezeAtTimeNoAck",
        "ColdRestart",
        "WarmRestart",
        "InitializeData",
        "InitializeApplication",
        "StartApplication",
        "StopApplication",
        "SaveConfiguration",
        "EnableUnsolicited",
        "DisableUnsolicited",
        "AssignClass",
        "DelayMeasure",
        "RecordCurrentTime",
        "OpenFile",
        "CloseFile",
        "DeleteFile",
        "GetFileInfo",
        "AuthenticateFile",
        "AbortFile",
        "ActivateConfig",
        "AuthenticateRequest",
        "AuthenticateError",
    ];
    match code {
        0..=33 => LOW.get(usize::from(code)).copied(),
        129 => Some("Response"),
        130 => Some("UnsolicitedResponse"),
        131 => Some("AuthenticateResponse"),
        _ => None,
    }
}

/// One frame's addresses and function code.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    /// Source address.
    pub src: u16,
    /// Destination address.
    pub dst: u16,
    /// Application function code, if the frame carries user data.
    pub func: Option<u8>,
    /// Bytes the frame takes, CRCs included.
    pub size: usize,
}

/// What the front of a buffer (starting with the start bytes) holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A complete frame.
    Frame(Frame),
    /// More bytes are needed.
    More,
    /// The length byte is below the header's 5 bytes.
    BadLength,
}

/// Reads the frame at the front of `b`.
pub fn frame(b: &[u8]) -> Next {
    if b.len() < MIN_LEN {
        return Next::More;
    }
    let pdu = usize::from(b[2]);
    if pdu < 5 {
        return Next::BadLength;
    }
    let user = pdu - 5;
    let size = 10 + user + user.div_ceil(16) * 2;
    if size > b.len() {
        return Next::More;
    }
    let f = &b[..size];
    Next::Frame(Frame {
        dst: u16::from_le_bytes([f[4], f[5]]),
        src: u16::from_le_bytes([f[6], f[7]]),
        func: (f.len() >= 13).then(|| f[12]),
        size,
    })
}

fn add(cx: &mut Cx, s: &mut Session, ids: Ids, f: &Frame) {
    let reg = &cx.shared.fields;
    s.fields.int_add(reg, ids.src, u32::from(f.src));
    s.fields.int_add(reg, ids.dst, u32::from(f.dst));
    if let Some(code) = f.func {
        s.fields.int_add(reg, ids.func, u32::from(code));
        if let Some(n) = func_name(code) {
            s.fields.string_add(reg, ids.func_name, n);
        }
    }
}

#[derive(Debug)]
struct Dnp3 {
    ids: Ids,
    tcp: bool,
    buf: ParserBuf,
}

impl Parser for Dnp3 {
    fn name(&self) -> &'static str {
        "dnp3"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize) -> Parsed {
        if !self.tcp {
            if data.starts_with(&[0x05, 0x64]) {
                if let Next::Frame(f) = frame(data) {
                    add(cx, s, self.ids, &f);
                }
            }
            return Parsed::Done(0);
        }
        let dir = dir & 1;
        if !self.buf.add(dir, data) {
            cx.add_tag(s, "dnp3:frame-too-long");
            return Parsed::Skip;
        }
        while self.buf.get(dir).len() >= MIN_LEN {
            let b = self.buf.get(dir);
            if !b.starts_with(&[0x05, 0x64]) {
                // Resynchronize on the next start bytes.
                match b.windows(2).skip(1).position(|w| w == [0x05, 0x64]) {
                    Some(p) => self.buf.del(dir, p + 1),
                    None => {
                        let n = b.len() - 1;
                        self.buf.del(dir, n);
                        return Parsed::Done(0);
                    }
                };
                continue;
            }
            match frame(b) {
                Next::BadLength => {
                    self.buf.del(dir, 2);
                }
                Next::More => return Parsed::Done(0),
                Next::Frame(f) => {
                    add(cx, s, self.ids, &f);
                    self.buf.del(dir, f.size);
                }
            }
        }
        Parsed::Done(0)
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], uw: u32, ids: Ids) {
    if data.len() < MIN_LEN || data[2] < 5 || cx.has_protocol(s, "dnp3") {
        return;
    }
    cx.add_protocol(s, "dnp3");
    register_parser(
        s,
        Box::new(Dnp3 {
            ids,
            tcp: uw == 1,
            buf: ParserBuf::new(MAX_BUF),
        }),
    );
}

const INT: FieldSpec = FieldSpec::new("dnp3", FieldType::IntGHash).flags(Flags::CNT);

/// The DNP3 fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 4] = [
    INT.named("dnp3.src", "dnp3.src", Kind::Integer)
        .text("DNP3 Source Address", "DNP3 Source Addresses"),
    INT.named("dnp3.dst", "dnp3.dst", Kind::Integer)
        .text("DNP3 Destination Address", "DNP3 Destination Addresses"),
    INT.named("dnp3.func", "dnp3.func", Kind::Integer)
        .text("DNP3 Function Code", "DNP3 Function Codes"),
    FieldSpec::new("dnp3", FieldType::StrGHash)
        .flags(Flags::CNT)
        .named("dnp3.funcName", "dnp3.funcName", Kind::TermField)
        .text(
            "DNP3 Function Name",
            "DNP3 Function Code Names (Read, Write, DirectOperate, Response, etc)",
        ),
];

/// Registers the DNP3 fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [src, dst, func, func_name] = f.define_all(&FIELDS);
    let ids = Ids {
        src,
        dst,
        func,
        func_name,
    };
    let classifier = move |cx: &mut Cx, s: &mut Session, d: &[u8], _: usize, uw: u32| {
        classify(cx, s, d, uw, ids)
    };
    c.register_tcp("dnp3", 1, 0, b"\x05\x64", classifier);
    c.register_udp("dnp3", 0, 0, b"\x05\x64", classifier);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_names() {
        // Read request: len 0x0b (6 bytes of user data), dst 10, src 1.
        let mut f = vec![0x05, 0x64, 0x0b, 0xc4, 10, 0, 1, 0, 0xaa, 0xbb];
        f.extend_from_slice(&[0xc0, 0xc0, 0x01, 0x3c, 0x02, 0x06, 0x11, 0x22]);
        assert_eq!(
            frame(&f),
            Next::Frame(Frame {
                src: 1,
                dst: 10,
                func: Some(1),
                size: 18
            })
        );
        for n in 0..f.len() {
            assert_eq!(frame(&f[..n]), Next::More, "cut at {n}");
        }
        let mut bad = f.clone();
        bad[2] = 4;
        assert_eq!(frame(&bad), Next::BadLength);
        assert_eq!(func_name(13), Some("ColdRestart"));
        assert_eq!(func_name(129), Some("Response"));
        assert_eq!(func_name(34), None);
    }
}
