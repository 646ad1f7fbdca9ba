//! One query layer, two stores: the sessions a search reads, from the embedded store
//! under `dataDir` or from an Elasticsearch/OpenSearch cluster laid out as Arkime's,
//! behind one interface ([`SessionSource`]) that `trawl sessions`, `trawl pcap` and
//! `trawl serve` use alike.
//!
//! A source also says where a session's packets are (the pcap file of a node and
//! number: the files registry under `dataDir`, or the cluster's `files` index) and
//! which node's files this machine can read: the embedded store reads every file its
//! registry names; on a cluster, only the files of this node, as Arkime's viewer
//! reads its own node's files and asks the others for theirs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use trawl_cluster::search::ClusterSessions;
use trawl_cluster::ClusterError;
use trawl_query::{Hit, Match, Query, SearchOpts};
use trawl_store::aggs::{AggAnswer, AggRequest};
use trawl_store::{Store, StoreError};
use trawl_writer::{FileInfo, FilesRegistry};

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The request asked for something impossible (a sort on a text field, …): the
    /// asker's mistake.
    #[error("{0}")]
    Bad(String),
    /// The store could not be read, or the cluster did not answer.
    #[error("{0}")]
    Failed(String),
}

/// A message about the request (a `file` name no file has).
impl From<String> for SourceError {
    fn from(m: String) -> Self {
        SourceError::Bad(format!("expression: {m}"))
    }
}

impl From<StoreError> for SourceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadSort(_) => SourceError::Bad(e.to_string()),
            e => SourceError::Failed(e.to_string()),
        }
    }
}

impl From<ClusterError> for SourceError {
    fn from(e: ClusterError) -> Self {
        match &e {
            // A query the cluster cannot run (a sort on a text field, a bad regexp).
            ClusterError::Status { status: 400, .. } => SourceError::Bad(e.to_string()),
            _ => SourceError::Failed(e.to_string()),
        }
    }
}

/// Sessions to search and the files of their packets.
pub trait SessionSource: Send + Sync {
    /// The number of matches and the first `o.limit` hits in sort order.
    fn search(&self, q: &Query, o: &SearchOpts) -> Result<(u64, Vec<Hit>), SourceError>;
    /// Calls `f` with every matching session (`o.limit` and `o.sort` ignored) until
    /// it answers false; returns the number of matches.
    fn scan(
        &self,
        q: &Query,
        o: &SearchOpts,
        f: &mut dyn FnMut(Hit) -> bool,
    ) -> Result<u64, SourceError>;
    /// Aggregations of the matches computed by the source on its own structures,
    /// without handing out documents; None when it cannot (the caller then reads
    /// every match with [`SessionSource::scan`]).
    fn aggregate(
        &self,
        _q: &Query,
        _o: &SearchOpts,
        _req: &AggRequest,
    ) -> Result<Option<AggAnswer>, SourceError> {
        Ok(None)
    }
    /// The number of sessions it holds, whatever their time (Arkime's `recordsTotal`).
    fn count_all(&self) -> Result<u64, SourceError>;
    /// One session by id.
    fn get(&self, id: &str) -> Result<Option<Hit>, SourceError>;
    /// The pcap file `num` of `node`, if known.
    fn file(&self, node: &str, num: u32) -> Option<FileInfo>;
    /// Whether this machine reads the files of `node`.
    fn reads_node(&self, node: &str) -> bool;
    /// The node and number of every pcap file whose name matches `m` (Arkime's
    /// `file` expression).
    fn files_named(&self, m: &Match) -> Result<Vec<(String, u32)>, SourceError>;
    /// The field definitions the sessions were written with (`<dataDir>/fields.json`,
    /// or the cluster's `fields` index), so a search knows a field the capture's
    /// config defined without that config.
    fn field_docs(&self) -> Vec<serde_json::Value>;
    /// Partitions (or indices) with their documents and sizes, for `/api/stats`.
    fn partitions(&self) -> Result<Vec<serde_json::Value>, SourceError>;
    /// The latest stats document of each capturing node.
    fn node_stats(&self) -> Vec<serde_json::Value>;
    /// The `dstats` documents of `node` at `interval` seconds, oldest first, with
    /// `currentTime` (seconds) between `start` and `stop` when given.
    fn dstats(
        &self,
        node: &str,
        interval: u64,
        start: Option<i64>,
        stop: Option<i64>,
    ) -> Vec<serde_json::Value>;
    /// What it is, for messages ("the store in /data", "the cluster at http://…").
    fn describe(&self) -> String;
}

