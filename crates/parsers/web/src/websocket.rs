//! WebSocket frames (Arkime's websocket.c), after the HTTP parser saw a `101` answer
//! to an `Upgrade: websocket` request: opcodes, frame and masked-frame counts, payload
//! bytes, samples of the first text frames and close codes and reasons.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::frame::{for_each_frame, Frame};
use trawl_parser_common::text::latin1;
use trawl_session::parsers::{has_parser, over_fixed_buffer, register_parser, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const OPCODES: [&str; 16] = [
    "Continuation",
    "Text",
    "Binary",
    "0x3",
    "0x4",
    "0x5",
    "0x6",
    "0x7",
    "Close",
    "Ping",
    "Pong",
    "0xb",
    "0xc",
    "0xd",
    "0xe",
    "0xf",
];
/// Longest text sample.
const SAMPLE_MAX: usize = 256;

/// A frame header.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    /// Bytes of the header (with the mask key).
    pub len: usize,
    /// Payload length.
    pub payload: u64,
    /// Opcode.
    pub opcode: u8,
    /// The mask key, when masked.
    pub mask: Option<[u8; 4]>,
}

/// Reads a frame header; None until enough bytes are there.
pub fn header(p: &[u8]) -> Option<Header> {
    let (&b0, &b1) = (p.first()?, p.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (payload, mut len) = match b1 & 0x7f {
        126 => (u64::from(u16::from_be_bytes([*p.get(2)?, *p.get(3)?])), 4),
        127 => {
            let b: [u8; 8] = p.get(2..10)?.try_into().ok()?;
            (u64::from_be_bytes(b), 10)
        }
        n => (u64::from(n), 2),
    };
    let mask = if masked {
        let k: [u8; 4] = p.get(len..len + 4)?.try_into().ok()?;
        len += 4;
        Some(k)
    } else {
        None
    };
    Some(Header {
        len,
        payload,
        opcode: b0 & 0x0f,
        mask,
    })
}

/// The bytes of a payload unmasked, control characters (but `keep`) as `.`, then cut
/// to their longest valid UTF-8 prefix.
fn printable(pay: &[u8], mask: Option<[u8; 4]>, offset: usize, keep: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = pay
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let c = mask.map_or(c, |m| c ^ m[(i + offset) & 3]);
            if c < 0x20 && !keep.contains(&c) {
                b'.'
            } else {
                c
            }
        })
        .collect();
    let valid = match std::str::from_utf8(&v) {
        Ok(_) => v.len(),
        Err(e) => e.valid_up_to(),
    };
    v.truncate(valid);
    v
}

/// The WebSocket field ids (and the number of text samples kept), from [`register`].
#[derive(Clone, Copy, Debug)]
pub struct Ids {
    opcode: FieldId,
    close_code: FieldId,
    close_reason: FieldId,
    payload_bytes: FieldId,
    frame_cnt: FieldId,
    text_sample: FieldId,
    masked: FieldId,
    samples: u32,
}

/// Most bytes kept per direction (Arkime's default parser buffer): a frame longer
/// than this is counted but its payload not read.
const MAX_HELD: usize = 8192;
/// Longest payload accepted (Arkime keeps header and payload within an `int`).
const MAX_PAYLOAD: u64 = 0x7fff_ffff - 14;

