//! Where documents go: Arkime's `--tests` JSON on stdout, nowhere (`--dryrun`), and
//! later the embedded store or an Elasticsearch/OpenSearch bulk client.

use std::io::Write;
use std::sync::{Arc, Mutex};

use trawl_session::{Session, SessionSink, Shared};

use crate::document::{Doc, DocBuilder};
use crate::json::Recorder;

/// Receives finished documents from every packet thread.
pub trait DocOutput: Send + Sync {
    /// Takes one document.
    fn emit(&self, doc: Doc);
    /// Called once when capture ends.
    fn finish(&self) {}
    /// An empty buffer for the next document's body; an output that gets its
    /// documents' buffers back hands them out again here.
    fn body_buffer(&self) -> String {
        String::new()
    }
    /// A recorder for the next document, for an output that would rather hear the
    /// values as they are written than read the body back; it then takes the document
    /// in place of [`DocOutput::emit`].
    fn recorder(&self) -> Option<Box<dyn DocRecorder + '_>> {
        None
    }
}

/// Hears one document as it is written (see [`Recorder`]), then takes it.
pub trait DocRecorder: Recorder {
    /// Takes the document whose values were just heard.
    fn finish(self: Box<Self>, doc: Doc);
}

/// Discards documents (`--dryrun`), counting them.
#[derive(Default)]
pub struct NullOutput {
    count: std::sync::atomic::AtomicU64,
}

impl NullOutput {
    /// Documents received.
    pub fn count(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl DocOutput for NullOutput {
    fn emit(&self, _doc: Doc) {
        self.count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

struct TestsState {
    started: bool,
    count: u64,
    out: Box<dyn Write + Send>,
}

/// Writes `{"sessions3":[{"header":…,"body":…},…]}` as Arkime's `--tests` does.
pub struct TestsOutput {
    state: Mutex<TestsState>,
}

impl TestsOutput {
    /// Writes to stdout.
    pub fn stdout() -> Self {
        Self::to(Box::new(std::io::stdout()))
    }

    /// Writes to `out`.
    pub fn to(out: Box<dyn Write + Send>) -> Self {
        TestsOutput {
            state: Mutex::new(TestsState {
                started: false,
                count: 0,
                out,
            }),
        }
    }

    fn start(st: &mut TestsState) {
        if !st.started {
            st.started = true;
            let _ = st.out.write_all(b"{\"sessions3\": [\n");
        }
    }
}

impl DocOutput for TestsOutput {
    fn emit(&self, doc: Doc) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        Self::start(&mut st);
        let sep = if st.count == 0 { "  " } else { "  ," };
        st.count += 1;
        let line = format!(
            "{sep}{{\"header\":{},\n  \"body\":{}}}\n",
            doc.header(),
            doc.body
        );
        let _ = st.out.write_all(line.as_bytes());
    }

    fn finish(&self) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        Self::start(&mut st);
        let _ = st.out.write_all(b"]}\n");
        let _ = st.out.flush();
    }
}

/// A packet thread's sink: builds documents and hands them to a [`DocOutput`].
pub struct DocSink {
    builder: DocBuilder,
    out: Arc<dyn DocOutput>,
}

impl DocSink {
    /// A sink over `builder` into `out`.
    pub fn new(builder: DocBuilder, out: Arc<dyn DocOutput>) -> Self {
        DocSink { builder, out }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl SessionSink for DocSink {
    fn save(&mut self, shared: &Shared, s: &mut Session, _final: bool) {
        let body = self.out.body_buffer();
        let mut rec = self.out.recorder();
        let heard = rec.as_deref_mut().map(|r| r as &mut dyn Recorder);
        if let Some(doc) = self.builder.build(shared, s, now_ms(), body, heard) {
            match rec {
                Some(r) => r.finish(doc),
                None => self.out.emit(doc),
            }
        }
    }
}
