//! S7comm and S7comm-plus (Siemens S7 PLCs over TPKT/COTP; Arkime's s7comm.c): ROSCTR,
//! PDU references, function codes and names, error class and code of S7comm PDUs, and
//! S7comm-plus opcodes.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{over_fixed_buffer, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::frame::for_each_frame;
use trawl_parser_common::tpkt;

const TPKT: usize = tpkt::HEADER;
/// Longest TPKT frame Arkime accepts, and the most bytes it keeps per direction.
const MAX_BUF: usize = 8192;

#[derive(Clone, Copy, Debug)]
struct Ids {
    rosctr: FieldId,
    func: FieldId,
    func_name: FieldId,
    pdu_ref: FieldId,
    error_class: FieldId,
    error_code: FieldId,
    opcode: FieldId,
}

/// The name of an S7comm function code.
pub fn func_name(c: u8) -> Option<&'static str> {
    Some(match c {
        0x00 => "CPU services",
        0x04 => "Read Var",
        0x05 => "Write Var",
        0x1a => "Request download",
        0x1b => "Download block",
        0x1c => "Download ended",
        0x1d => "Start upload",
        0x1e => "Upload",
        0x1f => "End upload",
        0x28 => "PLC Control",
        0x29 => "PLC Stop",
        0xf0 => "Setup communication",
        _ => return None,
    })
}

/// What one S7 PDU says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pdu {
    /// "s7comm" or "s7comm-plus".
    pub protocol: Option<&'static str>,
    /// ROSCTR.
    pub rosctr: Option<u8>,
    /// PDU reference.
    pub pdu_ref: Option<u16>,
    /// Non-zero error class and code.
    pub error: (Option<u8>, Option<u8>),
    /// Function code.
    pub func: Option<u8>,
    /// S7comm-plus opcode.
    pub opcode: Option<u8>,
}

/// Reads the S7 PDU after the COTP header.
pub fn pdu(d: &[u8]) -> Pdu {
    let mut p = Pdu::default();
    let mut c = Cursor::new(d);
    let id = c.u8();
    if c.is_error() {
        return p;
    }
    match id {
        0x32 => {
            p.protocol = Some("s7comm");
            if c.remaining() < 9 {
                return p;
            }
            let rosctr = c.u8();
            p.rosctr = Some(rosctr);
            c.skip(2);
            p.pdu_ref = Some(c.be16());
            let param_len = c.be16();
            c.skip(2);
            if c.is_error() {
                return p;
            }
            if rosctr == 2 || rosctr == 3 {
                let (class, code) = (c.u8(), c.u8());
                p.error = ((class != 0).then_some(class), (code != 0).then_some(code));
            }
            if param_len >= 1 && c.remaining() > 0 {
                p.func = Some(c.u8());
            }
        }
        0x72 => {
            p.protocol = Some("s7comm-plus");
            if c.remaining() < 4 {
                return p;
            }
            c.skip(3);
            let digest = usize::from(c.u8());
            c.skip(digest);
            if c.remaining() > 0 {
                p.opcode = Some(c.u8());
            }
        }
        _ => {}
    }
    p
}

#[derive(Debug)]
struct S7 {
    ids: Ids,
}

impl S7 {
    fn add(&self, cx: &mut Cx, s: &mut Session, p: &Pdu) {
        if let Some(proto) = p.protocol {
            if !cx.has_protocol(s, proto) {
                cx.add_protocol(s, proto);
            }
        }
        let reg = &cx.shared.fields;
        let ids = &self.ids;
        let ints = [
            (ids.rosctr, p.rosctr.map(u32::from)),
            (ids.pdu_ref, p.pdu_ref.map(u32::from)),
            (ids.error_class, p.error.0.map(u32::from)),
            (ids.error_code, p.error.1.map(u32::from)),
            (ids.func, p.func.map(u32::from)),
            (ids.opcode, p.opcode.map(u32::from)),
        ];
        for (id, v) in ints {
            if let Some(v) = v {
                s.fields.int_add(reg, id, v);
            }
        }
        if let Some(n) = p.func.and_then(func_name) {
            s.fields.string_add(reg, ids.func_name, n);
        }
    }
}

