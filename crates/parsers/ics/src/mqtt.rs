//! MQTT 3.1, 3.1.1 and 5.0 (Arkime's mqtt.c): a TCP session that opens with a
//! CONNECT is `mqtt`. Packet types; from CONNECT the version, flags, will QoS, client
//! id, will topic and user; CONNACK codes; PUBLISH topics and QoS (large payloads are
//! skipped, not buffered); SUBSCRIBE and UNSUBSCRIBE topic filters.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::frame::Frame;
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

/// Arkime's default parser buffer cap.
const MAX_BUF: usize = 8192;

const TYPES: [&str; 16] = [
    "Reserved",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

#[derive(Clone, Copy, Debug)]
struct Ids {
    client_id: FieldId,
    topic: FieldId,
    version: FieldId,
    ty: FieldId,
    user: Option<FieldId>,
    will_topic: FieldId,
    qos: FieldId,
    flags: FieldId,
    connack: FieldId,
}

/// What the packets of a direction said, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Value {
    /// A string field ("type", "version", "flags", "clientId", "willTopic", "topic",
    /// "user").
    Str(&'static str, String),
    /// An integer field ("qos", "connackCode").
    Int(&'static str, u32),
}

/// A variable-length integer: Ok(value) or Err(bytes read before it failed).
fn varint(b: &mut Cursor) -> Result<u32, usize> {
    let mut v = 0u32;
    for i in 0..4 {
        let Some(x) = b.take(1) else {
            return Err(i);
        };
        v |= u32::from(x[0] & 0x7f) << (7 * i);
        if x[0] & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(4)
}

/// A big-endian u16 length (0 past the end).
fn u16_of(b: &mut Cursor) -> usize {
    usize::from(b.be16())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Reads a CONNECT packet body; returns the protocol level when it got that far.
pub fn connect(p: &[u8], out: &mut Vec<Value>) -> Option<u8> {
    let mut b = Cursor::new(p);
    let n = u16_of(&mut b);
    if b.is_error() || n > b.remaining() {
        return None;
    }
    let name = b.take(n)?;
    if !(name == b"MQTT" || name == b"MQIsdp") {
        return None;
    }
    let mut version = 0u32;
    b.u8_into(&mut version);
    if b.is_error() {
        return None;
    }
    let v = match version {
        3 => "3.1",
        4 => "3.1.1",
        5 => "5.0",
        _ => "unknown",
    };
    out.push(Value::Str("version", v.into()));
    let version = version as u8;
    let mut fl = 0u32;
    b.u8_into(&mut fl);
    if b.is_error() {
        return Some(version);
    }
    let (user, password, will_retain, will_qos, will, clean) = (
        fl & 0x80 != 0,
        fl & 0x40 != 0,
        fl & 0x20 != 0,
        (fl >> 3) & 3,
        fl & 0x04 != 0,
        fl & 0x02 != 0,
    );
    if will {
        out.push(Value::Str("flags", "hasWill".into()));
        if will_qos <= 2 {
            out.push(Value::Int("qos", will_qos));
        }
        if will_retain {
            out.push(Value::Str("flags", "willRetain".into()));
        }
    }
    if clean {
        out.push(Value::Str("flags", "cleanSession".into()));
    }
    if password {
        out.push(Value::Str("flags", "hasPassword".into()));
    }
    b.skip(2); // keep alive
    if version == 5 {
        let Ok(props) = varint(&mut b) else {
            return Some(version);
        };
        b.skip(props as usize);
    }
    let n = u16_of(&mut b);
    if let Some(id) = b.take(n) {
        if n > 0 {
            out.push(Value::Str("clientId", text(id)));
        }
    }
    if will && version == 5 {
        let Ok(props) = varint(&mut b) else {
            return Some(version);
        };
        b.skip(props as usize);
    }
    if will {
        let n = u16_of(&mut b);
        if let Some(t) = b.take(n) {
            if n > 0 {
                out.push(Value::Str("willTopic", text(t)));
            }
        }
        let n = u16_of(&mut b);
        b.skip(n);
    }
    if user {
        let n = u16_of(&mut b);
        if let Some(u) = b.take(n) {
            if n > 0 {
                out.push(Value::Str("user", text(u).to_ascii_lowercase()));
            }
        }
    }
    Some(version)
}

/// Reads a SUBSCRIBE (or UNSUBSCRIBE) body's topic filters.
pub fn subscribe(p: &[u8], version: u8, subscribe: bool, out: &mut Vec<Value>) {
    let mut b = Cursor::new(p);
    b.skip(2); // packet id
    if version == 5 {
        let Ok(props) = varint(&mut b) else {
            return;
        };
        b.skip(props as usize);
    }
    while b.remaining() > 2 {
        let n = u16_of(&mut b);
        let Some(t) = b.take(n) else {
            break;
        };
        if n > 0 {
            out.push(Value::Str("topic", text(t)));
        }
        if subscribe {
            b.skip(1);
        }
    }
}

/// How a PUBLISH at the start of `b` (after its fixed header, `at` bytes in) reads:
/// `Whole` is the whole packet's size (its payload, skipped, may not be there yet),
/// `Partial` the bytes its topic needs (more than `at + MAX_BUF`: too large to read),
/// `Bad` a topic longer than the packet.
fn publish(b: &[u8], at: usize, flags: u8, rl: usize, out: &mut Vec<Value>) -> Frame {
    let qos = (flags >> 1) & 3;
    let rest = &b[at..];
    if rest.len() < 2 {
        return Frame::Partial { needed: at + 2 };
    }
    let topic_len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
    let needed = 2 + topic_len + if qos > 0 { 2 } else { 0 };
    if needed > rl {
        return Frame::Bad;
    }
    if needed > MAX_BUF || rest.len() < needed {
        return Frame::Partial {
            needed: at + needed,
        };
    }
    if topic_len > 0 {
        out.push(Value::Str("topic", text(&rest[2..2 + topic_len])));
    }
    if qos <= 2 {
        out.push(Value::Int("qos", u32::from(qos)));
    }
    Frame::Whole(at + rl)
}

/// Waits for the packet at `start` of `b`, which needs `needed` bytes: the framework
/// calls again once it holds them, or, for a packet that will never fit Arkime's
/// buffer, at every packet until the bytes held overflow it.
fn wait(start: usize, needed: usize) -> Parsed {
    Parsed::Incomplete {
        consumed: start,
        needed: if needed <= MAX_BUF { needed } else { 0 },
    }
}

#[derive(Debug)]
struct Mqtt {
    ids: Ids,
    version: u8,
}

impl Mqtt {
    fn add(&self, cx: &mut Cx, s: &mut Session, out: &[Value]) {
        let reg = &cx.shared.fields;
        let ids = &self.ids;
        for v in out {
            match v {
                Value::Str(k, x) => {
                    let id = match *k {
                        "type" => Some(ids.ty),
                        "version" => Some(ids.version),
                        "flags" => Some(ids.flags),
                        "clientId" => Some(ids.client_id),
                        "willTopic" => Some(ids.will_topic),
                        "topic" => Some(ids.topic),
                        _ => ids.user,
                    };
                    if let Some(id) = id {
                        s.fields.string_add(reg, id, x);
                    }
                }
                Value::Int(k, n) => {
                    let id = if *k == "qos" { ids.qos } else { ids.connack };
                    s.fields.int_add(reg, id, *n);
                }
            }
        }
    }

    /// Reads the whole packets of `b` (`truncated`: bytes past it were lost, as
    /// Arkime's full buffer loses them); PUBLISH payloads are skipped, also past the
    /// end of `b`. Err(tag) ends the parse with that tag. A packet not all there has
    /// its type recorded already (Arkime records it at every try).
    fn packets(
        &mut self,
        b: &[u8],
        truncated: bool,
        out: &mut Vec<Value>,
    ) -> Result<Parsed, &'static str> {
        let mut start = 0;
        loop {
            let Some(p) = b.get(start..).filter(|p| p.len() >= 2) else {
                return Ok(wait(start, 2));
            };
            let first = p[0];
            let (ty, fl) = (first >> 4, first & 0x0f);
            let mut r = Cursor::new(&p[1..]);
            let rl = match varint(&mut r) {
                Ok(v) => v as usize,
                Err(n) if n >= 4 => return Err("mqtt:bad-varint"),
                Err(_) => return Ok(wait(start, p.len() + 1)),
            };
            let at = p.len() - r.remaining();
            out.push(Value::Str("type", TYPES[usize::from(ty)].into()));
            if ty == 3 {
                match publish(p, at, fl, rl, out) {
                    Frame::Whole(n) => {
                        start += n;
                        continue;
                    }
                    Frame::Partial { needed } if truncated || needed - at > MAX_BUF => {
                        return Err("mqtt:message-too-long")
                    }
                    // The packet is read again, whole, with the next bytes.
                    Frame::Partial { needed } => return Ok(wait(start, needed)),
                    Frame::Bad => return Err("mqtt:bad-publish"),
                }
            }
            if rl > MAX_BUF {
                return Err("mqtt:message-too-long");
            }
            if rl > p.len() - at {
                if truncated {
                    return Err("mqtt:message-too-long");
                }
                return Ok(wait(start, at + rl));
            }
            let body = &p[at..at + rl];
            match ty {
                1 => {
                    if let Some(v) = connect(body, out) {
                        self.version = v;
                    }
                }
                2 if body.len() >= 2 => out.push(Value::Int("connackCode", u32::from(body[1]))),
                8 => subscribe(body, self.version, true, out),
                10 => subscribe(body, self.version, false, out),
                _ => {}
            }
            start += at + rl;
        }
    }
}

impl Parser for Mqtt {
    fn name(&self) -> &'static str {
        "mqtt"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        // Arkime's parser buffer holds MAX_BUF bytes: when the bytes held and a new
        // packet's (the bytes given here) do not fit, it reads the packets of what
        // fit, then tags and gives up.
        let truncated = data.len() > MAX_BUF;
        let mut out = Vec::new();
        let end = self.packets(&data[..data.len().min(MAX_BUF)], truncated, &mut out);
        self.add(cx, s, &out);
        match end {
            Err(tag) => {
                cx.add_tag(s, tag);
                Parsed::Skip
            }
            Ok(_) if truncated => {
                cx.add_tag(s, "mqtt:message-too-long");
                Parsed::Skip
            }
            Ok(p) => p,
        }
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

/// Whether a stream's first bytes are an MQTT CONNECT.
pub fn looks_like_connect(d: &[u8]) -> bool {
    if d.len() < 10 || d[0] & 0xf0 != 0x10 {
        return false;
    }
    let mut b = Cursor::new(&d[1..]);
    if varint(&mut b).is_err() {
        return false;
    }
    let n = u16_of(&mut b);
    if b.is_error() || !(n == 4 || n == 6) {
        return false;
    }
    matches!(b.take(n), Some(b"MQTT") | Some(b"MQIsdp"))
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "mqtt") || !looks_like_connect(d) {
        return;
    }
    cx.add_protocol(s, "mqtt");
    register_parser(s, Box::new(Mqtt { ids, version: 0 }));
}

const TERM: FieldSpec = FieldSpec::new("mqtt", FieldType::StrGHash).flags(Flags::CNT);
const INT: FieldSpec = FieldSpec::new("mqtt", FieldType::IntGHash).flags(Flags::CNT);

/// The MQTT fields, in definition order.
pub const FIELDS: [FieldSpec; 8] = [
    TERM.named("mqtt.clientId", "mqtt.clientId", Kind::TermField)
        .text("Client ID", "MQTT client identifier"),
    TERM.named("mqtt.topic", "mqtt.topic", Kind::TermField)
        .text("Topic", "MQTT topic"),
    TERM.named("mqtt.version", "mqtt.version", Kind::TermField)
        .text("Version", "MQTT protocol version"),
    TERM.named("mqtt.type", "mqtt.type", Kind::TermField)
        .text("Type", "MQTT packet type"),
    TERM.named("mqtt.willTopic", "mqtt.willTopic", Kind::TermField)
        .text("Will Topic", "MQTT last will topic"),
    TERM.named("mqtt.flags", "mqtt.flags", Kind::TermField)
        .text("Flags", "MQTT connection flags"),
    INT.named("mqtt.qos", "mqtt.qos", Kind::Integer)
        .text("QoS", "MQTT Quality of Service level"),
    INT.named("mqtt.connackCode", "mqtt.connackCode", Kind::Integer)
        .text(
            "CONNACK Code",
            "MQTT CONNACK return/reason code (0=Accepted; non-zero=rejected/error)",
        ),
];

/// Registers the MQTT fields and classifier.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [client_id, topic, version, ty, will_topic, flags, qos, connack] = f.define_all(&FIELDS);
    let ids = Ids {
        client_id,
        topic,
        version,
        ty,
        // The core user field (defined before the parsers register).
        user: f.by_db("user"),
        will_topic,
        qos,
        flags,
        connack,
    };
    c.register_tcp("mqtt", 0, 0, b"\x10", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect_pkt() -> Vec<u8> {
        let mut body = vec![0, 4];
        body.extend_from_slice(b"MQTT");
        body.push(4);
        body.push(0x80 | 0x40 | 0x04 | 0x08 | 0x02); // user, password, will qos 1, clean
        body.extend_from_slice(&[0, 60]);
        for s in [&b"dev-1"[..], b"status/dev-1", b"gone", b"Admin"] {
            body.extend_from_slice(&(s.len() as u16).to_be_bytes());
            body.extend_from_slice(s);
        }
        let mut p = vec![0x10, body.len() as u8];
        p.extend_from_slice(&body);
        p
    }

    #[test]
    fn connect_fields() {
        let p = connect_pkt();
        assert!(looks_like_connect(&p));
        let mut out = Vec::new();
        assert_eq!(connect(&p[2..], &mut out), Some(4));
        let s = |k: &'static str, v: &str| Value::Str(k, v.to_string());
        assert_eq!(
            out,
            [
                s("version", "3.1.1"),
                s("flags", "hasWill"),
                Value::Int("qos", 1),
                s("flags", "cleanSession"),
                s("flags", "hasPassword"),
                s("clientId", "dev-1"),
                s("willTopic", "status/dev-1"),
                s("user", "admin"),
            ]
        );
        for n in 0..p.len() {
            let mut o = Vec::new();
            let _ = connect(&p[2..n.max(2)], &mut o);
            let _ = looks_like_connect(&p[..n]);
        }
    }

    #[test]
    fn publish_and_subscribe() {
        let mut out = Vec::new();
        // PUBLISH qos 1, topic "a/b", packet id, 3 payload bytes; remaining length 10.
        let p = [0x32, 10, 0, 3, b'a', b'/', b'b', 0, 7, b'x', b'y', b'z'];
        assert_eq!(publish(&p, 2, 0x2, 10, &mut out), Frame::Whole(12));
        // The payload need not be there.
        assert_eq!(
            publish(&p[..9], 2, 0x2, 10, &mut Vec::new()),
            Frame::Whole(12)
        );
        assert_eq!(
            publish(&p[..5], 2, 0x2, 10, &mut Vec::new()),
            Frame::Partial { needed: 9 }
        );
        assert_eq!(
            publish(&p[..3], 2, 0x2, 10, &mut Vec::new()),
            Frame::Partial { needed: 4 }
        );
        assert_eq!(publish(&p, 2, 0x2, 4, &mut Vec::new()), Frame::Bad);
        assert_eq!(
            out,
            [Value::Str("topic", "a/b".into()), Value::Int("qos", 1)]
        );
        let mut out = Vec::new();
        let sub = [0, 1, 0, 3, b'x', b'/', b'#', 1, 0, 1, b'y', 0];
        subscribe(&sub, 4, true, &mut out);
        assert_eq!(
            out,
            [
                Value::Str("topic", "x/#".into()),
                Value::Str("topic", "y".into())
            ]
        );
        let mut b = Cursor::new(&[0xff, 0xff, 0xff, 0xff, 1]);
        assert_eq!(varint(&mut b), Err(4));
        let mut b = Cursor::new(&[0x80]);
        assert_eq!(varint(&mut b), Err(1));
        let mut b = Cursor::new(&[0xc1, 0x02]);
        assert_eq!(varint(&mut b), Ok(0x41 | 2 << 7));
    }
}
