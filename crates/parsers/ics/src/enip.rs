//! EtherNet/IP and CIP (Arkime's enip.c): the 24-byte little-endian encapsulation
//! header of every message (command, length, session handle, status, sender context,
//! options); the CIP service and the class of the request path in the connected and
//! unconnected data items of SendRRData/SendUnitData; vendor, device type and product
//! name from ListIdentity replies. TCP on port 44818, UDP on 44818 and 2222.

use std::ops::ControlFlow;
use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::text::latin1;
use trawl_session::parsers::{
    over_fixed_buffer, port, register_parser, Classifiers, Parsed, Parser,
};
use trawl_session::{Cx, Dir, Session};

/// The encapsulation header.
pub const HEADER: usize = 24;
/// Arkime's parser buffer (`arkime_parser_buf_create`): at most this many bytes held
/// per direction, and no message longer.
const MAX_BUF: usize = 8192;

/// The encapsulation command's name, for the commands Arkime knows.
pub fn command_name(cmd: u16) -> Option<&'static str> {
    Some(match cmd {
        0x0000 => "NOP",
        0x0004 => "ListServices",
        0x0063 => "ListIdentity",
        0x0064 => "ListInterfaces",
        0x0065 => "RegisterSession",
        0x0066 => "UnRegisterSession",
        0x006f => "SendRRData",
        0x0070 => "SendUnitData",
        0x0072 => "IndicateStatus",
        0x0073 => "Cancel",
        _ => return None,
    })
}

/// The CIP service's name (the reply bit ignored).
pub fn service_name(svc: u8) -> Option<&'static str> {
    Some(match svc & 0x7f {
        0x01 => "Get_Attributes_All",
        0x02 => "Set_Attributes_All",
        0x03 => "Get_Attribute_List",
        0x04 => "Set_Attribute_List",
        0x05 => "Reset",
        0x06 => "Start",
        0x07 => "Stop",
        0x08 => "Create",
        0x09 => "Delete",
        0x0a => "Multiple_Service_Packet",
        0x0d => "Apply_Attributes",
        0x0e => "Get_Attribute_Single",
        0x10 => "Set_Attribute_Single",
        0x11 => "Find_Next_Object_Instance",
        0x14 => "Error_Response",
        0x15 => "Restore",
        0x16 => "Save",
        0x17 => "NoOp",
        0x18 => "Get_Member",
        0x19 => "Set_Member",
        0x1a => "Insert_Member",
        0x1b => "Remove_Member",
        0x1c => "GroupSync",
        0x4b => "Execute_PCCC",
        0x4c => "Read_Tag",
        0x4d => "Write_Tag",
        0x4e => "Forward_Close",
        0x52 => "Read_Tag_Fragmented",
        0x53 => "Write_Tag_Fragmented",
        0x54 => "Forward_Open",
        0x55 => "Get_Connection_Owner",
        0x5b => "Large_Forward_Open",
        _ => return None,
    })
}

