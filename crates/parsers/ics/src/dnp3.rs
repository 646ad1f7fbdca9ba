//! DNP3 (Arkime's dnp3.c): link-layer frames over TCP (buffered, resynchronized on
//! the 0x05 0x64 start bytes) or UDP; source and destination addresses and the
//! application function code and name of each frame.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::frame::{for_each_frame, Frame};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

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
pub struct LinkFrame {
    /// Source address.
    pub src: u16,
    /// Destination address.
    pub dst: u16,
    /// Application function code, if the frame carries user data.
    pub func: Option<u8>,
}

const START: [u8; 2] = [0x05, 0x64];

/// The bytes a frame with this length byte takes: the 10-byte header (CRC
/// included), then the user data in 16-byte blocks, each with a CRC.
fn frame_size(len: u8) -> usize {
    let user = usize::from(len) - 5;
    10 + user + user.div_ceil(16) * 2
}

/// Reads the frame at the front of `b` (which starts with the start bytes), if it is
/// whole.
pub fn link_frame(b: &[u8]) -> Option<LinkFrame> {
    if b.len() < MIN_LEN || b[2] < 5 {
        return None;
    }
    let f = b.get(..frame_size(b[2]))?;
    Some(LinkFrame {
        dst: u16::from_le_bytes([f[4], f[5]]),
        src: u16::from_le_bytes([f[6], f[7]]),
        func: (f.len() >= 13).then(|| f[12]),
    })
}

/// Where the run at the front of `b` ends, as Arkime's TCP parser walks its buffer:
/// nothing happens before 10 bytes; bytes before the start bytes are a run of their
/// own (all but the last byte when no start bytes follow); a frame whose length
/// byte is below 5 gives up its start bytes only. Runs that are not frames are
/// dropped (see [`is_frame`]).
pub fn framing(b: &[u8]) -> Frame {
    if b.len() < MIN_LEN {
        return Frame::Partial { needed: MIN_LEN };
    }
    if !b.starts_with(&START) {
        // Resynchronize on the next start bytes.
        return match b.windows(2).skip(1).position(|w| w == START) {
            Some(p) => Frame::Whole(p + 1),
            None => Frame::Whole(b.len() - 1),
        };
    }
    if b[2] < 5 {
        return Frame::Whole(2);
    }
    match frame_size(b[2]) {
        n if n > b.len() => Frame::Partial { needed: n },
        n => Frame::Whole(n),
    }
}

/// Whether a run [`framing`] delimits is a frame (not skipped bytes).
fn is_frame(run: &[u8]) -> bool {
    run.len() >= MIN_LEN && run.starts_with(&START)
}

fn add(cx: &mut Cx, s: &mut Session, ids: Ids, f: &LinkFrame) {
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
}

impl Parser for Dnp3 {
    fn name(&self) -> &'static str {
        "dnp3"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if !self.tcp {
            if data.starts_with(&START) {
                if let Some(f) = link_frame(data) {
                    add(cx, s, self.ids, &f);
                }
            }
            return Parsed::Done(0);
        }
        // Arkime's parser buffer holds 8192 bytes: once the bytes held and a new
        // packet's do not fit (the bytes given here), it tags and gives up.
        if data.len() > MAX_BUF {
            cx.add_tag(s, "dnp3:frame-too-long");
            return Parsed::Skip;
        }
        for_each_frame(data, framing, |run| {
            if is_frame(run) {
                if let Some(f) = link_frame(run) {
                    add(cx, s, self.ids, &f);
                }
            }
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], uw: u32, ids: Ids) {
    if data.len() < MIN_LEN || data[2] < 5 || cx.has_protocol(s, "dnp3") {
        return;
    }
    cx.add_protocol(s, "dnp3");
    register_parser(s, Box::new(Dnp3 { ids, tcp: uw == 1 }));
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
    let classifier =
        move |cx: &mut Cx, s: &mut Session, d: &[u8], _: Dir, uw: u32| classify(cx, s, d, uw, ids);
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
        assert_eq!(framing(&f), Frame::Whole(18));
        assert_eq!(
            link_frame(&f),
            Some(LinkFrame {
                src: 1,
                dst: 10,
                func: Some(1),
            })
        );
        for n in 0..MIN_LEN {
            assert_eq!(
                framing(&f[..n]),
                Frame::Partial { needed: 10 },
                "cut at {n}"
            );
        }
        for n in MIN_LEN..f.len() {
            assert_eq!(
                framing(&f[..n]),
                Frame::Partial { needed: 18 },
                "cut at {n}"
            );
            assert_eq!(link_frame(&f[..n]), None, "cut at {n}");
        }
        // A length byte below 5: only the start bytes go.
        let mut bad = f.clone();
        bad[2] = 4;
        assert_eq!(framing(&bad), Frame::Whole(2));
        assert!(!is_frame(&bad[..2]));
        // Noise before start bytes: up to them; without any, all but the last byte.
        let mut noisy = b"\x00\x05junk\x05".to_vec();
        noisy.extend_from_slice(&f);
        assert_eq!(framing(&noisy), Frame::Whole(7));
        assert_eq!(framing(&[0u8; 12]), Frame::Whole(11));
        assert_eq!(func_name(13), Some("ColdRestart"));
        assert_eq!(func_name(129), Some("Response"));
        assert_eq!(func_name(34), None);
    }
}
