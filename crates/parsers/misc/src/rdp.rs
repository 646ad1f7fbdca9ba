//! RDP (Arkime's rdp.c): TPKT/X.224 connection setup. The connection request's
//! `mstshash` cookie gives the user, its negotiation request the requested security
//! protocols, the confirm the selected one; the MCS Connect Initial's client core data
//! gives the client name, keyboard layout and build. Over UDP, port 3389 with an
//! RDPEUDP SYN is `rdpudp`.

use std::ops::ControlFlow;
use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::at;

use trawl_parser_common::frame::for_each_frame;
use trawl_parser_common::tpkt;
use trawl_session::parsers::{
    over_fixed_buffer, port, register_parser, Classifiers, Parsed, Parser,
};
use trawl_session::{Cx, Dir, Session};

const TPKT: usize = tpkt::HEADER;
/// Longest TPKT frame Arkime accepts, and the most bytes it keeps per direction.
const MAX_FRAME: usize = 8192;
const COOKIE: &[u8] = b"Cookie: mstshash=";

const NEG_REQ: u8 = 1;
const NEG_RSP: u8 = 2;
const NEG_FAILURE: u8 = 3;

/// How far one direction has got (Arkime's RDP_STATE_*).
const GOT_REQUEST: u8 = 1;
const GOT_CONFIRM: u8 = 2;
const GOT_MCS: u8 = 3;

#[derive(Clone, Copy, Debug)]
struct Ids {
    user: Option<FieldId>,
    client_name: FieldId,
    keyboard: FieldId,
    build: FieldId,
    requested: FieldId,
    selected: FieldId,
}

/// The names Arkime gives the security protocol flags of a negotiation message.
pub fn protocol_names(p: u32) -> Vec<&'static str> {
    let mut v = Vec::new();
    if p == 0 {
        v.push("rdp");
    }
    for (bit, name) in [(1, "ssl"), (2, "nla"), (4, "rdstls"), (8, "nla-ext")] {
        if p & bit != 0 {
            v.push(name);
        }
    }
    v
}

/// A keyboard layout id as Arkime names it.
pub fn keyboard_name(id: u32) -> Option<String> {
    let n = match id {
        0x0401 => "ar-SA",
        0x0404 => "zh-TW",
        0x0405 => "cs-CZ",
        0x0407 => "de-DE",
        0x0408 => "el-GR",
        0x0409 => "en-US",
        0x040c => "fr-FR",
        0x040d => "he-IL",
        0x040e => "hu-HU",
        0x0410 => "it-IT",
        0x0411 => "ja-JP",
        0x0412 => "ko-KR",
        0x0413 => "nl-NL",
        0x0415 => "pl-PL",
        0x0416 => "pt-BR",
        0x0418 => "ro-RO",
        0x0419 => "ru-RU",
        0x041b => "sk-SK",
        0x041e => "th-TH",
        0x041f => "tr-TR",
        0x0422 => "uk-UA",
        0x0429 => "fa-IR",
        0x042a => "vi-VN",
        0x0804 => "zh-CN",
        0x0809 => "en-GB",
        0x0816 => "pt-PT",
        0x0c0a => "es-ES",
        0 => return None,
        other => return Some(format!("0x{other:04x}")),
    };
    Some(n.to_string())
}

/// What one X.224 frame says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// 0xE0 request, 0xD0 confirm, 0xF0 data.
    pub code: u8,
    /// The cookie's user, as sent.
    pub user: Option<Vec<u8>>,
    /// Requested protocol flags (request).
    pub requested: Option<u32>,
    /// Selected protocol flags (confirm).
    pub selected: Option<u32>,
    /// The data frame was an MCS Connect Initial.
    pub mcs: bool,
    /// From its client core data.
    pub client: Option<ClientCore>,
}

/// The client core data of an MCS Connect Initial.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ClientCore {
    /// Keyboard layout id.
    pub keyboard: u32,
    /// Client build number.
    pub build: u32,
    /// Client name (trailing NULs removed), if it converted.
    pub name: Option<String>,
}

