//! trawl against an Elasticsearch/OpenSearch cluster laid out as Arkime's `db.pl` lays
//! it out: the indices, templates and aliases ([`layout`]: `trawl db init|info|expire|
//! wipe`), what capture keeps there besides sessions (file numbers from the
//! `sequence` index, `fields` documents, the schema version check), and trawl's own
//! search on the `sessions3` indices ([`search`]: Arkime expressions turned into the
//! query DSL as Arkime's viewer builds it).
//!
//! Everything talks through one small blocking JSON client ([`client::Client`]).

pub mod client;
pub mod layout;
pub mod search;
#[doc(hidden)]
pub mod testing;

pub use client::{Client, ClusterError, Reply};