/// The CIP object class's name.
pub fn class_name(cls: u32) -> Option<&'static str> {
    Some(match cls {
        0x01 => "Identity",
        0x02 => "Message Router",
        0x03 => "DeviceNet",
        0x04 => "Assembly",
        0x05 => "Connection",
        0x06 => "Connection Manager",
        0x07 => "Register",
        0x08 => "Discrete Input Point",
        0x09 => "Discrete Output Point",
        0x0a => "Analog Input Point",
        0x0b => "Analog Output Point",
        0x0e => "Presence Sensing",
        0x0f => "Parameter",
        0x10 => "Parameter Group",
        0x1d => "Discrete Input Group",
        0x1e => "Discrete Output Group",
        0x1f => "Discrete Group",
        0x20 => "Analog Input Group",
        0x21 => "Analog Output Group",
        0x22 => "Analog Group",
        0x23 => "Position Sensor",
        0x24 => "Position Controller Supervisor",
        0x25 => "Position Controller",
        0x26 => "Block Sequencer",
        0x27 => "Command Block",
        0x28 => "Motor Data",
        0x29 => "Control Supervisor",
        0x2a => "AC/DC Drive",
        0x2b => "Acknowledge Handler",
        0x2c => "Overload",
        0x2d => "Softstart",
        0x2e => "Selection",
        0x30 => "S-Device Supervisor",
        0x31 => "S-Analog Sensor",
        0x32 => "S-Analog Actuator",
        0x33 => "S-Single Stage Controller",
        0x34 => "S-Gas Calibration",
        0x35 => "Trip Point",
        0x37 => "File",
        0x38 => "S-Partial Pressure",
        0x39 => "Safety Supervisor",
        0x3a => "Safety Validator",
        0x3b => "Safety Discrete Output Point",
        0x3c => "Safety Discrete Output Group",
        0x3d => "Safety Discrete Input Point",
        0x3e => "Safety Discrete Input Group",
        0x3f => "Safety Dual Channel Output",
        0x40 => "S-Sensor Calibration",
        0x41 => "Event Log",
        0x42 => "Motion Device Axis",
        0x43 => "Time Sync",
        0x44 => "Modbus",
        0xf0 => "ControlNet",
        0xf1 => "ControlNet Keeper",
        0xf2 => "ControlNet Scheduling",
        0xf3 => "Connection Configuration",
        0xf4 => "Port",
        0xf5 => "TCP/IP Interface",
        0xf6 => "EtherNet Link",
        0xf7 => "CompoNet",
        0xf8 => "CompoNet Repeater",
        _ => return None,
    })
}

/// The vendor's name, for the few vendor ids Arkime knows.
pub fn vendor_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0001 => "Rockwell Automation/Allen-Bradley",
        0x0002 => "Namco Controls Corp.",
        0x0005 => "Schneider Electric",
        0x000c => "Festo",
        0x0017 => "OMRON",
        0x001a => "Hitachi",
        0x002a => "Mitsubishi Electric",
        0x0031 => "Siemens",
        0x0036 => "Bosch Rexroth",
        0x004d => "Lenze",
        0x005a => "Beckhoff",
        0x0064 => "Yaskawa",
        0x0090 => "Pilz",
        0x0100 => "Phoenix Contact",
        0x011b => "WAGO",
        0x012e => "Rockwell Automation",
        _ => return None,
    })
}

/// What one message adds to the session, in Arkime's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// An encapsulation command Arkime names.
    Command(&'static str),
    /// The encapsulation status.
    Status(u32),
    /// The session carries CIP.
    Cip,
    /// A CIP service name (or `Service-0x..`, or `Reply`).
    Service(String),
    /// A CIP class name (or `Class-0x..`).
    Class(String),
    /// A ListIdentity vendor (or `Vendor-N`).
    Vendor(String),
    /// A ListIdentity device type, `DeviceType-0x....`.
    DeviceType(String),
    /// A ListIdentity product name.
    Product(String),
}

/// The class id of the first class segment of a CIP request path, walking past port,
/// data and other logical segments as Arkime does. Numbers cut short by the end of the
/// path read as 0, as BSB leaves them, so a truncated class segment gives class 0.
pub fn path_class(path: &[u8]) -> Option<u32> {
    let mut c = Cursor::new(path);
    while c.remaining() > 0 {
        let seg = c.u8();
        let fmt = seg & 0x03;
        match seg & 0xe0 {
            // Logical segment.
            0x20 => {
                let class = seg & 0x1c == 0;
                match (class, fmt) {
                    (true, 0) => return Some(u32::from(c.u8())),
                    (true, 1) => {
                        c.skip(1);
                        return Some(u32::from(c.le16()));
                    }
                    (true, 2) => {
                        c.skip(1);
                        return Some(c.le32()).filter(|&v| v != u32::MAX);
                    }
                    (false, 0) => c.skip(1),
                    (false, 1) => c.skip(3),
                    (false, 2) => c.skip(5),
                    _ => return None,
                }
            }
            // Data segment: a length, then that many bytes padded to even.
            0x80 => {
                let n = usize::from(c.u8());
                c.skip(n + (n & 1));
            }
            // Port segment: an optional extended port number, then a one-byte link
            // address or a sized, padded one. (CIP puts the link address size before
            // the extended port number; Arkime reads it after, and so do we.)
            0x00 => {
                if seg & 0x0f == 0x0f {
                    c.skip(2);
                }
                if seg & 0x10 != 0 {
                    let n = usize::from(c.u8());
                    c.skip(n + (n & 1));
                } else {
                    c.skip(1);
                }
            }
            _ => return None,
        }
    }
    None
}

