//! TCAP (the TCAP half of Arkime's tcap.c, ITU-T Q.773): the application context of
//! a Begin, End or Continue, which picks the parser of the components ([`crate::camel`]
//! for CAMEL's contexts), and the `tcap.opcode` field those parsers fill.

use trawl_fields::{FieldId, FieldRegistry, FieldSpec, FieldType, Flags, Kind};
use trawl_parser_common::cursor::Cursor;

/// Begin, End and Continue.
const TRANSACTIONS: [u8; 3] = [0x62, 0x64, 0x65];
/// The dialogue portion's tag.
const DIALOGUE: u8 = 0x6b;
/// The component portion's tag.
const COMPONENTS: u8 = 0x6c;

/// The application context of a TCAP message: the first OBJECT IDENTIFIER in its
/// dialogue portion (before the component portion) that is 4 to 19 bytes long and
/// starts 04 00 00 01 (ETSI/3GPP mobile domain: CAMEL, MAP, INAP), its content bytes.
///
/// As Arkime does, the transaction portion's own length is skipped, not checked, and
/// the dialogue portion is scanned byte by byte for an OID tag rather than decoded.
pub fn app_context(d: &[u8]) -> Option<&[u8]> {
    let mut c = Cursor::new(d);
    if !TRANSACTIONS.contains(&c.u8()) {
        return None;
    }
    let l = c.u8();
    if l & 0x80 != 0 {
        c.skip(usize::from(l & 0x7f));
    }
    while c.remaining() >= 2 {
        let tag = c.u8();
        let l = c.u8();
        let mut len = u32::from(l);
        if l & 0x80 != 0 {
            let n = l & 0x7f;
            if n > 4 {
                return None;
            }
            len = 0;
            for _ in 0..n {
                if c.remaining() == 0 {
                    break;
                }
                len = (len << 8) | u32::from(c.u8());
            }
        }
        let len = usize::try_from(len).ok()?;
        if c.is_error() || len == 0 || len > c.remaining() {
            return None;
        }
        if tag == DIALOGUE {
            let dlg = c.rest().get(..len)?;
            if let Some(oid) = scan_oid(dlg) {
                return Some(oid);
            }
        }
        if tag == COMPONENTS {
            break;
        }
        c.skip(len);
    }
    None
}

/// The first mobile-domain OID of a dialogue portion's bytes.
fn scan_oid(dlg: &[u8]) -> Option<&[u8]> {
    (0..dlg.len().saturating_sub(1)).find_map(|i| {
        if dlg[i] != 0x06 {
            return None;
        }
        let n = usize::from(dlg[i + 1]);
        if !(4..20).contains(&n) {
            return None;
        }
        let oid = dlg.get(i + 2..i + 2 + n)?;
        oid.starts_with(&[0x04, 0x00, 0x00, 0x01]).then_some(oid)
    })
}

/// The TCAP field, Arkime's `tcap.opcode`.
pub const FIELDS: [FieldSpec; 1] = [FieldSpec::new("tcap", FieldType::IntGHash)
    .flags(Flags::CNT)
    .named("tcap.opcode", "tcap.opcode", Kind::Integer)
    .text("Op Code", "TCAP Operation Code")];

/// Defines the TCAP field.
pub fn define(f: &mut FieldRegistry) -> FieldId {
    let [opcode] = f.define_all(&FIELDS);
    opcode
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Begin with an originating transaction id, a dialogue portion (dialogue-as-id
    /// OID, then an AARQ with CAP v2's context) and a component portion.
    const BEGIN: &[u8] = &[
        0x62, 0x28, // Begin
        0x48, 0x04, 0xab, 0xcd, 0xef, 0x12, // otid
        0x6b, 0x1a, // dialogue portion
        0x28, 0x18, 0x06, 0x07, 0x00, 0x11, 0x86, 0x05, 0x01, 0x01,
        0x01, // EXTERNAL, dialogue-as-id
        0xa0, 0x0d, 0x60, 0x0b, 0xa1, 0x09, 0x06, 0x07, // AARQ, application-context-name
        0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01, // CAP v2
        0x6c, 0x04, 0xa1, 0x02, 0x02, 0x00, // components
    ];

    #[test]
    fn application_context() {
        assert_eq!(
            app_context(BEGIN),
            Some(&[0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01][..])
        );
        // A component portion first: nothing looked at after it.
        let mut x = vec![0x62, 0x00, 0x6c, 0x02, 0x02, 0x00];
        x.extend_from_slice(&BEGIN[8..36]);
        assert_eq!(app_context(&x), None);
        // Abort (0x67) is not read.
        let mut x = BEGIN.to_vec();
        x[0] = 0x67;
        assert_eq!(app_context(&x), None);
        // A zero-length element ends the search.
        assert_eq!(app_context(&[0x62, 0x04, 0x48, 0x00, 0x6b, 0x00]), None);
        // A long-form length of the transaction portion is skipped.
        let mut x = vec![0x62, 0x81, 0x28];
        x.extend_from_slice(&BEGIN[2..]);
        assert!(app_context(&x).is_some());
        for k in 0..BEGIN.len() {
            let _ = app_context(&BEGIN[..k]);
            for v in [0, 0x06, 0x80, 0x84, 0xff] {
                let mut x = BEGIN.to_vec();
                x[k] = v;
                let _ = app_context(&x);
            }
        }
    }
}
