//! Modbus/TCP (Arkime's modbus.c): sessions on port 502 whose first segment is one
//! frame; transaction ids and function codes of requests, exception codes of
//! responses, the first frame's unit and protocol ids.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser, ParserBuf};
use trawl_session::{Cx, Session};

/// MBAP header bytes before the function code's unit id.
const HEADER: usize = 7;
/// Most bytes buffered per direction.
const MAX_BUF: usize = 8192;

#[derive(Clone, Copy, Debug)]
struct Ids {
    unit: FieldId,
    transaction: FieldId,
    protocol: FieldId,
    function: FieldId,
    exception: FieldId,
}

/// One Modbus/TCP frame.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    /// Transaction id.
    pub transaction: u16,
    /// Unit id.
    pub unit: u8,
    /// Function code (with the exception bit).
    pub function: u8,
    /// The byte after the function code, if the frame has one.
    pub first_data: Option<u8>,
    /// Bytes the frame takes.
    pub size: usize,
}

/// What the front of a buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A complete frame.
    Frame(Frame),
    /// More bytes are needed.
    More,
    /// Not Modbus: stop parsing.
    Bad,
}

/// Reads the frame at the front of `b`.
pub fn next_frame(b: &[u8]) -> Next {
    if b.len() < HEADER {
        return Next::More;
    }
    let transaction = u16::from_be_bytes([b[0], b[1]]);
    if b[2] != 0 || b[3] != 0 {
        return Next::Bad;
    }
    let len = usize::from(u16::from_be_bytes([b[4], b[5]]));
    if !(2..=255).contains(&len) {
        return Next::Bad;
    }
    if len > b.len() - 6 {
        return Next::More;
    }
    Next::Frame(Frame {
        transaction,
        unit: b[6],
        function: b[7],
        first_data: (len >= 3).then(|| b[8]),
        size: 6 + len,
    })
}

#[derive(Debug)]
struct Modbus {
    ids: Ids,
    server: usize,
    frames: [u32; 2],
    buf: ParserBuf,
}

impl Parser for Modbus {
    fn name(&self) -> &'static str {
        "modbus"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: usize) -> Parsed {
        let dir = dir & 1;
        self.frames[dir] += 1;
        if !self.buf.add(dir, data) {
            cx.add_tag(s, "modbus:frame-too-long");
            return Parsed::Skip;
        }
        let reg = &cx.shared.fields;
        loop {
            let f = match next_frame(self.buf.get(dir)) {
                Next::Frame(f) => f,
                Next::More => return Parsed::Done(0),
                Next::Bad => return Parsed::Skip,
            };
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
            self.buf.del(dir, f.size);
        }
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
    let server = usize::from(s.port2 == 502);
    register_parser(
        s,
        Box::new(Modbus {
            ids,
            server,
            frames: [0; 2],
            buf: ParserBuf::new(MAX_BUF),
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
        assert_eq!(
            next_frame(&req),
            Next::Frame(Frame {
                transaction: 1,
                unit: 17,
                function: 3,
                first_data: Some(0),
                size: 12
            })
        );
        for n in 0..req.len() {
            assert_eq!(next_frame(&req[..n]), Next::More, "cut at {n}");
        }
        let mut bad = req;
        bad[3] = 1;
        assert_eq!(next_frame(&bad), Next::Bad, "protocol id");
        let mut long = req;
        long[4] = 1;
        assert_eq!(next_frame(&long), Next::Bad, "length over 255");
        // Exception response: function 0x83, code 2.
        let exc = [0, 1, 0, 0, 0, 3, 17, 0x83, 2];
        assert_eq!(
            next_frame(&exc),
            Next::Frame(Frame {
                transaction: 1,
                unit: 17,
                function: 0x83,
                first_data: Some(2),
                size: 9
            })
        );
    }
}
