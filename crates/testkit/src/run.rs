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
use trawl_packet::{DecodeTables, Decoder, DecoderOptions, Packet, PacketMeta};
use trawl_session::parsers::Classifiers;
use trawl_session::{
    define_core_fields, register_builtin, CoreSettings, InplaceWriter, MProtocols, PacketThread,
    SessionSink, Shared,
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

/// A decoder and one packet thread, set up as capture sets them up (every
/// encapsulation registered, the built-in mprotocols, the core fields), for tests that
/// feed packets one at a time and look at the thread, the decoder or the sessions.
pub struct Harness {
    /// The enqueue phase.
    pub decoder: Decoder,
    /// The packet thread.
    pub thread: PacketThread,
}

impl Harness {
    /// A harness with the parsers `register` adds, saving sessions into the sink `sink`
    /// makes.
    pub fn new(
        settings: CoreSettings,
        register: impl Registrar,
        sink: impl FnOnce(&Shared) -> Box<dyn SessionSink>,
    ) -> Harness {
        Harness::with(settings, &[], register, |s| s, sink)
    }

    /// [`Harness::new`] with `disabled` as `disableParsers`, and `finish` to change the
    /// shared data (hooks, lookups) before the thread gets it.
    pub fn with(
        settings: CoreSettings,
        disabled: &[String],
        register: impl Registrar,
        finish: impl FnOnce(Shared) -> Shared,
        sink: impl FnOnce(&Shared) -> Box<dyn SessionSink>,
    ) -> Harness {
        let mut tables = DecodeTables::new(DecoderOptions::default());
        trawl_packet::encap::register_all(&mut tables);
        let mut fields = FieldRegistry::new();
        let core = define_core_fields(&mut fields);
        let mut mps = MProtocols::new();
        register_builtin(&mut mps, &mut tables, &mut fields, &settings);
        let mut classifiers = Classifiers::new(disabled);
        register(&mut classifiers, &mut fields);
        let shared = Arc::new(finish(Shared::new(
            settings,
            fields,
            core,
            mps,
            classifiers,
        )));
        let sink = sink(&shared);
        Harness {
            decoder: Decoder::new(Arc::new(tables)),
            thread: PacketThread::new(0, shared, sink, Box::new(InplaceWriter::default())),
        }
    }

    /// The shared data the thread runs with.
    pub fn shared(&self) -> &Shared {
        self.thread.shared()
    }

    /// Decodes `bytes` (of link type `linktype`, at `sec` seconds) and, if the decoder
    /// keeps the packet, runs it through the thread; its metadata, or None if the
    /// decoder dropped it (or holds it, a fragment).
    pub fn feed(&mut self, bytes: &[u8], linktype: u32, sec: u32) -> Option<PacketMeta> {
        self.feed_frame(&Frame {
            bytes: bytes.to_vec(),
            linktype,
            ts_sec: sec,
            ts_usec: 0,
        })
    }

    /// [`Harness::feed`] for a kit frame.
    pub fn feed_frame(&mut self, f: &Frame) -> Option<PacketMeta> {
        let p = self.decoder.enqueue(Packet::from_bytes(
            &f.bytes, f.linktype, f.ts_sec, f.ts_usec,
        ))?;
        let meta = p.meta.clone();
        self.thread.process_commands();
        self.thread.process_packet(p);
        Some(meta)
    }

    /// Runs queued commands and saves every session.
    pub fn flush(&mut self) {
        self.thread.process_commands();
        self.thread.flush_all();
    }
}

/// The documents `frames` make, in the order they were written (sessions still open
/// at the end are saved as capture's end saves them), with the parsers `register`
/// adds. Frames a decoder rejects are skipped, as capture skips them.
pub fn run_sessions(register: impl Registrar, frames: &[Frame]) -> Vec<Value> {
    let keep = Arc::new(Keep::default());
    let output = Arc::clone(&keep) as Arc<dyn DocOutput>;
    let mut h = Harness::new(CoreSettings::new(1), register, |shared| {
        let cfg = DocConfig {
            node: "test".into(),
            prefix: String::new(),
            rotate: Rotate::Daily,
            gap_packet_pos: true,
            enable_packet_len: false,
            auto_generate_id: 0,
        };
        Box::new(DocSink::new(DocBuilder::new(cfg, shared, 0), output))
    });
    for f in frames {
        h.feed_frame(f);
    }
    h.flush();
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
