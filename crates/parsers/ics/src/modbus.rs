//! Modbus/TCP (Arkime's modbus.c): sessions on port 502 whose first segment is one
//! frame; transaction ids and function codes of requests, exception codes of
//! responses, the first frame's unit and protocol ids.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_session::parsers::{
    over_fixed_buffer, port, register_parser, Classifiers, Parsed, Parser,
};
use trawl_session::{Cx, Dir, Session};

/// MBAP header bytes before the function code's unit id.
const HEADER: usize = 7;
/// Most bytes buffered per direction.
const MAX_BUF: usize = 8192;
/// The MBAP length (unit id and PDU, 2 to 255 bytes) after the transaction and
/// protocol ids: a frame is 6 bytes more.
const MBAP: LengthPrefix = LengthPrefix::be(4, 2).plus(6).range(6 + 2, 6 + 255);

#[derive(Clone, Copy, Debug)]
struct Ids {
    unit: FieldId,
    transaction: FieldId,
    protocol: FieldId,
    function: FieldId,
    exception: FieldId,
}

/// One Modbus/TCP frame (application data unit).
#[derive(Debug, PartialEq, Eq)]
pub struct Adu {
    /// Transaction id.
    pub transaction: u16,
    /// Unit id.
    pub unit: u8,
    /// Function code (with the exception bit).
    pub function: u8,
    /// The byte after the function code, if the frame has one.
    pub first_data: Option<u8>,
}

/// Where the frame at the front of `b` ends: Arkime reads nothing before a whole
/// header, and a non-zero protocol id or a length outside 2..=255 is not Modbus.
pub fn framing(b: &[u8]) -> Frame {
    if b.len() < HEADER {
        return Frame::Partial { needed: HEADER };
    }
    if b[2] != 0 || b[3] != 0 {
        return Frame::Bad;
    }
    MBAP.frame(b)
}

/// Reads a whole frame (as [`framing`] delimits it).
pub fn adu(f: &[u8]) -> Adu {
    Adu {
        transaction: u16::from_be_bytes([f[0], f[1]]),
        unit: f[6],
        function: f[7],
        first_data: f.get(8).copied(),
    }
}

#[derive(Debug)]
struct Modbus {
    ids: Ids,
    server: Dir,
    /// Calls per direction: the framework calls at the first bytes of each, so the
    /// first call is the direction's first packet, as Arkime counts.
    frames: [u32; 2],
}

impl Parser for Modbus {
    fn name(&self) -> &'static str {
        "modbus"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        self.frames[dir] += 1;
        // Arkime's fixed MAX_BUF buffer: held and new bytes that do not fit end the parse.
        if over_fixed_buffer(cx, s, data, MAX_BUF, "modbus:frame-too-long") {
            return Parsed::Skip;
        }
        let reg = &cx.shared.fields;
        for_each_frame(data, framing, |b| {
            let f = adu(b);
            let mut function = f.function;
            if dir == self.server && function & 0x80 != 0 {
                function &= 0x7f;
                if let Some(e) = f.first_data {
                    s.fields.int_add(reg, self.ids.exception, u32::from(e));
                }
            }
            if dir != self.server {
                s.fields
                    .int_add(reg, self.ids.transaction, u32::from(f.transaction));
                s.fields
                    .int_add(reg, self.ids.function, u32::from(function));
            }
            if self.frames[dir] == 1 {
                s.fields.int_add(reg, self.ids.unit, u32::from(f.unit));
                s.fields.int_add(reg, self.ids.protocol, 0);
            }
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn classify(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if data.len() < HEADER {
        return;
    }
    let len = usize::from(u16::from_be_bytes([data[4], data[5]]));
    if data[2] != 0 || data[3] != 0 || len.wrapping_sub(1) != data.len() - HEADER {
        return;
    }
    if cx.has_protocol(s, "modbus") {
        return;
    }
    cx.add_protocol(s, "modbus");
    // The server side by port, so captures that start mid-stream still label
    // requests and responses right.
    let server = if s.port2 == 502 { Dir::Dst } else { Dir::Src };
    register_parser(
        s,
        Box::new(Modbus {
            ids,
            server,
            frames: [0; 2],
        }),
    );
}

const MODBUS: FieldSpec = FieldSpec::new("modbus", FieldType::IntGHash).flags(Flags::CNT);
const MODBUS_ONE: FieldSpec = FieldSpec::new("modbus", FieldType::Int);

/// The Modbus fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 5] = [
    MODBUS_ONE
        .named("modbus.unitid", "modbus.unitid", Kind::Integer)
        .text("Modbus Unit ID", "Modbus Unit ID"),
    MODBUS
        .named(
            "modbus.transactionid",
            "modbus.transactionid",
            Kind::Integer,
        )
        .text("Modbus Transaction IDs", "Modbus Transaction IDs"),
    MODBUS_ONE
        .named("modbus.protocolid", "modbus.protocolid", Kind::Integer)
        .text(
            "Modbus Protocol ID",
            "Modbus Protocol ID (should always be 0)",
        ),
    MODBUS
        .named("modbus.funccode", "modbus.funccode", Kind::Integer)
        .text("Modbus Function Code", "Modbus Function Codes"),
    MODBUS
        .named("modbus.exccode", "modbus.exccode", Kind::Integer)
        .text("Modbus Exception Code", "Modbus Exception Codes"),
];

/// Registers the Modbus fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [unit, transaction, protocol, function, exception] = f.define_all(&FIELDS);
    let ids = Ids {
        unit,
        transaction,
        protocol,
        function,
        exception,
    };
    c.register_port("modbus", 0, 502, port::TCP, move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        // Read holding registers request: tid 1, unit 17, function 3.
        let req = [0, 1, 0, 0, 0, 6, 17, 3, 0, 107, 0, 3];
        assert_eq!(framing(&req), Frame::Whole(12));
        assert_eq!(
            adu(&req),
            Adu {
                transaction: 1,
                unit: 17,
                function: 3,
                first_data: Some(0),
            }
        );
        for n in 0..HEADER {
            assert_eq!(
                framing(&req[..n]),
                Frame::Partial { needed: 7 },
                "cut at {n}"
            );
        }
        for n in HEADER..req.len() {
            assert_eq!(
                framing(&req[..n]),
                Frame::Partial { needed: 12 },
                "cut at {n}"
            );
        }
        let mut bad = req;
        bad[3] = 1;
        assert_eq!(framing(&bad), Frame::Bad, "protocol id");
        let mut long = req;
        long[4] = 1;
        assert_eq!(framing(&long), Frame::Bad, "length over 255");
        let mut short = req;
        short[5] = 1;
        assert_eq!(framing(&short), Frame::Bad, "length under 2");
        // Exception response: function 0x83, code 2.
        let exc = [0, 1, 0, 0, 0, 3, 17, 0x83, 2];
        assert_eq!(framing(&exc), Frame::Whole(9));
        assert_eq!(
            adu(&exc),
            Adu {
                transaction: 1,
                unit: 17,
                function: 0x83,
                first_data: Some(2),
            }
        );
        // The shortest frame has no byte after the function code.
        assert_eq!(adu(&[0, 1, 0, 0, 0, 2, 17, 0x83]).first_data, None);
    }
}
