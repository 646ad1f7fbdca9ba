//! CAMEL Application Part (Arkime's camel.c, 3GPP TS 29.078): TCAP messages whose
//! application context is CAP v1 to v4. The operation code of each Invoke and
//! ReturnResult component (`tcap.opcode`, and its name as `camel.op`), and from the
//! arguments of initialDP, initialDPSMS and initialDPGPRS the called and calling
//! party numbers and the IMSI.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;
use trawl_session::{Cx, Session};

use crate::Step;

/// The CAMEL field ids.
#[derive(Clone, Copy, Debug)]
pub struct Ids {
    op: FieldId,
    calling: FieldId,
    called: FieldId,
    imsi: FieldId,
}

/// CAP's application contexts: 0.4.0.0.1.0.50.0 (v1), 0.4.0.0.1.0.50.1 (v2),
/// 0.4.0.0.1.21.3.4 (v3), 0.4.0.0.1.23.3.4 (v4), as OID content bytes.
const CONTEXTS: [[u8; 7]; 4] = [
    [0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x00],
    [0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01],
    [0x04, 0x00, 0x00, 0x01, 0x15, 0x03, 0x04],
    [0x04, 0x00, 0x00, 0x01, 0x17, 0x03, 0x04],
];

/// Whether a TCAP application context (OID content bytes) is one of CAP's.
pub fn is_context(oid: &[u8]) -> bool {
    CONTEXTS.iter().any(|c| c == oid)
}

/// The name of a CAP operation code.
pub fn op_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "initialDP",
        16 => "assistRequestInstructions",
        17 => "establishTemporaryConnection",
        18 => "disconnectForwardConnection",
        19 => "connectToResource",
        20 => "connect",
        22 => "releaseCall",
        23 => "requestReportBCSMEvent",
        24 => "eventReportBCSM",
        27 => "collectInformation",
        31 => "continue",
        32 => "initiateCallAttempt",
        33 => "resetTimer",
        34 => "furnishChargingInformation",
        35 => "applyCharging",
        36 => "applyChargingReport",
        41 => "callGap",
        44 => "callInformationReport",
        45 => "callInformationRequest",
        46 => "sendChargingInformation",
        47 => "playAnnouncement",
        48 => "promptAndCollectUserInformation",
        49 => "specializedResourceReport",
        53 => "cancel",
        55 => "activityTest",
        60 => "initialDPSMS",
        61 => "furnishChargingInformationSMS",
        62 => "connectSMS",
        63 => "requestReportSMSEvent",
        64 => "eventReportSMS",
        65 => "continueSMS",
        66 => "releaseSMS",
        67 => "resetTimerSMS",
        70 => "activityTestGPRS",
        71 => "applyChargingGPRS",
        72 => "applyChargingReportGPRS",
        73 => "cancelGPRS",
        74 => "connectGPRS",
        75 => "continueGPRS",
        76 => "entityReleasedGPRS",
        77 => "furnishChargingInformationGPRS",
        78 => "initialDPGPRS",
        79 => "releaseGPRS",
        80 => "eventReportGPRS",
        81 => "requestReportGPRSEvent",
        82 => "resetTimerGPRS",
        83 => "sendChargingInformationGPRS",
        86 => "dFCWithArgument",
        88 => "continueWithArgument",
        90 => "disconnectLeg",
        93 => "moveLeg",
        95 => "splitLeg",
        96 => "entityReleased",
        97 => "playTone",
        _ => return None,
    })
}

/// One value a message gives, in the order Arkime adds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An operation code.
    Op(u32),
    /// calledPartyNumber's digits.
    Called(String),
    /// callingPartyNumber's digits.
    Calling(String),
    /// The IMSI's digits.
    Imsi(String),
}

/// Arkime's number buffer: 32 bytes, its NUL included.
const NUM_BUF: usize = 32;

