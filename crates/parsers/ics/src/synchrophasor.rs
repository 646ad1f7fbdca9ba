//! IEEE C37.118.2 synchrophasor (Arkime's synchrophasor.c): frame types and stream id
//! codes of every frame; command codes; from configuration frames the number of PMUs,
//! their station names and the data rate.

use std::ops::ControlFlow;

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_parser_common::frame::{for_each_frame, Frame as Run};
use trawl_session::parsers::{register_parser, Classifiers, Parsed, Parser};
use trawl_session::{Cx, Dir, Session};

const SYNC: u8 = 0xaa;
/// SYNC(2) + FRAMESIZE(2) + IDCODE(2) + SOC(4) + FRACSEC(4) + CHK(2).
const MIN_LEN: usize = 16;
/// Most bytes buffered per direction on TCP.
const MAX_BUF: usize = 8192;
const FRAME_TYPES: [&str; 6] = ["data", "header", "cfg1", "cfg2", "command", "cfg3"];

#[derive(Clone, Copy, Debug)]
struct Ids {
    frame_type: FieldId,
    idcode: FieldId,
    cmd: FieldId,
    station: FieldId,
    data_rate: FieldId,
    num_pmu: FieldId,
}

/// What a frame holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Frame type name.
    pub frame_type: Option<&'static str>,
    /// Stream id code.
    pub idcode: u16,
    /// Command code (command frames).
    pub cmd: Option<u16>,
    /// Number of PMUs (configuration frames).
    pub num_pmu: Option<u16>,
    /// Station names.
    pub stations: Vec<&'a [u8]>,
    /// Data rate (configuration frames).
    pub data_rate: Option<u16>,
}

/// Reads a frame at the start of `d` (which may hold more bytes after it).
pub fn frame(d: &[u8]) -> Option<Frame<'_>> {
    if d.len() < MIN_LEN || d[0] != SYNC {
        return None;
    }
    let ty = usize::from((d[1] >> 4) & 7);
    let size = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if size < MIN_LEN || size > d.len() {
        return None;
    }
    let mut f = Frame {
        frame_type: FRAME_TYPES.get(ty).copied(),
        idcode: u16::from_be_bytes([d[4], d[5]]),
        ..Frame::default()
    };
    let mut c = Cursor::new(&d[14..]);
    let payload = size - MIN_LEN;
    if payload == 0 || c.remaining() < payload + 2 {
        return Some(f);
    }
    match ty {
        4 if payload >= 2 => f.cmd = Some(c.be16()),
        2 | 3 | 5 => {
            let cfg3 = ty == 5;
            if cfg3 && payload >= 6 {
                c.skip(2);
            }
            if c.remaining() < 6 {
                return Some(f);
            }
            c.skip(4);
            let n = c.be16();
            f.num_pmu = Some(n);
            for _ in 0..n {
                if c.is_error() {
                    break;
                }
                if cfg3 {
                    if c.remaining() == 0 {
                        break;
                    }
                    let l = usize::from(c.u8());
                    if c.remaining() < l {
                        break;
                    }
                    f.stations.push(c.take_or_empty(l));
                } else {
                    if c.remaining() < 16 {
                        break;
                    }
                    let name = c.take_or_empty(16);
                    let end = name.iter().rposition(|&x| x != b' ').map_or(0, |p| p + 1);
                    if end > 0 {
                        f.stations.push(&name[..end]);
                    }
                }
                c.skip(2);
                if cfg3 {
                    c.skip(16);
                }
                c.skip(2);
                if c.remaining() < 6 {
                    break;
                }
                let (ph, an, dg) = (
                    usize::from(c.be16()),
                    usize::from(c.be16()),
                    usize::from(c.be16()),
                );
                if cfg3 {
                    for _ in 0..ph + an + 16 * dg {
                        if c.is_error() {
                            break;
                        }
                        let l = usize::from(c.u8());
                        c.skip(l);
                    }
                    c.skip(12 * ph + 8 * an + 4 * dg);
                    c.skip(21);
                } else {
                    c.skip(16 * ph + 16 * an + 256 * dg);
                    c.skip(4 * ph + 4 * an + 4 * dg);
                }
                c.skip(4);
            }
            if !c.is_error() && c.remaining() >= 2 {
                f.data_rate = Some(c.be16());
            }
        }
        _ => {}
    }
    Some(f)
}