/// A CIP request: the service and, if its path names one, the class.
fn request(out: &mut Vec<Found>, svc: u8, path: &[u8]) {
    out.push(Found::Cip);
    out.push(Found::Service(match service_name(svc) {
        Some(n) => n.to_string(),
        None => format!("Service-0x{:02x}", svc & 0x7f),
    }));
    if let Some(cls) = path_class(path) {
        out.push(Found::Class(match class_name(cls) {
            Some(n) => n.to_string(),
            None => format!("Class-0x{cls:02x}"),
        }));
    }
}

/// The common packet format items of SendRRData/SendUnitData (after the interface
/// handle and timeout): the CIP service of each connected (0xb1, after its sequence
/// number) or unconnected (0xb2) data item. Arkime stops at a count of 0 or over 16
/// or at an item longer than what is left.
fn send_data(out: &mut Vec<Found>, body: &[u8]) {
    let mut c = Cursor::new(body);
    c.skip(6);
    cpf_items(&mut c, 16, |ty, item| {
        if ty != 0xb1 && ty != 0xb2 {
            return ControlFlow::Continue(());
        }
        let mut ic = Cursor::new(item);
        if ty == 0xb1 {
            ic.skip(2);
        }
        let svc = ic.u8();
        if ic.is_error() {
            return ControlFlow::Continue(());
        }
        if svc & 0x80 != 0 {
            // A reply: the service's name, or "Reply" for one Arkime does not name.
            out.push(Found::Service(
                service_name(svc).unwrap_or("Reply").to_string(),
            ));
            out.push(Found::Cip);
        } else {
            // The path size counts 16-bit words; a path running past the item is cut
            // to what is there (none at all if even the size is missing).
            let words = usize::from(ic.u8());
            let n = (words * 2).min(ic.remaining());
            request(out, svc, ic.rest().get(..n).unwrap_or(&[]));
        }
        ControlFlow::Continue(())
    });
}

/// Walks the common packet format items after the item count at `c`, handing each
/// item's type and bytes to `f`, which may stop the walk. Arkime stops at a count of 0
/// or over `max`, and at an item longer than what is left.
fn cpf_items<'a>(
    c: &mut Cursor<'a>,
    max: u16,
    mut f: impl FnMut(u16, &'a [u8]) -> ControlFlow<()>,
) {
    let count = c.le16();
    if c.is_error() || count == 0 || count > max {
        return;
    }
    for _ in 0..count {
        if c.is_error() {
            break;
        }
        let ty = c.le16();
        let len = usize::from(c.le16());
        if c.is_error() || len > c.remaining() {
            return;
        }
        if f(ty, c.take_or_empty(len)).is_break() {
            return;
        }
    }
}

