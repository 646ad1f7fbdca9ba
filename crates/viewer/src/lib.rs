//! Arkime's viewer API over the embedded store or a cluster, for `trawl serve`: an axum router on
//! tokio and the server loop that runs it, plus what the API and the command line
//! share (compiling searches, exporting pcap, reading node stats).
//!
//! * `GET|POST /api/sessions?expression=&date=&startTime=&stopTime=&length=&order=&fields=`
//!   (also `/api/sessions.json`) → `{"recordsTotal","recordsFiltered","data":[…]}`,
//!   each session its document plus `id` and `index` (or only the `fields` asked
//!   for, by database name). `length` is capped at `maxSessionsQueried`.
//! * `GET /api/session/<id>` (also `…/detail`) → that session's document.
//! * `GET|POST /api/sessions/pcap?expression=…` (also `/api/sessions.pcap`) → a pcap
//!   of the matching sessions' packets, streamed.
//! * `GET /api/stats` → the store's partitions and totals, and each capturing node's
//!   latest stats document (Arkime's `stats` fields).
//!
//! A bad request answers 400 with `{"error": …}` (a bad expression giving its
//! position); errors quote at most a short excerpt of what was sent. Nothing a
//! request does stops the server: a panic answers 500, request heads and bodies are
//! bounded in size and time, and each connection is a task, not a thread.

mod aggs;
mod api;
mod assets;
pub mod auth;
mod endpoints;
pub mod export;
mod packets;
mod render;
pub mod request;
pub mod search;
pub mod source;
pub mod stats;

pub use api::{
    guard, router, router_with, serve, serve_on, tls_config, ServeOptions, Viewer, MAX_BODY,
    MAX_HEAD,
};
pub use source::{Cluster, Embedded, SessionSource, SourceError};