/// Where the run at the front of a TCP stream's bytes ends, as Arkime walks its
/// buffer: nothing happens before 16 bytes; bytes before a SYNC byte are a run of
/// their own (none: not synchrophasor); a frame size below 16 gives up its SYNC byte
/// only; one past the buffer is not synchrophasor. Runs that are not frames are
/// dropped (see [`is_frame`]).
pub fn framing(b: &[u8]) -> Run {
    if b.len() < MIN_LEN {
        return Run::Partial { needed: MIN_LEN };
    }
    if b[0] != SYNC {
        return match b.iter().skip(1).position(|&x| x == SYNC) {
            Some(p) => Run::Whole(p + 1),
            None => Run::Bad,
        };
    }
    let size = usize::from(u16::from_be_bytes([b[2], b[3]]));
    if size < MIN_LEN {
        Run::Whole(1)
    } else if size > MAX_BUF {
        Run::Bad
    } else if size > b.len() {
        Run::Partial { needed: size }
    } else {
        Run::Whole(size)
    }
}

/// Whether a run [`framing`] delimits is a frame (not skipped bytes).
fn is_frame(run: &[u8]) -> bool {
    run.len() >= MIN_LEN && run[0] == SYNC
}

fn add(cx: &mut Cx, s: &mut Session, ids: &Ids, f: &Frame<'_>) {
    let reg = &cx.shared.fields;
    if let Some(t) = f.frame_type {
        s.fields.string_add(reg, ids.frame_type, t);
    }
    s.fields.int_add(reg, ids.idcode, u32::from(f.idcode));
    if let Some(c) = f.cmd {
        s.fields.int_add(reg, ids.cmd, u32::from(c));
    }
    if let Some(n) = f.num_pmu {
        s.fields.int_add(reg, ids.num_pmu, u32::from(n));
    }
    for st in &f.stations {
        s.fields
            .string_add(reg, ids.station, &String::from_utf8_lossy(st));
    }
    if let Some(r) = f.data_rate {
        s.fields.int_add(reg, ids.data_rate, u32::from(r));
    }
}

#[derive(Debug)]
struct Synchrophasor {
    ids: Ids,
    tcp: bool,
}

impl Parser for Synchrophasor {
    fn name(&self) -> &'static str {
        "synchrophasor"
    }

    fn parse(&mut self, cx: &mut Cx, s: &mut Session, data: &[u8], _dir: Dir) -> Parsed {
        if !self.tcp {
            if data.len() < MIN_LEN || data[0] != SYNC {
                return Parsed::Skip;
            }
            if let Some(f) = frame(data) {
                add(cx, s, &self.ids, &f);
            }
            return Parsed::Done(0);
        }
        // Arkime's parser buffer holds 8192 bytes: once the bytes held and a new
        // packet's do not fit (the bytes given here), it tags and gives up.
        if data.len() > MAX_BUF {
            cx.add_tag(s, "synchrophasor:frame-too-long");
            return Parsed::Skip;
        }
        for_each_frame(data, framing, |run| {
            if is_frame(run) {
                if let Some(f) = frame(run) {
                    add(cx, s, &self.ids, &f);
                }
            }
            ControlFlow::Continue(())
        })
    }

    fn max_held(&self) -> usize {
        MAX_BUF
    }
}

fn looks_right(d: &[u8]) -> bool {
    d.len() >= MIN_LEN
        && (1..=2).contains(&(d[1] & 0x0f))
        && (d[1] >> 4) & 7 <= 5
        && usize::from(u16::from_be_bytes([d[2], d[3]])) >= MIN_LEN
}

fn classify(cx: &mut Cx, s: &mut Session, d: &[u8], uw: u32, ids: Ids) {
    let tcp = uw == 1;
    if !looks_right(d) || cx.has_protocol(s, "synchrophasor") {
        return;
    }
    if !tcp && usize::from(u16::from_be_bytes([d[2], d[3]])) > d.len() {
        return;
    }
    cx.add_protocol(s, "synchrophasor");
    register_parser(s, Box::new(Synchrophasor { ids, tcp }));
}

const STR: FieldSpec = FieldSpec::new("synchrophasor", FieldType::StrGHash).flags(Flags::CNT);
const INT: FieldSpec = FieldSpec::new("synchrophasor", FieldType::IntGHash).flags(Flags::CNT);