/// The embedded store under a data directory, looked at afresh for each search so
/// a running capture's new partitions and commits are seen (partitions unchanged
/// since the last search stay open).
pub struct Embedded {
    data_dir: PathBuf,
    /// Partitions kept open between searches.
    open: trawl_store::OpenParts,
    registries: Mutex<HashMap<String, FilesRegistry>>,
}

impl Embedded {
    /// The store under `data_dir`.
    pub fn new(data_dir: &Path) -> Embedded {
        Embedded {
            data_dir: data_dir.to_path_buf(),
            open: Default::default(),
            registries: Mutex::new(HashMap::new()),
        }
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Embedded {
    fn store(&self) -> Result<Store, StoreError> {
        Store::open_cached(&self.data_dir, &self.open)
    }
}

impl SessionSource for Embedded {
    fn search(&self, q: &Query, o: &SearchOpts) -> Result<(u64, Vec<Hit>), SourceError> {
        Ok(self.store()?.search(q, o)?)
    }

    fn scan(
        &self,
        q: &Query,
        o: &SearchOpts,
        f: &mut dyn FnMut(Hit) -> bool,
    ) -> Result<u64, SourceError> {
        Ok(self.store()?.scan(q, o, f)?)
    }

    fn aggregate(
        &self,
        q: &Query,
        o: &SearchOpts,
        req: &AggRequest,
    ) -> Result<Option<AggAnswer>, SourceError> {
        Ok(self.store()?.aggregate(q, o, req)?)
    }

    fn count_all(&self) -> Result<u64, SourceError> {
        Ok(self.store()?.count_all())
    }

    fn get(&self, id: &str) -> Result<Option<Hit>, SourceError> {
        Ok(self.store()?.get(id))
    }

    fn file(&self, node: &str, num: u32) -> Option<FileInfo> {
        let mut regs = self.registries.lock().unwrap_or_else(|p| p.into_inner());
        if !regs.contains_key(node) {
            let r = FilesRegistry::open(&self.data_dir.join("files"), node).ok()?;
            regs.insert(node.to_string(), r);
        }
        regs.get(node)?.get(num)
    }

    fn reads_node(&self, _node: &str) -> bool {
        true
    }

    fn files_named(&self, m: &Match) -> Result<Vec<(String, u32)>, SourceError> {
        Ok(trawl_writer::list_all_files(&self.data_dir.join("files"))
            .into_iter()
            .filter(|f| m.matches_str(&f.name))
            .map(|f| (f.node, f.num))
            .collect())
    }

    fn field_docs(&self) -> Vec<serde_json::Value> {
        trawl_store::fielddefs::read(&self.data_dir)
    }

    fn partitions(&self) -> Result<Vec<serde_json::Value>, SourceError> {
        Ok(self
            .store()?
            .info()
            .into_iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name, "docs": p.docs, "bytes": p.bytes,
                    "firstPacket": p.span.map(|s| s.0), "lastPacket": p.span.map(|s| s.1),
                })
            })
            .collect())
    }

    fn node_stats(&self) -> Vec<serde_json::Value> {
        crate::stats::read_all(&self.data_dir)
    }

    fn dstats(
        &self,
        node: &str,
        interval: u64,
        start: Option<i64>,
        stop: Option<i64>,
    ) -> Vec<serde_json::Value> {
        crate::stats::read_dstats(&self.data_dir, node, interval, start, stop)
    }

    fn describe(&self) -> String {
        format!(
            "the store in {}",
            trawl_store::sessions_dir(&self.data_dir).display()
        )
    }
}

/// The `_source` of each hit of a search answer; none (logged, naming `what`) when
/// the search failed.
fn sources_of(
    answer: Result<serde_json::Value, ClusterError>,
    what: &str,
) -> Vec<serde_json::Value> {
    match answer {
        Ok(b) => b
            .pointer("/hits/hits")
            .and_then(|h| h.as_array())
            .map(|a| a.iter().filter_map(|h| h.get("_source").cloned()).collect())
            .unwrap_or_default(),
        Err(e) => {
            tracing::warn!("{what}: {e}");
            Vec::new()
        }
    }
}

/// A cluster's `sessions3` indices, read as this node.
pub struct Cluster {
    sessions: ClusterSessions,
    node: String,
    files: Mutex<HashMap<(String, u32), Option<FileInfo>>>,
}

