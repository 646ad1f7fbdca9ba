//! Arkime's regression-suite plugin (`test.so` in its tests/config.test.ini): for
//! sessions whose first address is 10.0.0.1 it adds the `test.ip`, `test.number` and
//! `test.string` fields. Other plugins see those fields (zeek intel matches `test.ip`
//! against its subnets), so a trawl run with the suite's config needs it too.

use std::net::{IpAddr, Ipv4Addr};

use trawl_fields::{FieldId, FieldRegistry, FieldType};
use trawl_session::{Plugin, Session, Shared};

/// The plugin with the ids of its three fields.
pub struct TestPlugin {
    number: FieldId,
    ip: FieldId,
    string: FieldId,
}

impl TestPlugin {
    /// Defines the plugin's fields (group `test`), as the suite's plugin does.
    pub fn new(f: &mut FieldRegistry) -> Self {
        let number = f.define(
            "test",
            "integer",
            "test.number",
            "Test Number",
            "test.number",
            "Test Number",
            FieldType::IntHash,
            0,
        );
        let ip = f.define(
            "test",
            "ip",
            "test.ip",
            "Test Ip",
            "test.ip",
            "Test IP",
            FieldType::IpGHash,
            0,
        );
        let string = f.define(
            "test",
            "textfield",
            "test.string",
            "Test String",
            "test.string.snow",
            "Test String",
            FieldType::StrHash,
            0,
        );
        TestPlugin { number, ip, string }
    }
}

/// The low 32 bits of a v4-mapped address slot, as the C plugin reads them (the four
/// address bytes in memory order, read as a native little-endian word).
fn low_word(a: &[u8; 16]) -> u32 {
    u32::from_le_bytes([a[12], a[13], a[14], a[15]])
}

impl Plugin for TestPlugin {
    fn name(&self) -> &'static str {
        "test"
    }

    fn save(&self, shared: &Shared, s: &mut Session, _final: bool) {
        if s.addr1[12..16] != [10, 0, 0, 1] {
            return;
        }
        let (a1, a2) = (low_word(&s.addr1), low_word(&s.addr2));
        let reg = &shared.fields;
        s.fields
            .ip_add(reg, self.ip, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        s.fields.int_add(reg, self.number, a2);
        // The C plugin prints the words with %d, so they come out signed.
        let text = format!("{}:{},{}:{}", a1 as i32, s.port1, a2 as i32, s.port2);
        s.fields.string_add(reg, self.string, &text);
    }
}