/// Bytes a frame header needs, from as much of it as is there.
fn header_needed(p: &[u8]) -> usize {
    let Some(&b1) = p.get(1) else {
        return 2;
    };
    let len = match b1 & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    len + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// What the front of a direction holds: a whole frame, one to wait for, or one too
/// long to keep, handed over whole as far as it goes (its payload is then skipped).
fn frame(b: &[u8]) -> Frame {
    let Some(h) = header(b) else {
        return Frame::Partial {
            needed: header_needed(b),
        };
    };
    if h.payload > MAX_PAYLOAD {
        return Frame::Bad;
    }
    let total = h.len + h.payload as usize;
    if total <= b.len() {
        Frame::Whole(total)
    } else if total <= MAX_HELD {
        Frame::Partial { needed: total }
    } else {
        Frame::Whole(b.len())
    }
}

#[derive(Debug)]
struct WebSocket {
    ids: Ids,
    payload_bytes: u64,
    frames: u32,
    masked: u32,
    samples: u32,
    cur_opcode: [u8; 2],
}

impl WebSocket {
    /// One frame: `b` holds its header and its payload, all of it or (a frame too
    /// long to keep) as much as there was.
    fn frame(&mut self, cx: &mut Cx, s: &mut Session, h: &Header, b: &[u8], dir: Dir) {
        let ids = self.ids;
        let total = h.len + h.payload as usize;
        let complete = total <= b.len();
        let reg = &cx.shared.fields;
        if h.opcode != 0 {
            if h.opcode == 1 || h.opcode == 2 {
                self.cur_opcode[dir] = h.opcode;
            }
            s.fields
                .string_add(reg, ids.opcode, OPCODES[usize::from(h.opcode)]);
        }
        self.frames += 1;
        self.payload_bytes += h.payload;
        if h.mask.is_some() {
            self.masked += 1;
        }
        let eff = if h.opcode == 0 {
            self.cur_opcode[dir]
        } else {
            h.opcode
        };
        if complete && (eff == 1 || h.opcode == 8) {
            let pay = &b[h.len..total];
            if eff == 1 && self.samples < ids.samples && !pay.is_empty() {
                let n = pay.len().min(SAMPLE_MAX);
                let t = printable(&pay[..n], h.mask, 0, b"\t\n\r");
                if !t.is_empty() || n == 0 {
                    s.fields.string_add(reg, ids.text_sample, &latin1(&t));
                    self.samples += 1;
                }
            } else if h.opcode == 8 && pay.len() >= 2 {
                let m = h.mask.unwrap_or([0; 4]);
                let code = u16::from_be_bytes([pay[0] ^ m[0], pay[1] ^ m[1]]);
                s.fields.int_add(reg, ids.close_code, u32::from(code));
                let r = &pay[2..pay.len().min(2 + 123)];
                let t = printable(r, h.mask, 2, b"\t");
                if !t.is_empty() {
                    s.fields.string_add(reg, ids.close_reason, &latin1(&t));
                }
            }
        }
    }
}

impl Parser for WebSocket {
    fn name(&self) -> &'static str {
        "websocket"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        // Arkime's fixed MAX_HELD buffer: held and new bytes that do not fit end the parse.
        if over_fixed_buffer(cx, s, data, MAX_HELD, "websocket:frame-too-long") {
            return Parsed::Skip;
        }
        let mut at = 0;
        let r = for_each_frame(data, frame, |b| {
            let Some(h) = header(b) else {
                return ControlFlow::Break(Parsed::Error);
            };
            self.frame(cx, s, &h, b, dir);
            let total = h.len + h.payload as usize;
            let start = at;
            at += b.len();
            if b.len() < total {
                // A frame too long to keep: the rest of its payload is dropped as it
                // comes, and the next frame read after it.
                ControlFlow::Break(Parsed::Incomplete {
                    consumed: start + total,
                    needed: 0,
                })
            } else {
                ControlFlow::Continue(())
            }
        });
        if r == Parsed::Error {
            cx.add_tag(s, "websocket:bad-length");
        }
        r
    }

    fn max_held(&self) -> usize {
        MAX_HELD
    }

    fn save(&mut self, cx: &mut Cx, s: &mut Session, _final: bool) {
        let reg = &cx.shared.fields;
        if self.frames > 0 {
            s.fields.int_add(reg, self.ids.frame_cnt, self.frames);
        }
        if self.payload_bytes > 0 {
            let v = self.payload_bytes.min(0x7fff_ffff) as u32;
            s.fields.int_add(reg, self.ids.payload_bytes, v);
        }
        if self.masked > 0 {
            s.fields.int_add(reg, self.ids.masked, self.masked);
        }
    }
}

/// Starts the WebSocket parser on a session (once), as the HTTP parser hands over.
pub fn attach(ids: Ids, s: &mut Session) {
    if has_parser(s, "websocket") {
        return;
    }
    register_parser(
        s,
        Box::new(WebSocket {
            ids,
            payload_bytes: 0,
            frames: 0,
            masked: 0,
            samples: 0,
            cur_opcode: [0; 2],
        }),
    );
}

