//! Readers shared by several parser families, with the semantics of Arkime's helpers
//! so that parsers built on them behave as Arkime's do on odd input.

pub mod base64;
pub mod ber;
pub mod cursor;
pub mod frame;
pub mod magic;
pub mod ntlm;
pub mod order;
pub mod text;
pub mod tpkt;
pub mod value;
