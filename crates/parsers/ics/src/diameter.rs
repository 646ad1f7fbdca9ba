//! Diameter (Arkime's diameter.c, RFC 6733) on TCP and SCTP ports 3868 and 5658:
//! each message's command (named when known, request or answer) and application,
//! and the User-Name, Session-Id, Origin/Destination Host and Realm and Result-Code
//! AVPs.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::at;
use trawl_parser_common::frame::{for_each_frame, Frame, LengthPrefix};
use trawl_session::parsers::{port, register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const MAX_MSG: usize = 8192;
const HEADER: usize = 20;

#[derive(Clone, Copy, Debug)]
struct Ids {
    origin_host: FieldId,
    origin_realm: FieldId,
    dest_host: FieldId,
    dest_realm: FieldId,
    session_id: FieldId,
    user: FieldId,
    cmd: FieldId,
    app: FieldId,
    result: FieldId,
}

fn cmd_name(code: u32) -> Option<&'static str> {
    Some(match code {
        257 => "Capabilities-Exchange",
        258 => "Re-Auth",
        271 => "Accounting",
        272 => "Credit-Control",
        274 => "Abort-Session",
        275 => "Session-Termination",
        280 => "Device-Watchdog",
        282 => "Disconnect-Peer",
        300 => "User-Authorization",
        301 => "Server-Assignment",
        302 => "Location-Info",
        303 => "Multimedia-Auth",
        304 => "Registration-Termination",
        305 => "Push-Profile",
        306 => "User-Data",
        307 => "Profile-Update",
        308 => "Subscribe-Notifications",
        309 => "Push-Notification",
        316 => "Update-Location",
        317 => "Cancel-Location",
        318 => "Authentication-Information",
        319 => "Insert-Subscriber-Data",
        320 => "Delete-Subscriber-Data",
        321 => "Purge-UE",
        322 => "Reset",
        323 => "Notify",
        _ => return None,
    })
}

fn app_name(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "Common",
        1 => "NASREQ",
        2 => "Mobile-IPv4",
        3 => "Base-Accounting",
        4 => "Credit-Control",
        5 => "EAP",
        6 => "SIP",
        7 => "MIP6I",
        8 => "MIP6A",
        9 => "QoS",
        0xffff_ffff => "Relay",
        16777216 => "3GPP-Cx",
        16777217 => "3GPP-Sh",
        16777236 => "3GPP-Rx",
        16777238 => "3GPP-Gx",
        16777251 => "3GPP-S6a",
        16777252 => "3GPP-S13",
        16777255 => "3GPP-SLg",
        16777264 => "3GPP-SWm",
        16777265 => "3GPP-SWx",
        16777272 => "3GPP-S6b",
        16777291 => "3GPP-SLh",
        _ => return None,
    })
}

/// What one message says: the command and application strings, then the AVPs
/// (code, data) Arkime records.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// "Name-Request (code)" or "Answer (code)".
    pub cmd: String,
    /// "Name (id)" or the bare id.
    pub app: String,
    /// AVPs 1, 263, 264, 268, 283, 293, 296 in order.
    pub avps: Vec<(u32, &'a [u8])>,
}

/// Whether `d` starts with a plausible Diameter header.
pub fn valid(d: &[u8]) -> bool {
    if d.len() < HEADER || d[0] != 1 {
        return false;
    }
    let len = at::be24(d, 1).unwrap_or(0) as usize;
    (HEADER..=MAX_MSG).contains(&len) && d[4] & 0x0f == 0 && at::be24(d, 5).unwrap_or(0) != 0
}

/// The message length after the version byte: 24 bits, header included.
const LENGTH: LengthPrefix = LengthPrefix::be(1, 3).range(HEADER, MAX_MSG);

/// Where the message at the front of a TCP stream's bytes ends: nothing is read
/// before a whole header; a version other than 1 or a length outside
/// `HEADER..=MAX_MSG` is not Diameter.
pub fn framing(b: &[u8]) -> Frame {
    if b.len() < HEADER {
        return Frame::Partial { needed: HEADER };
    }
    if b[0] != 1 {
        return Frame::Bad;
    }
    LENGTH.frame(b)
}