/// A ListIdentity reply body: vendor, device type and product name of each identity
/// item (type 0x0c). Arkime stops at a count of 0 or over 8, at an item longer than
/// what is left, and at an identity item too short for the name length.
fn list_identity(out: &mut Vec<Found>, body: &[u8]) {
    cpf_items(&mut Cursor::new(body), 8, |ty, item| {
        if ty != 0x000c {
            return ControlFlow::Continue(());
        }
        let mut ic = Cursor::new(item);
        // Protocol version and socket address.
        ic.skip(2 + 16);
        let vendor = ic.le16();
        let device_type = ic.le16();
        // Product code, revision, status, serial number.
        ic.skip(2 + 2 + 2 + 4);
        let name_len = usize::from(ic.u8());
        if ic.is_error() {
            return ControlFlow::Break(());
        }
        out.push(Found::Vendor(match vendor_name(vendor) {
            Some(n) => n.to_string(),
            None => format!("Vendor-{vendor}"),
        }));
        out.push(Found::DeviceType(format!("DeviceType-0x{device_type:04x}")));
        if name_len > 0 {
            if let Some(name) = ic.rest().get(..name_len) {
                out.push(Found::Product(latin1(name)));
            }
        }
        ControlFlow::Continue(())
    });
}

/// What one message (or UDP datagram) adds: nothing unless the header is whole; the
/// command (if Arkime names it) and status always; the body only when its length is
/// non-zero and within the bytes given.
pub fn message(data: &[u8]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut c = Cursor::new(data);
    let command = c.le16();
    let length = usize::from(c.le16());
    c.skip(4);
    let status = c.le32();
    c.skip(8 + 4);
    if c.is_error() {
        return out;
    }
    if let Some(n) = command_name(command) {
        out.push(Found::Command(n));
    }
    out.push(Found::Status(status));
    if length == 0 || length > c.remaining() {
        return out;
    }
    let body = c.rest().get(..length).unwrap_or(&[]);
    match command {
        0x0063 if status == 0 => list_identity(&mut out, body),
        0x006f | 0x0070 => send_data(&mut out, body),
        _ => {}
    }
    out
}

/// Whether a session's first bytes look like ENIP: a whole header with a known
/// command whose message, header included, fits in 65535 bytes (Arkime's check: a
/// length over 65511 is refused).
pub fn looks_valid(d: &[u8]) -> bool {
    let (Some(cmd), Some(len)) = (at_le16(d, 0), at_le16(d, 2)) else {
        return false;
    };
    d.len() >= HEADER && command_name(cmd).is_some() && usize::from(len) + HEADER <= 65535
}

fn at_le16(d: &[u8], at: usize) -> Option<u16> {
    trawl_parser_common::cursor::at::le16(d, at)
}

#[derive(Clone, Copy, Debug)]
struct Ids {
    command: FieldId,
    status: FieldId,
    service: FieldId,
    class: FieldId,
    vendor: FieldId,
    product: FieldId,
    device_type: FieldId,
}

impl Ids {
    fn add(&self, cx: &mut Cx, s: &mut Session, found: Vec<Found>) {
        for f in found {
            let reg = &cx.shared.fields;
            let (id, v) = match f {
                Found::Status(v) => {
                    s.fields.int_add(reg, self.status, v);
                    continue;
                }
                Found::Cip => {
                    if !cx.has_protocol(s, "cip") {
                        cx.add_protocol(s, "cip");
                    }
                    continue;
                }
                Found::Command(n) => (self.command, n.to_string()),
                Found::Service(v) => (self.service, v),
                Found::Class(v) => (self.class, v),
                Found::Vendor(v) => (self.vendor, v),
                Found::DeviceType(v) => (self.device_type, v),
                Found::Product(v) => (self.product, v),
            };
            s.fields.string_add(reg, id, &v);
        }
    }
}

/// The TCP parser: messages framed by the header's length.
#[derive(Debug)]
struct EnipTcp {
    ids: Ids,
}