/// Reads a TPKT frame's payload (after the 4-byte TPKT header).
pub fn frame(body: &[u8]) -> Frame {
    let mut f = Frame::default();
    let Some(&code) = body.get(1) else {
        return f;
    };
    f.code = code;
    match code {
        0xe0 | 0xd0 => {
            // X.224 length and code, dst-ref, src-ref, class.
            let mut rest = body.get(7..).unwrap_or(&[]);
            if code == 0xe0 && rest.len() >= COOKIE.len() && rest.starts_with(COOKIE) {
                let v = &rest[COOKIE.len()..];
                let n = v
                    .iter()
                    .position(|&c| c == b'\r' || c == b'\n')
                    .unwrap_or(v.len());
                if n > 0 {
                    f.user = Some(v[..n].to_vec());
                }
                rest = &v[n..];
                if rest.len() >= 2 {
                    rest = &rest[2..];
                }
            }
            if rest.len() >= 8 {
                let want = if code == 0xe0 { NEG_REQ } else { NEG_RSP };
                if rest[0] == want {
                    let p = at::le32(rest, 4);
                    if code == 0xe0 {
                        f.requested = p;
                    } else {
                        f.selected = p;
                    }
                }
            }
        }
        0xf0 => {
            // X.224 length, code, EOT, then the BER tag of MCS Connect Initial.
            let d = body.get(3..).unwrap_or(&[]);
            if d.len() >= 2 && d[0] == 0x7f && d[1] == 0x65 {
                f.mcs = true;
                let mut rest = &d[2..];
                if let Some(&l) = rest.first() {
                    rest = &rest[1..];
                    if l & 0x80 != 0 {
                        rest = rest.get(usize::from(l & 0x7f)..).unwrap_or(&[]);
                    }
                }
                f.client = mcs_connect(rest);
            }
        }
        _ => {}
    }
    f
}

/// Finds the GCC user data ("Duca") of an MCS Connect Initial and reads its client
/// core data block.
fn mcs_connect(d: &[u8]) -> Option<ClientCore> {
    if d.len() < 30 {
        return None;
    }
    // Arkime looks for the marker at every offset but the last four.
    let at = d[..d.len() - 1].windows(4).position(|w| w == b"Duca")?;
    let mut blocks = &d[at + 4..];
    while blocks.len() >= 4 {
        let ty = u16::from_le_bytes([blocks[0], blocks[1]]);
        let len = usize::from(u16::from_le_bytes([blocks[2], blocks[3]]));
        if len < 4 || len > blocks.len() {
            return None;
        }
        let block = &blocks[4..len];
        if ty == 0xc001 {
            return client_core(block);
        }
        blocks = &blocks[len..];
    }
    None
}

fn client_core(b: &[u8]) -> Option<ClientCore> {
    if b.len() < 134 {
        return None;
    }
    let keyboard = at::le32(b, 12)?;
    let build = at::le32(b, 16)?;
    let raw = &b[20..52];
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let name = char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
        .map(|s| s.trim_end_matches('\0').to_string())
        .filter(|s| !s.is_empty());
    Some(ClientCore {
        keyboard,
        build,
        name,
    })
}

#[derive(Debug)]
struct Rdp {
    ids: Ids,
    state: [u8; 2],
}

impl Rdp {
    fn add(&self, cx: &mut Cx, s: &mut Session, f: &Frame) {
        let reg = &cx.shared.fields;
        let ids = &self.ids;
        if let (Some(u), Some(id)) = (&f.user, ids.user) {
            let u = String::from_utf8_lossy(u).to_ascii_lowercase();
            s.fields.string_add(reg, id, &u);
        }
        for (id, p) in [(ids.requested, f.requested), (ids.selected, f.selected)] {
            if let Some(p) = p {
                for n in protocol_names(p) {
                    s.fields.string_add(reg, id, n);
                }
            }
        }
        if let Some(c) = &f.client {
            if let Some(n) = &c.name {
                s.fields.string_add(reg, ids.client_name, n);
            }
            if let Some(k) = keyboard_name(c.keyboard) {
                s.fields.string_add(reg, ids.keyboard, &k);
            }
            if c.build > 0 {
                s.fields.int_add(reg, ids.build, c.build);
            }
        }
    }
}

