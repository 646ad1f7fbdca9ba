//! BPF filters compiled by libpcap (the same compiler Arkime uses), one program per
//! link type, compiled when a link type is first seen.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::PacketFilter;

/// A filter expression that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("BPF '{expr}' does not compile: {message}")]
pub struct BpfError {
    /// The expression.
    pub expr: String,
    /// libpcap's message.
    pub message: String,
}

/// A BPF expression, compiled per link type on first use.
pub struct BpfFilter {
    expr: String,
    programs: Mutex<HashMap<u32, Option<pcap::BpfProgram>>>,
}

fn compile(expr: &str, linktype: u32) -> Result<pcap::BpfProgram, BpfError> {
    let err = |e: pcap::Error| BpfError {
        expr: expr.to_string(),
        message: e.to_string(),
    };
    let cap = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(err)?;
    cap.compile(expr, true).map_err(err)
}

impl BpfFilter {
    /// Checks that `expr` compiles (for Ethernet) and keeps it.
    pub fn new(expr: &str) -> Result<Self, BpfError> {
        let prog = compile(expr, 1)?;
        let mut programs = HashMap::new();
        programs.insert(1, Some(prog));
        Ok(BpfFilter {
            expr: expr.to_string(),
            programs: Mutex::new(programs),
        })
    }
}

impl PacketFilter for BpfFilter {
    fn matches(&self, linktype: u32, bytes: &[u8]) -> bool {
        let Ok(mut progs) = self.programs.lock() else {
            return false;
        };
        let prog = progs
            .entry(linktype)
            .or_insert_with(|| compile(&self.expr, linktype).ok());
        prog.as_ref().is_some_and(|p| p.filter(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp_frame(sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[
            0x45, 0, 0, 29, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0, 9, 0, 0, 0x41]);
        f
    }

    #[test]
    fn matches_ports_on_ethernet_and_raw_ip() {
        let f = BpfFilter::new("port 12345").unwrap();
        assert!(f.matches(1, &udp_frame(12345, 53)));
        assert!(f.matches(1, &udp_frame(53, 12345)));
        assert!(!f.matches(1, &udp_frame(53, 54)));
        let raw = &udp_frame(12345, 1)[14..];
        assert!(f.matches(228, raw), "compiled again for raw IPv4");
        assert!(!f.matches(1, &[]));
    }
}