/// The synchrophasor fields, in the order of [`Ids`].
pub const FIELDS: [FieldSpec; 6] = [
    STR.named(
        "synchrophasor.frameType",
        "synchrophasor.frameType",
        Kind::LoTermField,
    )
    .text("Frame Type", "Synchrophasor frame types"),
    INT.named(
        "synchrophasor.idcode",
        "synchrophasor.idcode",
        Kind::Integer,
    )
    .text("ID Code", "Synchrophasor data stream ID codes"),
    INT.named("synchrophasor.cmd", "synchrophasor.cmd", Kind::Integer)
        .text("Command", "Synchrophasor command codes"),
    STR.named(
        "synchrophasor.station",
        "synchrophasor.station",
        Kind::TermField,
    )
    .text("Station Name", "Synchrophasor PMU station names"),
    INT.named(
        "synchrophasor.dataRate",
        "synchrophasor.dataRate",
        Kind::Integer,
    )
    .text("Data Rate", "Synchrophasor data rate (frames/sec)"),
    INT.named(
        "synchrophasor.numPMU",
        "synchrophasor.numPMU",
        Kind::Integer,
    )
    .text("Number of PMUs", "Number of PMUs in synchrophasor config"),
];

/// Registers the synchrophasor fields and classifiers.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    let [frame_type, idcode, cmd, station, data_rate, num_pmu] = f.define_all(&FIELDS);
    let ids = Ids {
        frame_type,
        idcode,
        cmd,
        station,
        data_rate,
        num_pmu,
    };
    let classifier =
        move |cx: &mut Cx, s: &mut Session, d: &[u8], _: Dir, uw: u32| classify(cx, s, d, uw, ids);
    c.register_tcp("synchrophasor", 1, 0, b"\xaa", classifier);
    c.register_udp("synchrophasor", 0, 0, b"\xaa", classifier);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_size(mut f: Vec<u8>) -> Vec<u8> {
        let n = f.len() as u16;
        f[2..4].copy_from_slice(&n.to_be_bytes());
        f
    }

    #[test]
    fn command_and_cfg2() {
        // Command frame: cmd 2 (turn on transmission), idcode 100.
        let cmd = with_size(vec![
            0xaa, 0x41, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xab, 0xcd,
        ]);
        let f = frame(&cmd).unwrap();
        assert_eq!(
            (f.frame_type, f.idcode, f.cmd),
            (Some("command"), 100, Some(2))
        );
        // CFG-2 with one PMU "Alpha" (no channels), data rate 30.
        let mut c = vec![0xaa, 0x31, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0];
        c.extend_from_slice(&[0, 0, 0, 1]); // time base
        c.extend_from_slice(&1u16.to_be_bytes());
        c.extend_from_slice(b"Alpha           ");
        c.extend_from_slice(&[0, 100, 0, 0, 0, 0, 0, 0, 0, 0]); // idcode, format, counts
        c.extend_from_slice(&[0, 0, 0, 60]); // nominal frequency + cfgcnt
        c.extend_from_slice(&30u16.to_be_bytes());
        c.extend_from_slice(&[0, 0]); // CHK
        let c = with_size(c);
        let f = frame(&c).unwrap();
        assert_eq!(f.num_pmu, Some(1));
        assert_eq!(f.stations, vec![&b"Alpha"[..]]);
        assert_eq!(f.data_rate, Some(30));
        for n in 0..c.len() {
            let _ = frame(&c[..n]);
        }
        // TCP runs: the frame, noise up to a SYNC byte, a bad size's SYNC byte.
        assert_eq!(framing(&c), Run::Whole(c.len()));
        assert_eq!(framing(&c[..15]), Run::Partial { needed: 16 });
        assert_eq!(framing(&c[..16]), Run::Partial { needed: c.len() });
        let mut noisy = b"noise".to_vec();
        noisy.extend_from_slice(&c);
        assert_eq!(framing(&noisy), Run::Whole(5));
        assert!(!is_frame(&noisy[..5]));
        assert_eq!(framing(&[0u8; 16]), Run::Bad);
        let mut small = c.clone();
        small[2..4].copy_from_slice(&15u16.to_be_bytes());
        assert_eq!(framing(&small), Run::Whole(1));
        assert!(!is_frame(&small[..1]));
        let mut big = c.clone();
        big[2..4].copy_from_slice(&8193u16.to_be_bytes());
        assert_eq!(framing(&big), Run::Bad);
    }
}