impl Parser for EnipTcp {
    fn name(&self) -> &'static str {
        "enip"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        // Arkime's fixed buffer: held and new bytes that do not fit end the parse.
        if over_fixed_buffer(cx, s, data, MAX_BUF, "enip:frame-too-long") {
            return Parsed::Skip;
        }
        let mut at = 0;
        while let Some(rest) = data.get(at..).filter(|r| r.len() >= HEADER) {
            let (Some(cmd), Some(len)) = (at_le16(rest, 0), at_le16(rest, 2)) else {
                break;
            };
            // Arkime unregisters quietly at an unknown command.
            if command_name(cmd).is_none() {
                return Parsed::Skip;
            }
            let total = HEADER + usize::from(len);
            if total > MAX_BUF {
                cx.add_tag(s, "enip:message-too-long");
                return Parsed::Skip;
            }
            let Some(msg) = rest.get(..total) else {
                return Parsed::Incomplete {
                    consumed: at,
                    needed: total,
                };
            };
            let found = message(msg);
            self.ids.add(cx, s, found);
            at += total;
        }
        Parsed::Incomplete {
            consumed: at,
            needed: HEADER,
        }
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

/// The UDP parser: each datagram one message (however its length reads).
#[derive(Debug)]
struct EnipUdp {
    ids: Ids,
}

impl Parser for EnipUdp {
    fn name(&self) -> &'static str {
        "enip"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if data.len() >= HEADER {
            let found = message(data);
            self.ids.add(cx, s, found);
        }
        Parsed::Done(0)
    }
}

fn classify_tcp(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "enip") || !looks_valid(data) {
        return;
    }
    cx.add_protocol(s, "enip");
    register_parser(s, Box::new(EnipTcp { ids }));
}

/// On UDP the datagram must be exactly the header and its length.
fn classify_udp(cx: &mut Cx, s: &mut Session, data: &[u8], ids: Ids) {
    if cx.has_protocol(s, "enip") || !looks_valid(data) {
        return;
    }
    if at_le16(data, 2).map(|l| usize::from(l) + HEADER) != Some(data.len()) {
        return;
    }
    cx.add_protocol(s, "enip");
    register_parser(s, Box::new(EnipUdp { ids }));
}

const ENIP: FieldSpec = FieldSpec::new("enip", FieldType::StrGHash).flags(Flags::CNT);

/// The ENIP fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 7] = [
    ENIP.named("enip.command", "enip.command", Kind::TermField)
        .text(
            "ENIP Command",
            "ENIP encapsulation command (e.g. ListIdentity, RegisterSession, SendRRData)",
        ),
    ENIP.named("enip.status", "enip.status", Kind::Integer)
        .ty(FieldType::IntGHash)
        .text("ENIP Status", "ENIP encapsulation status codes"),
    ENIP.named("enip.service", "enip.service", Kind::TermField)
        .text(
            "CIP Service",
            "CIP service name (e.g. Get_Attribute_Single, Read_Tag, Forward_Open)",
        ),
    ENIP.named("enip.class", "enip.class", Kind::TermField)
        .text(
            "CIP Class",
            "CIP object class name (e.g. Identity, Message Router)",
        ),
    ENIP.named("enip.vendor", "enip.vendor", Kind::TermField)
        .text(
            "ENIP Vendor",
            "ENIP vendor name (looked up from vendor id, or Vendor-N if unknown)",
        ),
    ENIP.named("enip.product", "enip.product", Kind::TermField)
        .text(
            "ENIP Product",
            "ENIP product name string from a ListIdentity response",
        ),
    ENIP.named("enip.device-type", "enip.deviceType", Kind::TermField)
        .text("ENIP Device Type", "ENIP device type from ListIdentity"),
];