impl Cluster {
    /// The sessions under the client's cluster and `prefix`, read as node `node`.
    pub fn new(sessions: ClusterSessions, node: &str) -> Cluster {
        Cluster {
            sessions,
            node: node.to_string(),
            files: Mutex::new(HashMap::new()),
        }
    }
}

impl SessionSource for Cluster {
    fn search(&self, q: &Query, o: &SearchOpts) -> Result<(u64, Vec<Hit>), SourceError> {
        Ok(self.sessions.search(q, o)?)
    }

    fn scan(
        &self,
        q: &Query,
        o: &SearchOpts,
        f: &mut dyn FnMut(Hit) -> bool,
    ) -> Result<u64, SourceError> {
        // Every match, scrolled in pages by the cluster; held at once (a streaming
        // scroll is a later step for clusters of many millions).
        let all = SearchOpts {
            limit: usize::MAX,
            ..o.clone()
        };
        let (total, hits) = self.sessions.search(q, &all)?;
        for h in hits {
            if !f(h) {
                break;
            }
        }
        Ok(total)
    }

    fn count_all(&self) -> Result<u64, SourceError> {
        Ok(self.sessions.count_all()?)
    }

    fn get(&self, id: &str) -> Result<Option<Hit>, SourceError> {
        Ok(self.sessions.get(id)?)
    }

    fn file(&self, node: &str, num: u32) -> Option<FileInfo> {
        let key = (node.to_string(), num);
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = files.get(&key) {
            return f.clone();
        }
        let found = match self.sessions.file(node, num) {
            Ok(Some(doc)) => match serde_json::from_value::<FileInfo>(doc) {
                Ok(f) => Some(f),
                Err(e) => {
                    tracing::error!("files document {node}-{num}: {e}");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                // Not remembered: the cluster may answer the next time.
                tracing::error!("files document {node}-{num}: {e}");
                return None;
            }
        };
        files.insert(key, found.clone());
        found
    }

    fn reads_node(&self, node: &str) -> bool {
        node == self.node
    }

    fn files_named(&self, m: &Match) -> Result<Vec<(String, u32)>, SourceError> {
        Ok(self.sessions.files_named(m)?)
    }

    fn field_docs(&self) -> Vec<serde_json::Value> {
        self.sessions.field_docs().unwrap_or_else(|e| {
            tracing::warn!("the cluster's field definitions: {e}");
            Vec::new()
        })
    }

    fn partitions(&self) -> Result<Vec<serde_json::Value>, SourceError> {
        let path = format!(
            "_cat/indices/{}sessions3-*?format=json&bytes=b&h=index,docs.count,store.size",
            self.sessions.prefix()
        );
        let list = self.sessions.client().get(&path)?;
        let mut v: Vec<serde_json::Value> = list
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| {
                        let num = |k: &str| {
                            i.get(k)
                                .and_then(|x| x.as_str())
                                .and_then(|s| s.parse::<u64>().ok())
                        };
                        serde_json::json!({
                            "name": i.get("index"),
                            "docs": num("docs.count"),
                            "bytes": num("store.size"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(v)
    }

    fn node_stats(&self) -> Vec<serde_json::Value> {
        let path = format!("{}stats/_search?size=1000", self.sessions.prefix());
        let mut out = sources_of(self.sessions.client().get(&path), "node stats");
        out.sort_by(|a, b| a["nodeName"].as_str().cmp(&b["nodeName"].as_str()));
        out
    }

    fn dstats(
        &self,
        node: &str,
        interval: u64,
        start: Option<i64>,
        stop: Option<i64>,
    ) -> Vec<serde_json::Value> {
        let mut filter = vec![
            serde_json::json!({"term": {"nodeName": node}}),
            serde_json::json!({"term": {"interval": interval}}),
        ];
        if start.is_some() || stop.is_some() {
            filter.push(serde_json::json!({"range": {"currentTime": {"gte": start, "lte": stop}}}));
        }
        let body = serde_json::json!({
            "query": {"bool": {"filter": filter}},
            "sort": [{"currentTime": "asc"}], "size": 10000,
        });
        let path = format!("{}dstats/_search", self.sessions.prefix());
        sources_of(self.sessions.client().post(&path, &body), "dstats")
    }

    fn describe(&self) -> String {
        format!(
            "the cluster at {} (indices {}sessions3-*)",
            self.sessions.client().urls().join(","),
            self.sessions.prefix()
        )
    }
}