/// TBCD digits (low nibble first; 0xa is '*', 0xb '#', 0xf ends, 0xc to 0xe are
/// dropped), and whether they fit Arkime's buffer with its NUL.
fn tbcd(d: &[u8]) -> (String, bool) {
    let mut s = String::new();
    'bytes: for &b in d {
        if s.len() >= NUM_BUF {
            break;
        }
        for n in [b & 0x0f, b >> 4] {
            match n {
                0..=9 => s.push(char::from(b'0' + n)),
                0x0a => s.push('*'),
                0x0b => s.push('#'),
                0x0f => break 'bytes,
                _ => {}
            }
        }
    }
    let fits = s.len() < NUM_BUF;
    (s, fits)
}

/// An ISUP-format party number (Q.763): two header bytes, then TBCD digits, the
/// last high nibble a filler when byte 0's odd indicator (0x80) is set.
fn isup_number(v: &[u8]) -> Option<String> {
    if v.len() <= 2 {
        return None;
    }
    let (mut s, fits) = tbcd(&v[2..]);
    let digits = (v.len() - 2) * 2 - usize::from(v[0] & 0x80 != 0);
    if digits < NUM_BUF {
        s.truncate(digits);
    }
    (fits && !s.is_empty()).then_some(s)
}

/// A BER length after its first byte `l`: short form, or long form of 1 to
/// `max_bytes` bytes (read as far as there are bytes). None for a long form of 0 or
/// more bytes than that.
fn ber_len(c: &mut Cursor, l: u8, max_bytes: u8) -> Option<u32> {
    if l & 0x80 == 0 {
        return Some(u32::from(l));
    }
    let n = l & 0x7f;
    if n == 0 || n > max_bytes {
        return None;
    }
    let mut len = 0u32;
    for _ in 0..n {
        if c.remaining() == 0 {
            break;
        }
        len = (len << 8) | u32::from(c.u8());
    }
    Some(len)
}