/// Registers the ENIP fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [command, status, service, class, vendor, product, device_type] = f.define_all(&FIELDS);
    let ids = Ids {
        command,
        status,
        service,
        class,
        vendor,
        product,
        device_type,
    };
    c.register_port("enip", 0, 44818, port::TCP, move |cx, s, d, _, _| {
        classify_tcp(cx, s, d, ids)
    });
    for p in [44818, 2222] {
        c.register_port("enip", 0, p, port::UDP, move |cx, s, d, _, _| {
            classify_udp(cx, s, d, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message: header (command, body length, session 0x11223344, status, context,
    /// options 0) and body.
    fn msg(cmd: u16, status: u32, body: &[u8]) -> Vec<u8> {
        let mut m = cmd.to_le_bytes().to_vec();
        m.extend_from_slice(&(body.len() as u16).to_le_bytes());
        m.extend_from_slice(&0x1122_3344u32.to_le_bytes());
        m.extend_from_slice(&status.to_le_bytes());
        m.extend_from_slice(b"context!");
        m.extend_from_slice(&[0; 4]);
        m.extend_from_slice(body);
        m
    }

    /// A SendRRData body: interface handle, timeout, then CPF items.
    fn cpf(items: &[(u16, &[u8])]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0, 10, 0];
        b.extend_from_slice(&(items.len() as u16).to_le_bytes());
        for (ty, d) in items {
            b.extend_from_slice(&ty.to_le_bytes());
            b.extend_from_slice(&(d.len() as u16).to_le_bytes());
            b.extend_from_slice(d);
        }
        b
    }

    fn identity(vendor: u16, device: u16, name: &[u8]) -> Vec<u8> {
        let mut d = vec![1, 0];
        d.extend_from_slice(&[0; 16]);
        d.extend_from_slice(&vendor.to_le_bytes());
        d.extend_from_slice(&device.to_le_bytes());
        d.extend_from_slice(&[0x37, 0, 3, 1, 0x60, 0, 1, 2, 3, 4]);
        d.push(name.len() as u8);
        d.extend_from_slice(name);
        d.push(3);
        d
    }

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn request_and_reply() {
        // Get_Attribute_Single on class 1, instance 1, attribute 7 (unconnected),
        // preceded by a null address item.
        let req = msg(
            0x6f,
            0,
            &cpf(&[(0, &[]), (0xb2, &[0x0e, 3, 0x20, 1, 0x24, 1, 0x30, 7])]),
        );
        assert_eq!(
            message(&req),
            vec![
                Found::Command("SendRRData"),
                Found::Status(0),
                Found::Cip,
                Found::Service(s("Get_Attribute_Single")),
                Found::Class(s("Identity")),
            ]
        );
        // Its connected reply (sequence number first), and one Arkime does not name.
        let rsp = msg(
            0x70,
            0,
            &cpf(&[(0xb1, &[1, 0, 0x8e, 0, 0, 0]), (0xb1, &[2, 0, 0xff, 0])]),
        );
        assert_eq!(
            message(&rsp),
            vec![
                Found::Command("SendUnitData"),
                Found::Status(0),
                Found::Service(s("Get_Attribute_Single")),
                Found::Cip,
                Found::Service(s("Reply")),
                Found::Cip,
            ]
        );
        // Every prefix: nothing before a whole header, then command and status only
        // until the whole body is there.
        for n in 0..req.len() {
            let f = message(&req[..n]);
            if n < HEADER {
                assert!(f.is_empty(), "cut at {n}");
            } else {
                assert_eq!(f, message(&req[..HEADER]), "cut at {n}");
            }
        }
        // Mutations never panic.
        for i in 0..req.len() {
            for v in [0, 1, 0x7f, 0x80, 0xff] {
                let mut m = req.clone();
                m[i] = v;
                let _ = message(&m);
            }
        }
    }

    #[test]
    fn paths() {
        assert_eq!(path_class(&[0x20, 0x06, 0x24, 0x01]), Some(6));
        // 16- and 32-bit class ids after a pad byte.
        assert_eq!(path_class(&[0x21, 0, 0x34, 0x12]), Some(0x1234));
        assert_eq!(path_class(&[0x22, 0, 1, 2, 3, 4]), Some(0x0403_0201));
        assert_eq!(path_class(&[0x22, 0, 0xff, 0xff, 0xff, 0xff]), None);
        // Port segment (port 1, link 0), a symbol and an instance before the class.
        assert_eq!(
            path_class(&[0x01, 0x00, 0x91, 3, b'a', b'b', b'c', 0, 0x24, 1, 0x20, 2]),
            Some(2)
        );
        // Extended port number and sized link address (3 bytes, padded), in Arkime's
        // order.
        assert_eq!(
            path_class(&[0x1f, 0x12, 0x34, 3, 1, 2, 3, 0, 0x20, 0xf5]),
            Some(0xf5)
        );
        // Reserved logical format, unknown segment type, no class.
        assert_eq!(path_class(&[0x23, 1]), None);
        assert_eq!(path_class(&[0x40, 1]), None);
        assert_eq!(path_class(&[0x24, 1]), None);
        // A class segment cut short reads as class 0 (BSB leaves the number 0).
        assert_eq!(path_class(&[0x20]), Some(0));
        assert_eq!(path_class(&[0x21, 0, 5]), Some(0));
        // Unknown names.
        let mut out = Vec::new();
        request(&mut out, 0x33, &[0x20, 0x6b]);
        assert_eq!(
            out,
            vec![
                Found::Cip,
                Found::Service(s("Service-0x33")),
                Found::Class(s("Class-0x6b")),
            ]
        );
        out.clear();
        request(&mut out, 0x01, &[0x21, 0, 0x34, 0x12]);
        assert_eq!(out[2], Found::Class(s("Class-0x1234")));
    }

    #[test]
    fn list_identity_reply() {
        let id = identity(1, 0x0c, b"1756-EN2T/B");
        let mut body = vec![1, 0, 0x0c, 0];
        body.extend_from_slice(&(id.len() as u16).to_le_bytes());
        body.extend_from_slice(&id);
        let rsp = msg(0x63, 0, &body);
        assert_eq!(
            message(&rsp),
            vec![
                Found::Command("ListIdentity"),
                Found::Status(0),
                Found::Vendor(s("Rockwell Automation/Allen-Bradley")),
                Found::DeviceType(s("DeviceType-0x000c")),
                Found::Product(s("1756-EN2T/B")),
            ]
        );
        // A non-zero status hides the body.
        assert_eq!(
            message(&msg(0x63, 1, &body)),
            vec![Found::Command("ListIdentity"), Found::Status(1)]
        );
        // An unknown vendor; a name longer than the item is left out.
        let mut id = identity(9999, 0x0a, b"PLC");
        id.truncate(id.len() - 3);
        let mut body = vec![1, 0, 0x0c, 0];
        body.extend_from_slice(&(id.len() as u16).to_le_bytes());
        body.extend_from_slice(&id);
        assert_eq!(
            message(&msg(0x63, 0, &body))[2..],
            [
                Found::Vendor(s("Vendor-9999")),
                Found::DeviceType(s("DeviceType-0x000a"))
            ]
        );
        // An identity item too short for the name length: nothing.
        let body = [1, 0, 0x0c, 0, 4, 0, 1, 0, 2, 0];
        assert_eq!(message(&msg(0x63, 0, &body)).len(), 2);
    }

    #[test]
    fn unknown_commands_and_classification() {
        let nop = msg(0x0000, 0, &[]);
        assert!(looks_valid(&nop));
        assert!(!looks_valid(&nop[..HEADER - 1]));
        let odd = msg(0x0099, 5, &[1, 2]);
        assert!(!looks_valid(&odd));
        // Over UDP an unknown command still gives its status.
        assert_eq!(message(&odd), vec![Found::Status(5)]);
        let mut long = nop.clone();
        long[2] = 0xe8;
        long[3] = 0xff;
        assert!(!looks_valid(&long));
        long[2] = 0xe7;
        assert!(looks_valid(&long));
    }
}