/// Reads a whole message (`msg` holds at least its header).
pub fn message(msg: &[u8]) -> Message<'_> {
    let code = at::be24(msg, 5).unwrap_or(0);
    let app = u32::from_be_bytes([msg[8], msg[9], msg[10], msg[11]]);
    let ra = if msg[4] & 0x80 != 0 {
        "Request"
    } else {
        "Answer"
    };
    let cmd = match cmd_name(code) {
        Some(n) => format!("{n}-{ra} ({code})"),
        None => format!("{ra} ({code})"),
    };
    let app = match app_name(app) {
        Some(n) => format!("{n} ({app})"),
        None => app.to_string(),
    };
    let mut avps = Vec::new();
    let mut b = msg.get(HEADER..).unwrap_or(&[]);
    while b.len() >= 8 {
        let code = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let fl = b[4];
        let len = at::be24(b, 5).unwrap_or(0) as usize;
        if len < 8 {
            break;
        }
        let mut at = 8;
        let mut dlen = len - 8;
        if fl & 0x80 != 0 {
            if len < 12 || b.len() < 12 {
                break;
            }
            at = 12;
            dlen = len - 12;
        }
        if b.len() - at < dlen {
            break;
        }
        let data = &b[at..at + dlen];
        let pad = (4 - (len & 3)) & 3;
        let next = at + dlen + pad;
        if next > b.len() {
            break;
        }
        if matches!(code, 1 | 263 | 264 | 268 | 283 | 293 | 296) {
            avps.push((code, data));
        }
        b = &b[next..];
    }
    Message { cmd, app, avps }
}

fn add(cx: &mut Cx, s: &mut Session, ids: &Ids, msg: &[u8]) {
    let m = message(msg);
    let reg = &cx.shared.fields;
    s.fields.string_add(reg, ids.cmd, &m.cmd);
    s.fields.string_add(reg, ids.app, &m.app);
    for (code, d) in m.avps {
        let id = match code {
            1 => ids.user,
            263 => ids.session_id,
            264 => ids.origin_host,
            283 => ids.dest_realm,
            293 => ids.dest_host,
            296 => ids.origin_realm,
            _ => {
                if let Ok(x) = <[u8; 4]>::try_from(d) {
                    s.fields.int_add(reg, ids.result, u32::from_be_bytes(x));
                }
                continue;
            }
        };
        s.fields.string_add(reg, id, &String::from_utf8_lossy(d));
    }
}

#[derive(Debug)]
struct Diameter {
    ids: Ids,
    /// Over SCTP each call is one whole message; over TCP the framework keeps the
    /// bytes of an unfinished one.
    tcp: bool,
}

impl Parser for Diameter {
    fn name(&self) -> &'static str {
        "diameter"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if !self.tcp {
            if data.len() < HEADER {
                return Parsed::Done(0);
            }
            let len = at::be24(data, 1).unwrap_or(0) as usize;
            if data[0] != 1 || len < HEADER || len > data.len() {
                return Parsed::Skip;
            }
            add(cx, s, &self.ids, &data[..len]);
            return Parsed::Done(0);
        }
        // Arkime's parser buffer holds MAX_MSG bytes: once the bytes held and a new
        // packet's do not fit (the bytes given here), it gives up.
        if data.len() > MAX_MSG {
            return Parsed::Skip;
        }
        for_each_frame(data, framing, |msg| {
            add(cx, s, &self.ids, msg);
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        MAX_MSG
    }
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], uw: u32, ids: Ids) {
    if !valid(d) || cx.has_protocol(s, "diameter") {
        return;
    }
    cx.add_protocol(s, "diameter");
    register_parser(s, Box::new(Diameter { ids, tcp: uw == 0 }));
}

const TERM: FieldSpec = FieldSpec::new("diameter", FieldType::StrGHash).flags(Flags::CNT);

