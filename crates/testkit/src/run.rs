//! A capture in-process: frames through the packet decoder, one packet thread with
//! the given parsers registered, and the document writer; the documents come back as
//! JSON values.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use trawl_config::{Config, Rotate};
use trawl_fields::FieldRegistry;
use trawl_output::document::{DocBuilder, DocConfig};
use trawl_output::sinks::{DocOutput, DocSink};
use trawl_output::Doc;
use trawl_packet::{DecodeTables, Decoder, DecoderOptions, Packet};
use trawl_session::parsers::Classifiers;
use trawl_session::{
    define_core_fields, register_builtin, CoreSettings, InplaceWriter, MProtocols, PacketThread,
    Shared,
};

use crate::Frame;

/// What registers the parsers under test: their classifiers and fields.
pub trait Registrar: FnOnce(&mut Classifiers, &mut FieldRegistry) {}
impl<F: FnOnce(&mut Classifiers, &mut FieldRegistry)> Registrar for F {}

/// Collects the documents written.
#[derive(Default)]
struct Keep(Mutex<Vec<Doc>>);

impl DocOutput for Keep {
    fn emit(&self, doc: Doc) {
        if let Ok(mut v) = self.0.lock() {
            v.push(doc);
        }
    }
}

/// The documents `frames` make, in the order they were written (sessions still open
/// at the end are saved as capture's end saves them), with the parsers `register`
/// adds. Frames a decoder rejects are skipped, as capture skips them.
pub fn run_sessions(register: impl Registrar, frames: &[Frame]) -> Vec<Value> {
    let settings = CoreSettings::new(1);
    let mut tables = DecodeTables::new(DecoderOptions::default());
    trawl_packet::encap::register_all(&mut tables);
    let mut fields = FieldRegistry::new();
    let core = define_core_fields(&mut fields);
    let mut mps = MProtocols::new();
    register_builtin(&mut mps, &mut tables, &mut fields, &settings);
    let mut classifiers = Classifiers::new(&[]);
    register(&mut classifiers, &mut fields);
    let shared = Arc::new(Shared::new(settings, fields, core, mps, classifiers));
    let cfg = DocConfig {
        node: "test".into(),
        prefix: String::new(),
        rotate: Rotate::Daily,
        gap_packet_pos: true,
        enable_packet_len: false,
        auto_generate_id: 0,
    };
    let keep = Arc::new(Keep::default());
    let sink = DocSink::new(
        DocBuilder::new(cfg, &shared, 0),
        Arc::clone(&keep) as Arc<dyn DocOutput>,
    );
    let mut thread = PacketThread::new(
        0,
        shared,
        Box::new(sink),
        Box::new(InplaceWriter::default()),
    );
    let mut decoder = Decoder::new(Arc::new(tables));
    for f in frames {
        let p = Packet::from_bytes(&f.bytes, f.linktype, f.ts_sec, f.ts_usec);
        if let Some(p) = decoder.enqueue(p) {
            thread.process_commands();
            thread.process_packet(p);
        }
    }
    thread.process_commands();
    thread.flush_all();
    let docs = std::mem::take(&mut *keep.0.lock().expect("documents"));
    docs.iter()
        .map(|d| {
            serde_json::from_str(&d.body)
                .unwrap_or_else(|e| panic!("document is not JSON ({e}): {}", d.body))
        })
        .collect()
}

/// The one document `frames` make; panics (showing them) if they make another number.
pub fn run_session(register: impl Registrar, frames: &[Frame]) -> Value {
    let mut docs = run_sessions(register, frames);
    match docs.len() {
        1 => docs.remove(0),
        n => panic!(
            "expected one session, got {n}: {}",
            serde_json::to_string_pretty(&docs).unwrap_or_default()
        ),
    }
}

/// A config from `ini` text (a `[default]` section and any others), for registering
/// parser families that read options.
pub fn config(ini: &str) -> Config {
    Config::from_str(ini, "test.ini", "test", &[]).expect("config parses")
}

/// An empty config: every option at its default.
pub fn default_config() -> Config {
    config("[default]\n")
}
