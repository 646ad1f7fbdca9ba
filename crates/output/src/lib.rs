//! Output: the session documents the capture writes (exactly Arkime's `sessions3`
//! bodies) and the sinks they go to.

pub mod document;
pub mod json;
pub mod sinks;

pub use document::{index_suffix, Doc, DocBuilder, DocConfig};
pub use json::Recorder;
pub use sinks::{DocOutput, DocRecorder, DocSink, NullOutput, TestsOutput};