const WS: FieldSpec = FieldSpec::new("websocket", FieldType::StrGHash).flags(Flags::CNT);
const WS_INT: FieldSpec = FieldSpec::new("websocket", FieldType::Int);

/// The WebSocket fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 7] = [
    WS.named("websocket.opcode", "websocket.opcode", Kind::TermField)
        .text(
            "Opcode",
            "WebSocket frame opcode (Text, Binary, Ping, Pong, Close, ...)",
        ),
    WS.named("websocket.closeCode", "websocket.closeCode", Kind::Integer)
        .text("Close Code", "WebSocket close status code")
        .ty(FieldType::IntGHash),
    WS.named(
        "websocket.closeReason",
        "websocket.closeReason",
        Kind::TermField,
    )
    .text("Close Reason", "WebSocket close reason text"),
    WS_INT
        .named(
            "websocket.payloadBytes",
            "websocket.payloadBytes",
            Kind::Integer,
        )
        .text("Payload Bytes", "Total WebSocket payload bytes observed"),
    WS_INT
        .named("websocket.frameCnt", "websocket.frameCnt", Kind::Integer)
        .text("Frame Count", "Total WebSocket frames observed"),
    WS.named(
        "websocket.textSample",
        "websocket.textSample",
        Kind::TermField,
    )
    .text(
        "Text Sample",
        "Sample of WebSocket text frame payload (truncated to 256 bytes)",
    ),
    WS_INT
        .named(
            "websocket.maskedFromClient",
            "websocket.maskedFromClient",
            Kind::Integer,
        )
        .text(
            "Masked Frames",
            "Number of WebSocket frames with the MASK bit set",
        ),
];

/// Defines the WebSocket fields. There is no classifier: the HTTP parser, which
/// keeps the ids returned, hands an upgraded session over with [`attach`].
pub fn register(f: &mut FieldRegistry) -> Ids {
    let [opcode, close_code, close_reason, payload_bytes, frame_cnt, text_sample, masked] =
        f.define_all(&FIELDS);
    Ids {
        opcode,
        close_code,
        close_reason,
        payload_bytes,
        frame_cnt,
        text_sample,
        masked,
        // Arkime's websocketTextSampleCnt default.
        samples: 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        // A masked text frame "Hi" and an unmasked 300-byte binary frame.
        let f = [0x81, 0x82, 1, 2, 3, 4, b'H' ^ 1, b'i' ^ 2];
        let h = header(&f).unwrap();
        assert_eq!((h.len, h.payload, h.opcode), (6, 2, 1));
        assert_eq!(printable(&f[6..], h.mask, 0, b""), b"Hi");
        let g = [0x82, 126, 1, 44];
        assert_eq!(header(&g).unwrap().payload, 300);
        assert_eq!(header(&[0x81]), None);
        assert_eq!(header(&[0x81, 0xfe, 0]), None);
        for n in 0..f.len() {
            let _ = header(&f[..n]);
        }
    }

    #[test]
    fn framing() {
        // Headers cut short say how much of them is needed.
        assert_eq!(frame(&[0x81]), Frame::Partial { needed: 2 });
        assert_eq!(frame(&[0x81, 0xfe, 0]), Frame::Partial { needed: 8 });
        assert_eq!(frame(&[0x82, 127, 0]), Frame::Partial { needed: 10 });
        // Whole, waited for, or (longer than what is kept) handed over as it is.
        assert_eq!(frame(&[0x81, 2, b'h', b'i', 0x81]), Frame::Whole(4));
        assert_eq!(frame(&[0x81, 2, b'h']), Frame::Partial { needed: 4 });
        let long = [0x82, 126, 0x20, 0x00, 0, 0];
        assert_eq!(frame(&long), Frame::Whole(6));
        let mut absurd = vec![0x82, 127];
        absurd.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(frame(&absurd), Frame::Bad);
    }

    #[test]
    fn samples_stop_at_invalid_utf8() {
        assert_eq!(printable(b"ok\x01\xff", None, 0, b""), b"ok.");
        assert_eq!(printable("é".as_bytes(), None, 0, b""), "é".as_bytes());
    }
}