impl Parser for S7 {
    fn name(&self) -> &'static str {
        "s7comm"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        // Arkime's fixed MAX_BUF buffer: held and new bytes that do not fit end the parse.
        if over_fixed_buffer(cx, s, data, MAX_BUF, "s7comm:frame-too-long") {
            return Parsed::Skip;
        }
        for_each_frame(
            data,
            |b| tpkt::frame(b, TPKT, MAX_BUF),
            |msg| {
                let body = &msg[TPKT..];
                if body.len() >= 2 {
                    let (cotp_len, ty) = (usize::from(body[0]), body[1] >> 4);
                    let skip = cotp_len.saturating_sub(1);
                    if let Some(rest) = body.get(2 + skip..) {
                        if ty == 0x0f && !rest.is_empty() {
                            let p = pdu(rest);
                            self.add(cx, s, &p);
                        }
                    }
                }
                ControlFlow::Continue(())
            },
        )
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

/// Whether a stream's first bytes are TPKT/COTP carrying S7 (a connection request
/// with TSAP parameters, or data with an S7 protocol id).
pub fn looks_like_s7(d: &[u8]) -> bool {
    if d.len() < TPKT + 3 || d[0] != 3 || d[1] != 0 {
        return false;
    }
    let tlen = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if tlen < 7 || tlen > d.len() {
        return false;
    }
    let cotp_len = usize::from(d[4]);
    match d[5] >> 4 {
        0x0e | 0x0d => {
            let mut off = 11;
            if off >= d.len() {
                return false;
            }
            while off + 2 < d.len() && off < 5 + cotp_len {
                if d[off] == 0xc1 || d[off] == 0xc2 {
                    return true;
                }
                off += 2 + usize::from(d[off + 1]);
            }
            false
        }
        0x0f => d.get(5 + cotp_len).is_some_and(|&p| p == 0x32 || p == 0x72),
        _ => false,
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "s7comm") || cx.has_protocol(s, "s7comm-plus") || !looks_like_s7(d) {
        return;
    }
    register_parser(s, Box::new(S7 { ids }));
}

const INT: FieldSpec = FieldSpec::new("s7comm", FieldType::IntGHash).flags(Flags::CNT);

/// The S7comm fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 7] = [
    INT.named("s7comm.rosctr", "s7comm.rosctr", Kind::Integer)
        .text(
            "S7comm ROSCTR",
            "S7comm Remote Operating Service Control (1=Job, 2=Ack, 3=Ack_Data, 7=Userdata)",
        ),
    INT.named("s7comm.func", "s7comm.func", Kind::Integer)
        .text("S7comm Function Code", "S7comm Function Codes"),
    FieldSpec::new("s7comm", FieldType::StrGHash)
        .flags(Flags::CNT)
        .named("s7comm.funcName", "s7comm.funcName", Kind::TermField)
        .text(
            "S7comm Function Name",
            "S7comm Function Names (Read Var, Write Var, PLC Stop, etc)",
        ),
    INT.named("s7comm.pduref", "s7comm.pduref", Kind::Integer)
        .text("S7comm PDU Reference", "S7comm PDU Reference IDs"),
    INT.named("s7comm.errorClass", "s7comm.errorClass", Kind::Integer)
        .text("S7comm Error Class", "S7comm Error Classes"),
    INT.named("s7comm.errorCode", "s7comm.errorCode", Kind::Integer)
        .text("S7comm Error Code", "S7comm Error Codes"),
    INT.named("s7comm.opcode", "s7comm.opcode", Kind::Integer)
        .text(
            "S7comm-plus Opcode",
            "S7comm-plus Opcodes (0x31=Request, 0x32=Response, 0x33=Notification)",
        ),
];

/// Registers the S7comm fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [rosctr, func, func_name, pdu_ref, error_class, error_code, opcode] = f.define_all(&FIELDS);
    let ids = Ids {
        rosctr,
        func,
        func_name,
        pdu_ref,
        error_class,
        error_code,
        opcode,
    };
    c.register_tcp("s7comm", 0, 0, b"\x03\x00", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdus() {
        // Job: setup communication, pdu ref 1.
        let job = [
            0x32, 1, 0, 0, 0, 1, 0, 8, 0, 0, 0xf0, 0, 0, 1, 0, 1, 1, 0xe0,
        ];
        let p = pdu(&job);
        assert_eq!(
            (p.protocol, p.rosctr, p.pdu_ref, p.func),
            (Some("s7comm"), Some(1), Some(1), Some(0xf0))
        );
        // Ack data with an error 0x81/0x04.
        let ack = [0x32, 3, 0, 0, 1, 0, 0, 2, 0, 0, 0x81, 4, 5, 1];
        let p = pdu(&ack);
        assert_eq!(p.error, (Some(0x81), Some(4)));
        assert_eq!(p.func, Some(5));
        let plus = [0x72, 1, 0, 20, 2, 0xaa, 0xbb, 0x31];
        assert_eq!(pdu(&plus).opcode, Some(0x31));
        for n in 0..job.len() {
            let _ = pdu(&job[..n]);
        }
        // COTP connection request with a calling TSAP (0xc1).
        let cr = [
            3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 10,
        ];
        assert!(looks_like_s7(&cr));
        let mut rdp = cr;
        rdp[11] = 0x01;
        rdp[15] = 0x02;
        assert!(!looks_like_s7(&rdp));
    }
}