/// The Diameter fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 9] = [
    TERM.named("diameter.origin-host", "diameter.originHost", Kind::TermField)
        .text("Origin Host", "Diameter Origin-Host AVP"),
    TERM.named("diameter.origin-realm", "diameter.originRealm", Kind::TermField)
        .text("Origin Realm", "Diameter Origin-Realm AVP"),
    TERM.named("diameter.dest-host", "diameter.destHost", Kind::TermField)
        .text("Dest Host", "Diameter Destination-Host AVP"),
    TERM.named("diameter.dest-realm", "diameter.destRealm", Kind::TermField)
        .text("Dest Realm", "Diameter Destination-Realm AVP"),
    TERM.named("diameter.session-id", "diameter.sessionId", Kind::TermField)
        .text("Session ID", "Diameter Session-Id AVP"),
    TERM.named("diameter.user", "diameter.user", Kind::TermField)
        .text("User", "Diameter User-Name AVP")
        .category("user"),
    TERM.named("diameter.cmd", "diameter.cmd", Kind::TermField)
        .text("Command", "Diameter Command Code"),
    TERM.named("diameter.app", "diameter.app", Kind::TermField)
        .text("Application", "Diameter Application ID"),
    FieldSpec::new("diameter", FieldType::IntGHash)
        .flags(Flags::CNT)
        .named("diameter.resultCode", "diameter.resultCode", Kind::Integer)
        .text(
            "Result Code",
            "Diameter Result-Code AVP (268): 2xxx success, 3xxx protocol error, 4xxx transient failure, 5xxx permanent failure",
        ),
];

/// Registers the Diameter fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [origin_host, origin_realm, dest_host, dest_realm, session_id, user, cmd, app, result] =
        f.define_all(&FIELDS);
    let ids = Ids {
        origin_host,
        origin_realm,
        dest_host,
        dest_realm,
        session_id,
        user,
        cmd,
        app,
        result,
    };
    for p in [3868, 5658] {
        c.register_port("diameter", 0, p, port::TCP, move |cx, s, d, _, uw| {
            classify(cx, s, d, uw, ids)
        });
        c.register_port("diameter", 1, p, port::SCTP, move |cx, s, d, _, uw| {
            classify(cx, s, d, uw, ids)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avp(code: u32, vendor: bool, data: &[u8]) -> Vec<u8> {
        let len = 8 + if vendor { 4 } else { 0 } + data.len();
        let mut a = code.to_be_bytes().to_vec();
        a.push(if vendor { 0xc0 } else { 0x40 });
        a.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        if vendor {
            a.extend_from_slice(&10415u32.to_be_bytes());
        }
        a.extend_from_slice(data);
        while !a.len().is_multiple_of(4) {
            a.push(0);
        }
        a
    }

    #[test]
    fn cer_message() {
        let mut body = Vec::new();
        body.extend(avp(264, false, b"hss.example"));
        body.extend(avp(296, false, b"example"));
        body.extend(avp(1, true, b"alice"));
        body.extend(avp(268, false, &2001u32.to_be_bytes()));
        let mut msg = vec![1, 0, 0, 0, 0x80, 0, 1, 1, 0, 0, 0, 0];
        msg.extend_from_slice(&[0; 8]);
        msg.extend_from_slice(&body);
        let n = msg.len() as u32;
        msg[1..4].copy_from_slice(&n.to_be_bytes()[1..]);
        assert!(valid(&msg));
        assert_eq!(framing(&msg), Frame::Whole(msg.len()));
        assert_eq!(framing(&msg[..19]), Frame::Partial { needed: HEADER });
        assert_eq!(framing(&msg[..20]), Frame::Partial { needed: msg.len() });
        let mut v2 = msg.clone();
        v2[0] = 2;
        assert_eq!(framing(&v2), Frame::Bad, "version");
        let mut huge = msg.clone();
        huge[1] = 1;
        assert_eq!(framing(&huge), Frame::Bad, "past MAX_MSG");
        let m = message(&msg);
        assert_eq!(m.cmd, "Capabilities-Exchange-Request (257)");
        assert_eq!(m.app, "Common (0)");
        assert_eq!(
            m.avps,
            [
                (264, &b"hss.example"[..]),
                (296, &b"example"[..]),
                (1, &b"alice"[..]),
                (268, &2001u32.to_be_bytes()[..])
            ]
        );
        for k in HEADER..msg.len() {
            let _ = message(&msg[..k]);
        }
        let mut bad = msg.clone();
        bad[4] = 0x81;
        assert!(!valid(&bad));
        assert!(!valid(&msg[..19]));
    }
}
