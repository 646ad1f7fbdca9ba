//! Tunnels and encapsulations decoded in the enqueue phase (GRE, ERSPAN, VXLAN,
//! Geneve, GTP-U, MPLS, PPP, PPPoE, NSH, ...). Each registers itself into the
//! [`crate::DecodeTables`] by ethertype, IP protocol or UDP port.

use crate::DecodeTables;

/// Registers every built-in encapsulation.
pub fn register_all(_t: &mut DecodeTables) {}