impl Parser for Rdp {
    fn name(&self) -> &'static str {
        "rdp"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], dir: Dir) -> Parsed {
        // Arkime's fixed MAX_FRAME buffer: held and new bytes that do not fit end the parse.
        if over_fixed_buffer(cx, s, data, MAX_FRAME, "rdp:frame-too-long") {
            return Parsed::Skip;
        }
        for_each_frame(
            data,
            |b| tpkt::frame(b, 7, MAX_FRAME),
            |msg| {
                let f = frame(&msg[TPKT..]);
                self.add(cx, s, &f);
                match f.code {
                    0xe0 => self.state[dir] = GOT_REQUEST,
                    0xd0 => self.state[dir] = GOT_CONFIRM,
                    0xf0 if f.mcs => self.state[dir] = GOT_MCS,
                    _ => {}
                }
                let done = (self.state[0] >= GOT_CONFIRM && self.state[1] >= GOT_CONFIRM)
                    || (self.state[dir] == GOT_MCS && self.state[dir.other()] >= GOT_CONFIRM);
                if done {
                    ControlFlow::Break(Parsed::Skip)
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
    }

    fn max_held(&self) -> usize {
        MAX_FRAME
    }
}

/// Whether a stream's first bytes are an RDP connection request or confirm (a
/// `mstshash` cookie or a negotiation message right after the X.224 header).
pub fn looks_like_rdp(d: &[u8]) -> bool {
    if d.len() < 12 || d[0] != 3 || d[1] != 0 {
        return false;
    }
    let tlen = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if tlen > d.len() + 100 || !matches!(d[5], 0xe0 | 0xd0) {
        return false;
    }
    (d.len() >= 28 && d[11..].starts_with(COOKIE))
        || matches!(d[11], NEG_REQ | NEG_RSP | NEG_FAILURE)
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], ids: Ids) {
    if cx.has_protocol(s, "rdp") || !looks_like_rdp(d) {
        return;
    }
    cx.add_protocol(s, "rdp");
    register_parser(s, Box::new(Rdp { ids, state: [0; 2] }));
}

fn classify_udp(cx: &mut Cx, s: &mut Session, d: &[u8], _dir: Dir, _uw: u32) {
    // An RDPEUDP SYN: snSourceAck is 0xffffffff.
    if d.len() >= 8 && d[..4] == [0xff; 4] {
        cx.add_protocol(s, "rdpudp");
    }
}

const RDP: FieldSpec = FieldSpec::new("rdp", FieldType::StrGHash).flags(Flags::CNT);

/// The RDP fields, in the order of [`Ids`] (after the core `user` field).
pub const FIELDS: [FieldSpec; 5] = [
    RDP.named("rdp.client-name", "rdp.clientName", Kind::TermField)
        .text("Client Name", "RDP client computer name"),
    RDP.named("rdp.keyboard-layout", "rdp.keyboardLayout", Kind::TermField)
        .text("Keyboard Layout", "RDP client keyboard layout"),
    RDP.named("rdp.client-build", "rdp.clientBuild", Kind::Integer)
        .text("Client Build", "RDP client build number")
        .ty(FieldType::IntGHash),
    RDP.named(
        "rdp.requested-protocols",
        "rdp.requestedProtocols",
        Kind::TermField,
    )
    .text("Requested Protocols", "RDP requested security protocols"),
    RDP.named(
        "rdp.selected-protocol",
        "rdp.selectedProtocol",
        Kind::TermField,
    )
    .text("Selected Protocol", "RDP selected security protocol"),
];

/// Registers the RDP fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let user = f.by_db("user");
    let [client_name, keyboard, build, requested, selected] = f.define_all(&FIELDS);
    let ids = Ids {
        user,
        client_name,
        keyboard,
        build,
        requested,
        selected,
    };
    c.register_tcp("rdp", 0, 0, b"\x03\x00", move |cx, s, d, _, _| {
        classify(cx, s, d, ids)
    });
    c.register_port("rdpudp", 0, 3389, port::UDP, classify_udp);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection request as mstsc sends it: cookie, then a negotiation request
    /// asking for TLS and CredSSP.
    fn request() -> Vec<u8> {
        let mut x224 = vec![0, 0xe0, 0, 0, 0, 0, 0];
        x224.extend_from_slice(b"Cookie: mstshash=RdpUser\r\n");
        x224.extend_from_slice(&[NEG_REQ, 0, 8, 0, 3, 0, 0, 0]);
        x224[0] = (x224.len() - 1) as u8;
        let mut f = vec![3, 0, 0, 0];
        f.extend_from_slice(&x224);
        let n = f.len() as u16;
        f[2..4].copy_from_slice(&n.to_be_bytes());
        f
    }

    fn confirm(selected: u32) -> Vec<u8> {
        let mut f = vec![3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, NEG_RSP, 0, 8, 0];
        f.extend_from_slice(&selected.to_le_bytes());
        f
    }

    #[test]
    fn request_and_confirm() {
        let r = request();
        assert!(looks_like_rdp(&r));
        let f = frame(&r[TPKT..]);
        assert_eq!(f.code, 0xe0);
        assert_eq!(f.user.as_deref(), Some(&b"RdpUser"[..]));
        assert_eq!(f.requested, Some(3));
        assert_eq!(protocol_names(3), ["ssl", "nla"]);
        let c = confirm(0);
        assert!(looks_like_rdp(&c));
        let f = frame(&c[TPKT..]);
        assert_eq!((f.code, f.selected), (0xd0, Some(0)));
        assert_eq!(protocol_names(0), ["rdp"]);
        assert_eq!(protocol_names(8 | 4), ["rdstls", "nla-ext"]);
    }

    #[test]
    fn not_rdp() {
        // S7comm's connection request carries TSAP parameters, not a cookie.
        let cr = [
            3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 10,
        ];
        assert!(!looks_like_rdp(&cr));
        assert!(!looks_like_rdp(b"GET / HTTP/1.1\r\n"));
    }

    #[test]
    fn client_core_data() {
        let mut core = vec![0u8; 134];
        core[12..16].copy_from_slice(&0x0409u32.to_le_bytes());
        core[16..20].copy_from_slice(&2600u32.to_le_bytes());
        for (i, ch) in "DESKTOP-1".encode_utf16().enumerate() {
            core[20 + 2 * i..22 + 2 * i].copy_from_slice(&ch.to_le_bytes());
        }
        let mut block = vec![0x01, 0xc0];
        block.extend_from_slice(&((core.len() + 4) as u16).to_le_bytes());
        block.extend_from_slice(&core);
        let mut mcs = vec![0x02, 0xf0, 0x80, 0x7f, 0x65, 0x82, 0x01, 0x00];
        mcs.extend_from_slice(&[0u8; 20]);
        mcs.extend_from_slice(b"Duca");
        mcs.extend_from_slice(&block);
        let f = frame(&mcs);
        assert!(f.mcs);
        let c = f.client.expect("client core data");
        assert_eq!(c.name.as_deref(), Some("DESKTOP-1"));
        assert_eq!(keyboard_name(c.keyboard).as_deref(), Some("en-US"));
        assert_eq!(keyboard_name(0x0c07).as_deref(), Some("0x0c07"));
        assert_eq!(c.build, 2600);
        // Every truncation reads what is there without panicking.
        for n in 0..mcs.len() {
            let _ = frame(&mcs[..n]);
        }
        let r = request();
        for n in 0..r.len() {
            let _ = frame(r.get(TPKT..n).unwrap_or(&[]));
            let _ = looks_like_rdp(&r[..n]);
        }
    }
}