/// The numbers among initialDP's (or initialDPSMS's, initialDPGPRS's) arguments,
/// walked as a flat list of tagged values.
fn cap_params(d: &[u8], out: &mut Vec<Value>) {
    let mut c = Cursor::new(d);
    while c.remaining() >= 2 {
        let mut b = c.u8();
        let mut tag = u32::from(b);
        if b & 0x1f == 0x1f {
            loop {
                if c.is_error() || c.remaining() == 0 {
                    return;
                }
                b = c.u8();
                tag = (tag << 8) | u32::from(b);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        // 0 when the tag used up the bytes (the walk then ends below).
        let l = c.u8();
        let len = if l & 0x80 != 0 {
            let n = l & 0x7f;
            if n > 4 {
                break;
            }
            let mut len = 0u32;
            for _ in 0..n {
                if c.remaining() == 0 {
                    break;
                }
                len = (len << 8) | u32::from(c.u8());
            }
            len
        } else {
            u32::from(l)
        };
        // Arkime keeps this length in a C int: four bytes of 0x80 or more are negative,
        // pass its bounds check and step its reader backwards, which can loop for
        // ever. The walk ends here instead.
        if i32::try_from(len).is_err() {
            break;
        }
        let len = len as usize;
        if c.is_error() || len > c.remaining() {
            break;
        }
        let v = c.rest().get(..len).unwrap_or(&[]);
        match tag {
            0x82 | 0xa2 => out.extend(isup_number(v).map(Value::Called)),
            0x83 | 0xa3 => out.extend(isup_number(v).map(Value::Calling)),
            0x8a | 0xaa | 0x9f32 if (3..=8).contains(&len) => {
                let (s, _) = tbcd(v);
                if !s.is_empty() {
                    out.push(Value::Imsi(s));
                }
            }
            _ => {}
        }
        c.skip(len);
    }
}

/// The values of one Invoke (0xa1) or ReturnResult (0xa2) component: the first
/// INTEGER is the invoke id, each later one an operation code, and a SEQUENCE after
/// initialDP's (or the SMS or GPRS variants') code holds its arguments.
fn component(mut c: Cursor, out: &mut Vec<Value>) {
    let mut current: Option<u32> = None;
    let mut invoke_id = false;
    while c.remaining() >= 3 {
        let tag = c.u8();
        let l = c.u8();
        let Some(len) = ber_len(&mut c, l, 3) else {
            break;
        };
        let len = len as usize;
        if tag == 0x02 && (1..=2).contains(&len) && !invoke_id {
            invoke_id = true;
            c.skip(len);
        } else if tag == 0x02 && (1..=2).contains(&len) {
            let mut op = 0u32;
            for _ in 0..len {
                if c.remaining() == 0 {
                    break;
                }
                op = (op << 8) | u32::from(c.u8());
            }
            out.push(Value::Op(op));
            current = Some(op);
        } else if tag == 0x30 && len > 0 {
            if let Some(args) = c.take(len) {
                if matches!(current, Some(0 | 60 | 78)) {
                    cap_params(args, out);
                }
            }
        } else {
            c.skip(len);
        }
    }
}

/// Reads a TCAP message of a CAP context: None when Arkime gives up on the session
/// (a message under 2 bytes, a bad long-form length before the component portion),
/// else the values of the components, if any.
pub fn values(d: &[u8]) -> Option<Vec<Value>> {
    if d.len() < 2 {
        return None;
    }
    let mut out = Vec::new();
    let mut c = Cursor::new(d);
    c.skip(1);
    let l = c.u8();
    if l & 0x80 != 0 {
        c.skip(usize::from(l & 0x7f));
    }
    while c.remaining() >= 2 {
        let tag = c.u8();
        let l = c.u8();
        let len = ber_len(&mut c, l, 3)? as usize;
        if tag == 0x6c {
            let n = len.min(c.remaining());
            let mut comps = c.sub(n);
            while comps.remaining() >= 4 {
                let tag = comps.u8();
                let l = comps.u8();
                let Some(len) = ber_len(&mut comps, l, 3) else {
                    break;
                };
                let len = len as usize;
                if tag == 0xa1 || tag == 0xa2 {
                    let n = len.min(comps.remaining());
                    component(comps.sub(n), &mut out);
                    continue;
                }
                comps.skip(len);
            }
            return Some(out);
        }
        c.skip(len);
    }
    Some(out)
}

/// Parses a TCAP message of a CAP context into the session.
pub(crate) fn parse(cx: &mut Cx, s: &mut Session, ids: &crate::Ids, d: &[u8]) -> Step {
    let Some(vals) = values(d) else {
        return Step::Unregister;
    };
    let reg = &cx.shared.fields;
    let mut found = false;
    for v in &vals {
        match v {
            Value::Op(op) => {
                found = true;
                s.fields.int_add(reg, ids.opcode, *op);
                if let Some(n) = op_name(*op) {
                    s.fields.string_add(reg, ids.camel.op, n);
                }
            }
            Value::Called(n) => {
                s.fields.string_add(reg, ids.camel.called, n);
            }
            Value::Calling(n) => {
                s.fields.string_add(reg, ids.camel.calling, n);
            }
            Value::Imsi(n) => {
                s.fields.string_add(reg, ids.camel.imsi, n);
            }
        }
    }
    if found {
        cx.add_protocol(s, "camel");
    }
    Step::Keep
}

const CAMEL: FieldSpec = FieldSpec::new("camel", FieldType::StrGHash).flags(Flags::CNT);

/// The CAMEL fields, in Arkime's order.
pub const FIELDS: [FieldSpec; 4] = [
    CAMEL
        .named("camel.op", "camel.op", Kind::LoTermField)
        .text("Operation", "CAP/CAMEL Operation Name"),
    CAMEL
        .named("camel.calling", "camel.calling", Kind::TermField)
        .text("Calling", "CAP Calling Party Number"),
    CAMEL
        .named("camel.called", "camel.called", Kind::TermField)
        .text("Called", "CAP Called Party Number"),
    CAMEL
        .named("camel.imsi", "camel.imsi", Kind::TermField)
        .text("IMSI", "CAP IMSI"),
];

/// Defines the CAMEL fields.
pub fn define(f: &mut FieldRegistry) -> Ids {
    let [op, calling, called, imsi] = f.define_all(&FIELDS);
    Ids {
        op,
        calling,
        called,
        imsi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Begin (no dialogue) with one Invoke: invoke id 1, initialDP (0), and its
    /// arguments: serviceKey, calledPartyNumber (odd, 9 digits 555555555),
    /// callingPartyNumber (even, 4 digits 1234), iMSI (long form [50]).
    fn begin() -> Vec<u8> {
        let args: Vec<u8> = [
            &[0x80, 0x01, 0x11][..],
            &[0x82, 0x07, 0x83, 0x10, 0x55, 0x55, 0x55, 0x55, 0xf5],
            &[0x83, 0x04, 0x03, 0x13, 0x21, 0x43],
            &[
                0x9f, 0x32, 0x08, 0x21, 0x43, 0x65, 0x87, 0x09, 0x21, 0x43, 0xf5,
            ],
        ]
        .concat();
        let mut inv = vec![0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x30, args.len() as u8];
        inv.extend_from_slice(&args);
        let mut comp = vec![0xa1, inv.len() as u8];
        comp.extend_from_slice(&inv);
        let mut cp = vec![0x6c, comp.len() as u8];
        cp.extend_from_slice(&comp);
        let mut m = vec![0x62, (cp.len() + 6) as u8, 0x48, 0x04, 1, 2, 3, 4];
        m.extend_from_slice(&cp);
        m
    }

    #[test]
    fn initial_dp() {
        let m = begin();
        assert_eq!(
            values(&m),
            Some(vec![
                Value::Op(0),
                Value::Called("555555555".into()),
                Value::Calling("1234".into()),
                Value::Imsi("123456789012345".into()),
            ])
        );
        assert_eq!(values(&m[..1]), None);
        for k in 0..m.len() {
            let _ = values(&m[..k]);
            for v in [0, 0x1f, 0x80, 0x83, 0x84, 0xff] {
                let mut x = m.clone();
                x[k] = v;
                let _ = values(&x);
            }
        }
    }

    #[test]
    fn operation_codes_and_give_up() {
        // Continue with a ReturnResult (invoke id 5, then code 24) and an Invoke
        // (invoke id 6, then connect, 20, as a 2-byte INTEGER).
        let m = [
            0x65, 0x13, 0x6c, 0x11, 0xa2, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x18, 0xa1, 0x07,
            0x02, 0x01, 0x06, 0x02, 0x02, 0x00, 0x14,
        ];
        assert_eq!(values(&m), Some(vec![Value::Op(24), Value::Op(20)]));
        assert_eq!(op_name(24), Some("eventReportBCSM"));
        assert_eq!(op_name(21), None);
        // A long form of 4 bytes before the component portion: Arkime gives up.
        assert_eq!(values(&[0x62, 0x00, 0x48, 0x84, 0, 0, 0, 1, 0]), None);
        // A portion with no components found.
        assert_eq!(values(&[0x64, 0x00, 0x49, 0x01, 0x07]), Some(vec![]));
    }

    #[test]
    fn numbers() {
        // Filler: the odd indicator cuts the last nibble, an F ends the digits.
        assert_eq!(isup_number(&[0x80, 0x10, 0x21, 0x03]), Some("123".into()));
        assert_eq!(isup_number(&[0x00, 0x10, 0x21, 0xf3]), Some("123".into()));
        assert_eq!(isup_number(&[0x00, 0x10, 0xba]), Some("*#".into()));
        assert_eq!(isup_number(&[0x00, 0x10]), None);
        assert_eq!(isup_number(&[0x00, 0x10, 0xff]), None);
        // 31 digits fit Arkime's buffer, 32 do not.
        let mut v = vec![0x80, 0x10];
        v.extend_from_slice(&[0x11; 16]);
        assert_eq!(isup_number(&v).map(|s| s.len()), None);
        v[17] = 0xf1;
        assert_eq!(isup_number(&v).map(|s| s.len()), Some(31));
        assert!(is_context(&CONTEXTS[3]));
        assert!(!is_context(&[0x04, 0x00, 0x00, 0x01, 0x00, 0x01, 0x03]));
    }
}
