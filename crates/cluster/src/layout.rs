//! Arkime's cluster layout, as `db/db.pl init` (schema version [`DB_VERSION`]) creates
//! it, and the cluster work capture does besides sessions.
//!
//! What exists after [`init`] (every name carries the `prefix` config value, `arkime_`
//! by default, which includes its trailing `_`):
//!
//! - the admin indices of [`ADMIN_INDICES`] (`sequence_v30`, `files_v30`, `stats_v30`,
//!   `dstats_v30`, `fields_v30`, `hunts_v30`, `lookups_v30`, `notifiers_v40`,
//!   `views_v40`, `shareables_v60`, and the user data `users_v30`, `queries_v30`,
//!   `parliament_v50`, `configs_v50`), each with db.pl's settings and mapping and an
//!   alias without its `_vNN` suffix, which is the name capture and viewer use;
//! - the legacy templates `sessions3_template` (order 99, `_meta.molochDbVersion`, the
//!   `wordSplit` analyzer, db.pl's dynamic templates and explicit fields),
//!   `sessions3_ecs_template` (order 1, the ECS 1.10 mapping) and `history_v1_template`;
//! - the `fields` index seeded with db.pl's documents (`ip`, `port`, `ip.src`, ...,
//!   with the `fieldECS` names db.pl's ecsFieldsUpdate adds) and the documents capture
//!   writes for the fields it defines, here those of a trawl [`FieldRegistry`].
//!
//! The mapping JSON under `layout/` is db.pl's, unchanged, since the viewer and
//! capture depend on it. Everything else here is trawl's own.
//!
//! A cluster that Arkime's db.pl laid out works as it is: trawl reads the schema
//! version from the template and never insists on its own documents.

use std::collections::HashSet;

use chrono::{Datelike, Duration as Days, NaiveDate, TimeZone, Timelike, Utc};
use serde_json::{json, Map, Value};
use trawl_fields::{flags, FieldDef, FieldRegistry, FieldType};

use crate::client::{status_error, Client, ClusterError};

/// The schema version db.pl of Arkime 6.x writes (`_meta.molochDbVersion`).
pub const DB_VERSION: u32 = 86;

/// The oldest schema version Arkime's capture runs against (`ARKIME_MIN_DB_VERSION`).
pub const MIN_CAPTURE_DB_VERSION: u32 = 83;

/// Capture creates a node's file-number document at this version, so its first file
/// number is one more (Arkime's `arkime_db_load_file_num`).
pub const FILE_NUM_BASE: u32 = 100;

/// The longest `prefix` Arkime accepts, before its trailing `_`.
pub const MAX_PREFIX_LEN: usize = 50;

/// One of the indices db.pl creates besides the sessions and history ones.
#[derive(Clone, Copy, Debug)]
pub struct AdminIndex {
    /// The alias capture and viewer use, without the prefix (`sequence`).
    pub alias: &'static str,
    /// The version suffix of the concrete index (`v30`).
    pub version: &'static str,
    /// `index.priority`.
    pub priority: u32,
    /// `number_of_shards`.
    pub shards: u32,
    /// Users' own data (users, saved queries, parliament, configs): created by `init`
    /// only, kept by `wipe`.
    pub user_data: bool,
    /// The mapping, as db.pl puts it.
    mapping: &'static str,
}

impl AdminIndex {
    /// The concrete index name without the prefix (`sequence_v30`).
    pub fn versioned(&self) -> String {
        format!("{}_{}", self.alias, self.version)
    }

    /// The mapping.
    pub fn mapping(&self) -> Result<Value, ClusterError> {
        parse_embedded(self.mapping, &self.versioned())
    }
}

const fn admin(
    alias: &'static str,
    version: &'static str,
    priority: u32,
    shards: u32,
    user_data: bool,
    mapping: &'static str,
) -> AdminIndex {
    AdminIndex {
        alias,
        version,
        priority,
        shards,
        user_data,
        mapping,
    }
}

/// db.pl's admin indices, in the order its `init` creates them.
pub const ADMIN_INDICES: &[AdminIndex] = &[
    admin(
        "sequence",
        "v30",
        100,
        1,
        false,
        include_str!("layout/sequence.json"),
    ),
    admin(
        "files",
        "v30",
        80,
        2,
        false,
        include_str!("layout/files.json"),
    ),
    admin(
        "stats",
        "v30",
        70,
        1,
        false,
        include_str!("layout/stats.json"),
    ),
    admin(
        "dstats",
        "v30",
        50,
        2,
        false,
        include_str!("layout/dstats.json"),
    ),
    admin(
        "fields",
        "v30",
        90,
        1,
        false,
        include_str!("layout/fields.json"),
    ),
    admin(
        "hunts",
        "v30",
        30,
        1,
        false,
        include_str!("layout/hunts.json"),
    ),
    admin(
        "lookups",
        "v30",
        30,
        1,
        false,
        include_str!("layout/lookups.json"),
    ),
    admin(
        "notifiers",
        "v40",
        30,
        1,
        false,
        include_str!("layout/notifiers.json"),
    ),
    admin(
        "views",
        "v40",
        30,
        1,
        false,
        include_str!("layout/views.json"),
    ),
    admin(
        "shareables",
        "v60",
        30,
        1,
        false,
        include_str!("layout/shareables.json"),
    ),
    admin(
        "users",
        "v30",
        60,
        1,
        true,
        include_str!("layout/users.json"),
    ),
    admin(
        "queries",
        "v30",
        40,
        1,
        true,
        include_str!("layout/queries.json"),
    ),
    admin(
        "parliament",
        "v50",
        30,
        1,
        true,
        include_str!("layout/parliament.json"),
    ),
    admin(
        "configs",
        "v50",
        30,
        1,
        true,
        include_str!("layout/configs.json"),
    ),
];

const SESSIONS3_MAPPING: &str = include_str!("layout/sessions3.json");
const SESSIONS3_ECS_MAPPING: &str = include_str!("layout/sessions3_ecs.json");
const HISTORY_MAPPING: &str = include_str!("layout/history.json");
const FIELDS_SEED: &str = include_str!("layout/fields_seed.json");
const CAPTURE_FIELDS: &str = include_str!("layout/capture_fields.json");

/// The template names db.pl writes, without the prefix.
pub const TEMPLATES: [&str; 3] = [
    "sessions3_template",
    "sessions3_ecs_template",
    "history_v1_template",
];

/// The sessions indices of `prefix`: `<prefix>sessions3-*`.
pub fn sessions_pattern(prefix: &str) -> String {
    format!("{prefix}sessions3-*")
}

/// The history indices of `prefix`: `<prefix>history_v1-*`.
pub fn history_pattern(prefix: &str) -> String {
    format!("{prefix}history_v1-*")
}

/// A `--prefix` value as db.pl takes it: at most 50 characters, and a `_` appended
/// unless it is empty or ends with one.
pub fn normalize_prefix(p: &str) -> Result<String, String> {
    if p.chars().count() > MAX_PREFIX_LEN {
        return Err(format!(
            "prefix '{p}' is longer than {MAX_PREFIX_LEN} characters"
        ));
    }
    if p.chars().any(|c| c.is_ascii_uppercase())
        || p.contains(['/', '\\', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':'])
        || p.starts_with(['-', '_', '+'])
    {
        return Err(format!(
            "prefix '{p}' cannot start an index name (lowercase, no spaces, no /\\*?\"<>|,#:, not starting with -, _ or +)"
        ));
    }
    let mut p = p.to_string();
    if !p.is_empty() && !p.ends_with('_') {
        p.push('_');
    }
    Ok(p)
}

fn parse_embedded(text: &str, what: &str) -> Result<Value, ClusterError> {
    serde_json::from_str(text)
        .map_err(|e| ClusterError::BadAnswer(format!("trawl's built-in {what} mapping: {e}")))
}

/// A path segment with everything but unreserved characters percent-encoded.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn bad(msg: impl Into<String>) -> ClusterError {
    ClusterError::BadAnswer(msg.into())
}

// ---------------------------------------------------------------------------------
// Schema version

/// The schema version the cluster's `<prefix>sessions3_template` carries
/// (`_meta.molochDbVersion`), as capture and viewer read it; `None` when there is no
/// such template (or it has no version), i.e. the prefix was never initialized.
pub fn db_version(c: &Client, prefix: &str) -> Result<Option<u32>, ClusterError> {
    let name = format!("{prefix}sessions3_template");
    let path = format!("/_template/{}?filter_path=**._meta", enc(&name));
    let Some(body) = c.get_opt(&path)? else {
        return Ok(None);
    };
    let v = body
        .get(&name)
        .and_then(|t| t.get("mappings"))
        .and_then(|m| m.get("_meta"))
        .and_then(|m| m.get("molochDbVersion"));
    Ok(match v {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// What capture checks before it starts: the prefix was initialized and its schema
/// version is at least [`MIN_CAPTURE_DB_VERSION`]. Gives the version.
pub fn check_for_capture(c: &Client, prefix: &str) -> Result<u32, ClusterError> {
    let url = c.urls().join(",");
    match db_version(c, prefix)? {
        None => Err(bad(format!(
            "the cluster at {url} has no Arkime schema for prefix '{prefix}' \
             (no {prefix}sessions3_template with a version): run `trawl db init` \
             (or Arkime's db.pl init) first"
        ))),
        Some(v) if v < MIN_CAPTURE_DB_VERSION => Err(bad(format!(
            "the Arkime schema at {url} (prefix '{prefix}') is version {v}, capture needs \
             at least {MIN_CAPTURE_DB_VERSION}: upgrade it with Arkime's `db.pl {url} upgrade`"
        ))),
        Some(v) => Ok(v),
    }
}

// ---------------------------------------------------------------------------------
// File numbers

/// The next file number of `node`, as Arkime's capture takes it: the `_version` of
/// the `fn-<node>` document in `<prefix>sequence` after a POST to it. The document is
/// first created at version [`FILE_NUM_BASE`] when missing, as capture does at
/// start, so a new node's files are numbered 101, 102, ... Numbers are unique across
/// threads and processes (the cluster increments the version atomically).
pub fn next_file_num(c: &Client, prefix: &str, node: &str) -> Result<u32, ClusterError> {
    let path = format!("/{prefix}sequence/_doc/{}", enc(&format!("fn-{node}")));
    let r = c.send("GET", &path, None)?;
    match r.status {
        200 => {}
        404 if r.body.get("found") == Some(&Value::Bool(false)) => {
            let create = format!("{path}?version_type=external&version={FILE_NUM_BASE}");
            let r = c.send("POST", &create, Some(&json!({})))?;
            // 409: another process created it first; either way it exists now.
            if !(200..300).contains(&r.status) && r.status != 409 {
                return Err(status_error("POST", &create, &r));
            }
        }
        404 => {
            return Err(bad(format!(
            "{prefix}sequence is missing at {}: run `trawl db init` (or Arkime's db.pl init) first",
            c.urls().join(",")
        )))
        }
        _ => return Err(status_error("GET", &path, &r)),
    }
    let body = c.post(&path, &json!({}))?;
    body.get("_version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| {
            bad(format!(
                "POST {path}: no _version in the answer: {}",
                quote(&body)
            ))
        })
}

fn quote(v: &Value) -> String {
    v.to_string().chars().take(300).collect()
}

// ---------------------------------------------------------------------------------
// Field documents

fn seed_docs(text: &str, what: &str) -> Vec<(String, Value)> {
    // The embedded lists are checked by the unit tests; a broken one yields nothing.
    let list: Vec<Value> = serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::error!("trawl's built-in {what} do not parse: {e}");
        Vec::new()
    });
    list.into_iter()
        .filter_map(|d| {
            let id = d.get("_id")?.as_str()?.to_string();
            Some((id, d.get("_source")?.clone()))
        })
        .collect()
}

/// db.pl's seed documents of the `fields` index (`ip`, `port`, `ip.src`, ...), with
/// the `fieldECS` names its ecsFieldsUpdate adds right after.
pub fn seed_field_docs() -> Vec<(String, Value)> {
    seed_docs(FIELDS_SEED, "fields seed documents")
}

/// The documents Arkime's capture writes for its own viewer-only fields (the TCP flag
/// counts, `communityId`, `initRTT`, `session.length`, `mac`, ...), whose definitions
/// in trawl's registry carry no viewer text.
pub fn capture_field_docs() -> Vec<(String, Value)> {
    seed_docs(CAPTURE_FIELDS, "capture field documents")
}

fn derived_doc(group: &str, kind: &str, friendly: &str, db: &str, help: &str) -> Value {
    json!({
        "friendlyName": friendly,
        "group": group,
        "help": help,
        "dbField2": db,
        "type": kind,
    })
}

/// The `fields` document of one field: `_id` is the expression, the document has
/// `friendlyName`, `group`, `help`, `dbField2` and `type` as capture's
/// `arkime_db_add_field` writes them, and `category` when the field has one. A field
/// db.pl seeds or Arkime's capture defines itself gets Arkime's own document.
pub fn field_doc(def: &FieldDef) -> (String, Value) {
    if let Some(d) = seed_field_docs()
        .into_iter()
        .chain(capture_field_docs())
        .find(|(id, _)| *id == def.expression)
    {
        return d;
    }
    let mut doc = derived_doc(
        &def.group,
        &def.kind,
        &def.friendly,
        &def.db_field,
        &def.help,
    );
    if let (Some(cat), Value::Object(o)) = (&def.category, &mut doc) {
        o.insert("category".into(), Value::String(cat.clone()));
    }
    (def.expression.clone(), doc)
}

/// The database name a field document searches (`fieldECS` wins over `dbField2`, as
/// capture reads them).
fn doc_db(doc: &Value) -> Option<&str> {
    doc.get("fieldECS")
        .or_else(|| doc.get("dbField2"))
        .and_then(Value::as_str)
}

/// Every `fields` document a capture with this registry has: db.pl's seed, Arkime's
/// own capture fields, then each field's document with its companions as capture's
/// `arkime_field_define` adds them (`<expr>.cnt` for counted fields; the GeoIP
/// country, ASN and RIR documents of IP fields). NODB fields have none. One document
/// per `_id` and per database name, the first kept, as capture skips a field whose
/// database name it already knows.
pub fn field_docs(reg: &FieldRegistry) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut dbs: HashSet<String> = HashSet::new();
    // Arkime's own documents are all kept (two may search one database name, as
    // payload8.src.hex and payload8.src.utf8 do); the registry's are checked by both.
    let mut push = |id: String, doc: Value, arkime: bool, out: &mut Vec<(String, Value)>| {
        let db = doc_db(&doc).map(str::to_string);
        if ids.contains(&id) || (!arkime && db.as_ref().is_some_and(|d| dbs.contains(d))) {
            return;
        }
        ids.insert(id.clone());
        if let Some(d) = db {
            dbs.insert(d);
        }
        out.push((id, doc));
    };
    for (id, doc) in seed_field_docs().into_iter().chain(capture_field_docs()) {
        push(id, doc, true, &mut out);
    }
    for (_, def) in reg.iter() {
        if def.flags & flags::NODB != 0 {
            continue;
        }
        let (id, doc) = field_doc(def);
        push(id, doc, false, &mut out);
        let cnt = if def.flags & flags::CNT != 0 {
            Some(format!("{}Cnt", def.db_field))
        } else if def.flags & flags::ECS_CNT != 0 {
            Some(format!("{}-cnt", def.db_field))
        } else {
            None
        };
        if let Some(db) = cnt {
            let doc = derived_doc(
                &def.group,
                "integer",
                &format!("{} Cnt", def.friendly),
                &db,
                &format!("Unique number of {}", def.help),
            );
            push(format!("{}.cnt", def.expression), doc, false, &mut out);
        }
        if def.flags & flags::FAKE == 0 && matches!(def.ty, FieldType::Ip | FieldType::IpGHash) {
            for (id, doc) in geo_docs(def) {
                push(id, doc, false, &mut out);
            }
        }
    }
    out
}

/// The country, ASN and RIR documents capture adds for an IP field. A field whose
/// expression starts with `ip.` is named as Arkime's IPPRE fields are
/// (`ip.xff` → `country.xff`), others get suffixes (`outerip.src.country`).
fn geo_docs(def: &FieldDef) -> Vec<(String, Value)> {
    let db = &def.db_field;
    // The database name without its trailing "ip"/"Ip".
    let Some(base) = db.get(..db.len().saturating_sub(2)) else {
        return Vec::new();
    };
    let (g, f, h) = (&def.group, &def.friendly, &def.help);
    if let Some(rest) = def.expression.strip_prefix("ip.") {
        let fbase = f.get(..f.len().saturating_sub(2)).unwrap_or(f);
        vec![
            (
                format!("country.{rest}"),
                derived_doc(
                    g,
                    "uptermfield",
                    &format!("{fbase} GEO"),
                    &format!("{base}GEO"),
                    &format!("GeoIP country string calculated from the {h}"),
                ),
            ),
            (
                format!("asn.{rest}"),
                derived_doc(
                    g,
                    "termfield",
                    &format!("{fbase} ASN"),
                    &format!("{base}ASN"),
                    &format!("GeoIP ASN string calculated from the {h}"),
                ),
            ),
            (
                format!("rir.{rest}"),
                derived_doc(
                    g,
                    "uptermfield",
                    &format!("{fbase} RIR"),
                    &format!("{base}RIR"),
                    &format!("Regional Internet Registry string calculated from {h}"),
                ),
            ),
        ]
    } else {
        let e = &def.expression;
        vec![
            (
                format!("{e}.country"),
                derived_doc(
                    g,
                    "uptermfield",
                    &format!("{f} GEO"),
                    &format!("{base}GEO"),
                    &format!("GeoIP country string calculated from the {h}"),
                ),
            ),
            (
                format!("{e}.asn"),
                derived_doc(
                    g,
                    "termfield",
                    &format!("{f} ASN"),
                    &format!("{base}ASN"),
                    &format!("GeoIP ASN string calculated from the {h}"),
                ),
            ),
            (
                format!("{e}.rir"),
                derived_doc(
                    g,
                    "uptermfield",
                    &format!("{f} RIR"),
                    &format!("{base}RIR"),
                    &format!("Regional Internet Registry string calculated from {h}"),
                ),
            ),
        ]
    }
}

/// Writes the [`field_docs`] the `<prefix>fields` index lacks (no document with that
/// `_id`, nor one searching the same database name), in one `_bulk` of `create`
/// actions (a document another writer adds meanwhile is left as it is). Gives how
/// many were written.
pub fn put_fields(c: &Client, prefix: &str, reg: &FieldRegistry) -> Result<usize, ClusterError> {
    let path = format!("/{prefix}fields/_search?size=10000&_source=dbField2,fieldECS");
    let body = c.get(&path)?;
    let hits = body
        .get("hits")
        .and_then(|h| h.get("hits"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            bad(format!(
                "GET {path}: no hits in the answer: {}",
                quote(&body)
            ))
        })?;
    let mut ids = HashSet::new();
    let mut dbs = HashSet::new();
    for h in hits {
        if let Some(id) = h.get("_id").and_then(Value::as_str) {
            ids.insert(id.to_string());
        }
        if let Some(db) = h.get("_source").and_then(doc_db) {
            dbs.insert(db.to_string());
        }
    }
    let arkime: HashSet<String> = seed_field_docs()
        .into_iter()
        .chain(capture_field_docs())
        .map(|(id, _)| id)
        .collect();
    let missing: Vec<(String, Value)> = field_docs(reg)
        .into_iter()
        .filter(|(id, doc)| {
            !ids.contains(id)
                && (arkime.contains(id) || !doc_db(doc).is_some_and(|d| dbs.contains(d)))
        })
        .collect();
    bulk_create(c, &format!("{prefix}fields"), &missing)
}

/// `create`s documents in one `_bulk` (refreshed before it answers); a document that
/// already exists is not an error. Gives how many were created.
fn bulk_create(c: &Client, index: &str, docs: &[(String, Value)]) -> Result<usize, ClusterError> {
    if docs.is_empty() {
        return Ok(0);
    }
    let mut nd = String::new();
    for (id, doc) in docs {
        nd.push_str(&json!({"create": {"_index": index, "_id": id}}).to_string());
        nd.push('\n');
        nd.push_str(&doc.to_string());
        nd.push('\n');
    }
    let path = "/_bulk?refresh=true";
    let body = c.ok("POST", path, Some(&Value::String(nd)))?;
    let items = body.get("items").and_then(Value::as_array).ok_or_else(|| {
        bad(format!(
            "POST {path} to {index}: no items in the answer: {}",
            quote(&body)
        ))
    })?;
    let mut written = 0;
    let mut failed = Vec::new();
    for it in items {
        let a = it.get("create").unwrap_or(it);
        match a.get("status").and_then(Value::as_u64) {
            Some(s) if (200..300).contains(&s) => written += 1,
            Some(409) => {}
            _ => failed.push(a),
        }
    }
    if let Some(first) = failed.first() {
        let id = first.get("_id").and_then(Value::as_str).unwrap_or("?");
        let reason = first
            .get("error")
            .map(|e| crate::client::error_reason(&json!({ "error": e }), &e.to_string()))
            .unwrap_or_default();
        return Err(bad(format!(
            "{} of {} documents were refused by {index} (first: {id}: {reason})",
            failed.len(),
            docs.len()
        )));
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------
// Templates

/// How `init` sizes the sessions indices (db.pl's `--shards`, `--replicas`,
/// `--shardsPerNode`, `--refresh`).
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// Shards per sessions index; db.pl's default is the number of data nodes, at
    /// most 24. More than the data nodes is refused, as db.pl does.
    pub shards: Option<u32>,
    /// Replicas per sessions index (default 0).
    pub replicas: u32,
    /// `routing.allocation.total_shards_per_node`: at least
    /// ceil(shards × (replicas + 1) / data nodes), whatever is asked; default 1.
    pub shards_per_node: Option<u32>,
    /// Sessions index `refresh_interval` in seconds (default 60).
    pub refresh_secs: u32,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            shards: None,
            replicas: 0,
            shards_per_node: None,
            refresh_secs: 60,
        }
    }
}

/// The sessions index settings a template carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionsSettings {
    /// `number_of_shards`.
    pub shards: u32,
    /// `number_of_replicas`.
    pub replicas: u32,
    /// `routing.allocation.total_shards_per_node`.
    pub shards_per_node: u32,
    /// `refresh_interval` in seconds.
    pub refresh_secs: u32,
}

impl SessionsSettings {
    /// The settings db.pl computes for `data_nodes` data nodes.
    pub fn compute(opts: &InitOptions, data_nodes: u32) -> Result<SessionsSettings, String> {
        let nodes = data_nodes.max(1);
        let shards = match opts.shards {
            Some(0) => return Err("--shards must be a positive number".into()),
            Some(s) if s > nodes => {
                return Err(format!(
                    "can't set shards ({s}) greater than the number of data nodes ({nodes})"
                ))
            }
            Some(s) => s,
            None => nodes.min(24),
        };
        let need = (shards * (opts.replicas + 1)).div_ceil(nodes);
        Ok(SessionsSettings {
            shards,
            replicas: opts.replicas,
            shards_per_node: opts.shards_per_node.unwrap_or(1).max(need),
            refresh_secs: opts.refresh_secs.max(1),
        })
    }
}

/// `<prefix>sessions3_template` as db.pl writes it.
pub fn sessions3_template(prefix: &str, s: &SessionsSettings) -> Result<Value, ClusterError> {
    let mut mapping = parse_embedded(SESSIONS3_MAPPING, "sessions3")?;
    if let Value::Object(m) = &mut mapping {
        m.insert(
            "_meta".into(),
            json!({"molochDbVersion": DB_VERSION, "arkimeDbVersion": DB_VERSION}),
        );
    }
    Ok(json!({
        "index_patterns": sessions_pattern(prefix),
        "settings": {
            "index": {
                "routing.allocation.total_shards_per_node": s.shards_per_node,
                "refresh_interval": format!("{}s", s.refresh_secs),
                "number_of_shards": s.shards,
                "number_of_replicas": s.replicas,
                "analysis": {
                    "analyzer": {
                        "wordSplit": {
                            "type": "custom",
                            "tokenizer": "pattern",
                            "filter": ["lowercase"]
                        }
                    }
                }
            }
        },
        "mappings": mapping,
        "order": 99
    }))
}

/// `<prefix>sessions3_ecs_template` as db.pl writes it (ECS 1.10's mapping, trimmed by
/// Arkime).
pub fn sessions3_ecs_template(prefix: &str, refresh_secs: u32) -> Result<Value, ClusterError> {
    Ok(json!({
        "index_patterns": sessions_pattern(prefix),
        "mappings": parse_embedded(SESSIONS3_ECS_MAPPING, "sessions3 ECS")?,
        "order": 1,
        "settings": {
            "index": {
                "mapping": {"total_fields": {"limit": 10000}},
                "refresh_interval": format!("{refresh_secs}s")
            }
        }
    }))
}

/// `<prefix>history_v1_template` as db.pl writes it.
pub fn history_template(prefix: &str) -> Result<Value, ClusterError> {
    Ok(json!({
        "index_patterns": history_pattern(prefix),
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": 0,
            "auto_expand_replicas": "0-1"
        },
        "mappings": parse_embedded(HISTORY_MAPPING, "history")?
    }))
}

/// The sessions settings the cluster's `<prefix>sessions3_template` has, if any.
pub fn template_settings(
    c: &Client,
    prefix: &str,
) -> Result<Option<SessionsSettings>, ClusterError> {
    let name = format!("{prefix}sessions3_template");
    let Some(body) = c.get_opt(&format!("/_template/{}?flat_settings=true", enc(&name)))? else {
        return Ok(None);
    };
    let Some(s) = body.get(&name).and_then(|t| t.get("settings")) else {
        return Ok(None);
    };
    let num = |k: &str| -> Option<u32> {
        match s.get(k)? {
            Value::String(v) => v.trim_end_matches('s').parse().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        }
    };
    Ok(Some(SessionsSettings {
        shards: num("index.number_of_shards").unwrap_or(1),
        replicas: num("index.number_of_replicas").unwrap_or(0),
        shards_per_node: num("index.routing.allocation.total_shards_per_node").unwrap_or(1),
        refresh_secs: num("index.refresh_interval").unwrap_or(60),
    }))
}

// ---------------------------------------------------------------------------------
// init and wipe

/// The server `GET /` describes.
#[derive(Clone, Debug, Default)]
pub struct Server {
    /// `cluster_name`.
    pub cluster_name: String,
    /// `opensearch` or `elasticsearch`.
    pub distribution: String,
    /// `version.number`.
    pub version: String,
}

/// `GET /`: who answers, refusing what Arkime does not support (OpenSearch before 1.0,
/// Elasticsearch before 7.10).
pub fn server(c: &Client) -> Result<Server, ClusterError> {
    let b = c.get("/")?;
    let version = b
        .get("version")
        .and_then(|v| v.get("number"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            bad(format!(
                "GET / at {}: no version.number in {}",
                c.urls().join(","),
                quote(&b)
            ))
        })?
        .to_string();
    let distribution = b
        .get("version")
        .and_then(|v| v.get("distribution"))
        .and_then(Value::as_str)
        .unwrap_or("elasticsearch")
        .to_string();
    let mut parts = version
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let ok = if distribution == "opensearch" {
        major >= 1
    } else {
        (major, minor) >= (7, 10)
    };
    if !ok {
        return Err(bad(format!(
            "{} {version} at {} is not supported by Arkime (OpenSearch 1.0 or newer, Elasticsearch 7.10 or newer)",
            distribution,
            c.urls().join(",")
        )));
    }
    Ok(Server {
        cluster_name: b
            .get("cluster_name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        distribution,
        version,
    })
}

/// The number of data nodes (role `data` or `data_hot`), as db.pl counts them.
pub fn data_nodes(c: &Client) -> Result<u32, ClusterError> {
    let b = c.get("/_nodes?filter_path=nodes.*.roles")?;
    let nodes = b
        .get("nodes")
        .and_then(Value::as_object)
        .ok_or_else(|| bad(format!("GET /_nodes: no nodes in {}", quote(&b))))?;
    let n = nodes
        .values()
        .filter(|n| {
            n.get("roles").and_then(Value::as_array).is_some_and(|r| {
                r.iter()
                    .any(|r| matches!(r.as_str(), Some("data" | "data_hot")))
            })
        })
        .count();
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// What `init` did.
#[derive(Clone, Debug, Default)]
pub struct InitReport {
    /// Indices deleted first (the prefix's old layout, sessions and history).
    pub deleted: Vec<String>,
    /// Admin indices created (concrete names).
    pub created: Vec<String>,
    /// Templates written.
    pub templates: Vec<String>,
    /// Field documents written.
    pub fields: usize,
    /// Data nodes seen.
    pub data_nodes: u32,
    /// The sessions template's settings.
    pub sessions: Option<SessionsSettings>,
}

/// Lays the cluster out as db.pl `init` does: erases whatever `prefix` had (every
/// admin index including users, the sessions and history indices, the templates),
/// then creates the admin indices with their aliases, the three templates, and the
/// `fields` documents (db.pl's seed and those of `reg`). The caller asks before
/// erasing an initialized prefix ([`db_version`]).
pub fn init(
    c: &Client,
    prefix: &str,
    reg: &FieldRegistry,
    opts: &InitOptions,
) -> Result<InitReport, ClusterError> {
    server(c)?;
    let nodes = data_nodes(c)?;
    let settings = SessionsSettings::compute(opts, nodes).map_err(bad)?;
    let mut report = InitReport {
        data_nodes: nodes,
        ..InitReport::default()
    };
    report.deleted = erase(c, prefix, false)?;
    report.created = create_admin(c, prefix, false)?;
    report.templates = put_templates(c, prefix, &settings)?;
    report.sessions = Some(settings);
    report.fields = put_fields(c, prefix, reg)?;
    refresh(c, prefix)?;
    Ok(report)
}

/// What `wipe` did.
#[derive(Clone, Debug, Default)]
pub struct WipeReport {
    /// Indices deleted.
    pub deleted: Vec<String>,
    /// Admin indices recreated (empty, `fields` with db.pl's seed).
    pub recreated: Vec<String>,
    /// User data kept: users, saved queries, parliament and configs.
    pub kept: Vec<String>,
}

/// db.pl `wipe`: deletes all session data (sessions and history indices, and the
/// sequence, files, stats, dstats, fields, hunts, lookups, notifiers, views and
/// shareables indices) and recreates those empty, keeping users, saved queries,
/// parliament and configs. As db.pl, only on a schema at [`DB_VERSION`]. The fields
/// index gets db.pl's seed again; capture adds its own fields when it starts. The
/// sessions template keeps its shard settings.
pub fn wipe(c: &Client, prefix: &str) -> Result<WipeReport, ClusterError> {
    match db_version(c, prefix)? {
        Some(DB_VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "wipe needs the schema at version {DB_VERSION}, the prefix '{prefix}' is at {v}: upgrade it with Arkime's db.pl first"
            )))
        }
        None => {
            return Err(bad(format!(
                "the prefix '{prefix}' at {} was never initialized: nothing to wipe",
                c.urls().join(",")
            )))
        }
    }
    let settings = match template_settings(c, prefix)? {
        Some(s) => s,
        None => SessionsSettings::compute(&InitOptions::default(), data_nodes(c)?).map_err(bad)?,
    };
    let deleted = erase(c, prefix, true)?;
    let recreated = create_admin(c, prefix, true)?;
    put_templates(c, prefix, &settings)?;
    let seed = seed_field_docs();
    bulk_create(c, &format!("{prefix}fields"), &seed)?;
    refresh(c, prefix)?;
    let kept = ADMIN_INDICES
        .iter()
        .filter(|a| a.user_data)
        .map(|a| format!("{prefix}{}", a.versioned()))
        .collect();
    Ok(WipeReport {
        deleted,
        recreated,
        kept,
    })
}

/// The concrete indices some names and patterns resolve to (aliases resolve to their
/// indices; closed and hidden ones included).
fn concrete(c: &Client, names: &[String]) -> Result<Vec<String>, ClusterError> {
    let mut out = Vec::new();
    for chunk in names.chunks(50) {
        let list = chunk
            .iter()
            .map(|n| enc_list(n))
            .collect::<Vec<_>>()
            .join(",");
        let path = format!(
            "/{list}/_settings/index.uuid?ignore_unavailable=true&allow_no_indices=true&expand_wildcards=all"
        );
        let b = c.get(&path)?;
        if let Value::Object(m) = b {
            out.extend(m.keys().cloned());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// An index name or pattern in a URL path: `*` kept.
fn enc_list(s: &str) -> String {
    s.split('*').map(enc).collect::<Vec<_>>().join("*")
}

/// Deletes concrete indices, 100 names a request as db.pl does.
fn delete_indices(c: &Client, names: &[String]) -> Result<(), ClusterError> {
    for chunk in names.chunks(100) {
        let list = chunk.iter().map(|n| enc(n)).collect::<Vec<_>>().join(",");
        c.delete(&format!("/{list}?ignore_unavailable=true"))?;
    }
    Ok(())
}

/// Deletes the prefix's layout: the admin indices (without the user data ones when
/// `keep_user_data`), also a concrete index where an alias should be, the sessions
/// and history indices, and the templates. Gives the indices deleted.
fn erase(c: &Client, prefix: &str, keep_user_data: bool) -> Result<Vec<String>, ClusterError> {
    let mut names = Vec::new();
    for a in ADMIN_INDICES
        .iter()
        .filter(|a| !(keep_user_data && a.user_data))
    {
        names.push(format!("{prefix}{}", a.versioned()));
        names.push(format!("{prefix}{}", a.alias));
    }
    names.push(sessions_pattern(prefix));
    names.push(history_pattern(prefix));
    let mut found = concrete(c, &names)?;
    if keep_user_data {
        // An alias of a kept index must not take it along.
        let keep: HashSet<String> = ADMIN_INDICES
            .iter()
            .filter(|a| a.user_data)
            .map(|a| format!("{prefix}{}", a.versioned()))
            .collect();
        found.retain(|n| !keep.contains(n));
    }
    delete_indices(c, &found)?;
    for t in TEMPLATES {
        c.delete(&format!("/_template/{}", enc(&format!("{prefix}{t}"))))?;
    }
    Ok(found)
}

/// Creates the admin indices (only those not user data when `skip_user_data`) with
/// settings, mapping and alias in one request each. Gives the names created.
fn create_admin(
    c: &Client,
    prefix: &str,
    skip_user_data: bool,
) -> Result<Vec<String>, ClusterError> {
    let mut created = Vec::new();
    for a in ADMIN_INDICES
        .iter()
        .filter(|a| !(skip_user_data && a.user_data))
    {
        let name = format!("{prefix}{}", a.versioned());
        let mut aliases = Map::new();
        aliases.insert(format!("{prefix}{}", a.alias), json!({}));
        let body = json!({
            "settings": {
                "index.priority": a.priority,
                "number_of_shards": a.shards,
                "number_of_replicas": 0,
                "auto_expand_replicas": "0-3"
            },
            "mappings": a.mapping()?,
            "aliases": aliases,
        });
        c.put(&format!("/{}", enc(&name)), &body)?;
        created.push(name);
    }
    Ok(created)
}

fn put_templates(
    c: &Client,
    prefix: &str,
    s: &SessionsSettings,
) -> Result<Vec<String>, ClusterError> {
    let bodies = [
        sessions3_template(prefix, s)?,
        sessions3_ecs_template(prefix, s.refresh_secs)?,
        history_template(prefix)?,
    ];
    let mut out = Vec::new();
    for (t, body) in TEMPLATES.iter().zip(bodies) {
        let name = format!("{prefix}{t}");
        c.put(&format!("/_template/{}", enc(&name)), &body)?;
        out.push(name);
    }
    Ok(out)
}

fn refresh(c: &Client, prefix: &str) -> Result<(), ClusterError> {
    let names: Vec<String> = ADMIN_INDICES
        .iter()
        .map(|a| enc(&format!("{prefix}{}", a.versioned())))
        .collect();
    c.ok(
        "POST",
        &format!("/{}/_refresh?ignore_unavailable=true", names.join(",")),
        None,
    )
    .map(|_| ())
}

// ---------------------------------------------------------------------------------
// info

/// One index: name, documents, primary store bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexInfo {
    /// Index name.
    pub name: String,
    /// Documents (primaries).
    pub docs: u64,
    /// Bytes of the primaries on disk.
    pub bytes: u64,
    /// `green`, `yellow`, `red` (empty for a closed index).
    pub health: String,
}

/// What `db info` shows.
#[derive(Clone, Debug, Default)]
pub struct ClusterInfo {
    /// The server.
    pub server: Server,
    /// Data nodes.
    pub data_nodes: u32,
    /// The schema version (`None`: never initialized).
    pub db_version: Option<u32>,
    /// The sessions template's settings.
    pub sessions_settings: Option<SessionsSettings>,
    /// `<prefix>sessions3-*`, by name.
    pub sessions: Vec<IndexInfo>,
    /// `<prefix>history_v1-*`, by name.
    pub history: Vec<IndexInfo>,
    /// The admin indices present, in [`ADMIN_INDICES`] order.
    pub admin: Vec<IndexInfo>,
    /// Other indices with the prefix (none listed when the prefix is empty).
    pub other: Vec<IndexInfo>,
}

fn cat_num(v: Option<&Value>) -> u64 {
    match v {
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// The prefix's indices with their documents and sizes, the schema version and the
/// sessions template's settings.
pub fn info(c: &Client, prefix: &str) -> Result<ClusterInfo, ClusterError> {
    let server = server(c)?;
    let data_nodes = data_nodes(c)?;
    let db_version = db_version(c, prefix)?;
    let sessions_settings = template_settings(c, prefix)?;
    let path = format!(
        "/_cat/indices/{}*?format=json&bytes=b&h=index,health,docs.count,pri.store.size&expand_wildcards=all",
        enc(prefix)
    );
    let rows = c.get(&path)?;
    let rows = rows
        .as_array()
        .ok_or_else(|| bad(format!("GET {path}: not a list: {}", quote(&rows))))?;
    let mut all: Vec<IndexInfo> = rows
        .iter()
        .filter_map(|r| {
            Some(IndexInfo {
                name: r.get("index")?.as_str()?.to_string(),
                docs: cat_num(r.get("docs.count")),
                bytes: cat_num(r.get("pri.store.size")),
                health: r
                    .get("health")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            })
        })
        .filter(|i| !i.name.starts_with('.'))
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = ClusterInfo {
        server,
        data_nodes,
        db_version,
        sessions_settings,
        ..ClusterInfo::default()
    };
    let s3 = format!("{prefix}sessions3-");
    let h1 = format!("{prefix}history_v1-");
    let admin_names: Vec<String> = ADMIN_INDICES
        .iter()
        .map(|a| format!("{prefix}{}", a.versioned()))
        .collect();
    for n in &admin_names {
        if let Some(i) = all.iter().find(|i| &i.name == n) {
            out.admin.push(i.clone());
        }
    }
    for i in all {
        if i.name.starts_with(&s3) {
            out.sessions.push(i);
        } else if i.name.starts_with(&h1) {
            out.history.push(i);
        } else if !prefix.is_empty() && !admin_names.contains(&i.name) {
            out.other.push(i);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// expire

/// The `rotateIndex` kinds and their index name suffixes.
pub const ROTATE_KINDS: [&str; 10] = [
    "hourly", "hourly2", "hourly3", "hourly4", "hourly6", "hourly8", "hourly12", "daily", "weekly",
    "monthly",
];

/// The suffix of the sessions index capture writes at `secs` (unix seconds, UTC) with
/// `rotateIndex=kind`: `YYMMDD` daily, `YYMMDDhHH` hourly (HH rounded down to a
/// multiple of N for hourlyN), `YYwWW` weekly (WW = day of the year / 7),
/// `YYmMM` monthly. `None` for an unknown kind.
pub fn time2index(kind: &str, secs: i64) -> Option<String> {
    let t = Utc.timestamp_opt(secs, 0).single()?;
    let yy = t.year().rem_euclid(100);
    let (mo, d, h) = (t.month(), t.day(), t.hour());
    Some(match kind {
        "daily" => format!("{yy:02}{mo:02}{d:02}"),
        "weekly" => format!("{yy:02}w{:02}", t.ordinal0() / 7),
        "monthly" => format!("{yy:02}m{mo:02}"),
        "hourly" => format!("{yy:02}{mo:02}{d:02}h{h:02}"),
        k => {
            let n: u32 = k.strip_prefix("hourly")?.parse().ok()?;
            if ![2, 3, 4, 6, 8, 12].contains(&n) {
                return None;
            }
            format!("{yy:02}{mo:02}{d:02}h{:02}", h / n * n)
        }
    })
}

fn digits(s: &str, at: usize, len: usize) -> Option<u32> {
    let p = s.get(at..at + len)?;
    if p.bytes().all(|b| b.is_ascii_digit()) {
        p.parse().ok()
    } else {
        None
    }
}

/// The time (unix seconds) db.pl's index2time gives a sessions index suffix, which
/// expire compares with the cut-off: the last second of the day (daily) or hour
/// (hourly), 23:59:59 on the 28th (monthly), 23:59:59 on the fourth day of the week
/// (weekly). Only the leading date counts (`250101-shrink` is daily); a suffix not
/// starting with one of these forms gives `None`.
pub fn index_time(suffix: &str) -> Option<i64> {
    let yy = i32::try_from(digits(suffix, 0, 2)?).ok()?;
    let year = if yy < 50 { 2000 + yy } else { 1900 + yy };
    let b = suffix.as_bytes();
    let rest_ok = |n: usize| suffix.len() == n || b.get(n) == Some(&b'-');
    let end_of = |date: NaiveDate, hour: u32| -> Option<i64> {
        Some(date.and_hms_opt(hour, 59, 59)?.and_utc().timestamp())
    };
    match b.get(2) {
        Some(b'm') => {
            let mo = digits(suffix, 3, 2)?;
            rest_ok(5).then_some(())?;
            end_of(NaiveDate::from_ymd_opt(year, mo, 28)?, 23)
        }
        Some(b'w') => {
            let w = digits(suffix, 3, 2)?;
            rest_ok(5).then_some(())?;
            let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
            end_of(jan1 + Days::days(i64::from(w) * 7 + 2), 23)
        }
        _ => {
            let mo = digits(suffix, 2, 2)?;
            let d = digits(suffix, 4, 2)?;
            let date = NaiveDate::from_ymd_opt(year, mo, d)?;
            if b.get(6) == Some(&b'h') {
                let h = digits(suffix, 7, 2)?;
                rest_ok(9).then_some(())?;
                end_of(date, h)
            } else {
                rest_ok(6).then_some(())?;
                end_of(date, 23)
            }
        }
    }
}

/// The sessions indices [`expire`] would delete from `names`: those whose
/// [`index_time`] is more than `days` before `now_ms`, never one capture is writing
/// now (the current index of any `rotateIndex` kind) and never a name it cannot read.
pub fn expired(prefix: &str, names: &[String], days: f64, now_ms: i64) -> Vec<String> {
    let now = now_ms.div_euclid(1000);
    let cutoff = now - (days * 86_400.0) as i64;
    let s3 = format!("{prefix}sessions3-");
    let current: HashSet<String> = ROTATE_KINDS
        .iter()
        .filter_map(|k| time2index(k, now))
        .collect();
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| {
            let Some(suffix) = n.strip_prefix(&s3) else {
                return false;
            };
            !current.contains(suffix) && index_time(suffix).is_some_and(|t| t < cutoff)
        })
        .cloned()
        .collect();
    out.sort();
    out
}

/// Deletes whole `<prefix>sessions3-*` indices older than `days` (see [`expired`]).
/// Gives the indices deleted.
pub fn expire(
    c: &Client,
    prefix: &str,
    days: f64,
    now_ms: i64,
) -> Result<Vec<String>, ClusterError> {
    if days.is_nan() || days < 0.0 {
        return Err(bad(format!("expire: days must be 0 or more, not {days}")));
    }
    let names = concrete(c, &[sessions_pattern(prefix)])?;
    let gone = expired(prefix, &names, days, now_ms);
    delete_indices(c, &gone)?;
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_mappings_parse() {
        for a in ADMIN_INDICES {
            let m = a.mapping().unwrap();
            assert!(m.is_object(), "{}", a.alias);
        }
        let t = sessions3_template(
            "arkime_",
            &SessionsSettings::compute(&InitOptions::default(), 1).unwrap(),
        )
        .unwrap();
        assert_eq!(t["order"], 99);
        assert_eq!(t["index_patterns"], "arkime_sessions3-*");
        assert_eq!(t["mappings"]["_meta"]["molochDbVersion"], 86);
        assert_eq!(t["settings"]["index"]["refresh_interval"], "60s");
        assert_eq!(
            t["settings"]["index"]["analysis"]["analyzer"]["wordSplit"]["tokenizer"],
            "pattern"
        );
        let dt = t["mappings"]["dynamic_templates"].as_array().unwrap();
        let names: Vec<&str> = dt
            .iter()
            .filter_map(|d| d.as_object()?.keys().next().map(String::as_str))
            .collect();
        assert_eq!(
            names,
            [
                "template_ip_end",
                "template_ip_alone",
                "template_word_split",
                "template_string"
            ]
        );
        let p = &t["mappings"]["properties"];
        assert_eq!(p["firstPacket"]["type"], "date");
        assert_eq!(p["packetRange"]["type"], "date_range");
        assert_eq!(p["node"]["type"], "keyword");
        assert_eq!(p["packetPos"]["index"], false);
        let e = sessions3_ecs_template("x_", 60).unwrap();
        assert_eq!(e["order"], 1);
        assert_eq!(
            e["mappings"]["properties"]["source"]["properties"]["ip"]["type"],
            "ip"
        );
        assert_eq!(
            e["settings"]["index"]["mapping"]["total_fields"]["limit"],
            10000
        );
        let h = history_template("x_").unwrap();
        assert_eq!(h["index_patterns"], "x_history_v1-*");
        assert_eq!(
            h["mappings"]["properties"]["timestamp"]["format"],
            "epoch_second"
        );
    }

    #[test]
    fn admin_names_and_mappings() {
        let names: Vec<String> = ADMIN_INDICES.iter().map(AdminIndex::versioned).collect();
        assert_eq!(
            names,
            [
                "sequence_v30",
                "files_v30",
                "stats_v30",
                "dstats_v30",
                "fields_v30",
                "hunts_v30",
                "lookups_v30",
                "notifiers_v40",
                "views_v40",
                "shareables_v60",
                "users_v30",
                "queries_v30",
                "parliament_v50",
                "configs_v50"
            ]
        );
        let by = |n: &str| {
            ADMIN_INDICES
                .iter()
                .find(|a| a.alias == n)
                .unwrap()
                .mapping()
                .unwrap()
        };
        assert_eq!(by("files")["properties"]["name"]["type"], "keyword");
        assert_eq!(by("files")["properties"]["num"]["type"], "long");
        assert_eq!(
            by("stats")["properties"]["currentTime"]["format"],
            "epoch_second"
        );
        assert_eq!(by("dstats")["properties"]["interval"]["type"], "short");
        assert_eq!(by("sequence")["_source"]["enabled"], "false");
        assert_eq!(by("users")["properties"]["totpSecret"]["type"], "keyword");
        assert_eq!(by("configs")["enabled"], "false");
    }

    #[test]
    fn seed_fields() {
        let seed = seed_field_docs();
        assert_eq!(seed.len(), 47);
        let get = |id: &str| seed.iter().find(|(i, _)| i == id).unwrap().1.clone();
        assert_eq!(get("ip.src")["fieldECS"], "source.ip");
        assert_eq!(get("ip.src")["dbField2"], "srcIp");
        assert_eq!(get("ip.src")["portField2"], "srcPort");
        assert_eq!(
            get("port")["regex"],
            r"(^port\.(?:(?!\.cnt$).)*$|\.port$|Port$)"
        );
        assert_eq!(get("starttime")["type2"], "date");
        let cap = capture_field_docs();
        assert_eq!(cap.len(), 30);
        let mac = cap.iter().find(|(i, _)| i == "mac").unwrap();
        assert_eq!(mac.1["regex"], r"^mac\.(?:(?!\.cnt$).)*$");
        assert_eq!(mac.1["transform"], "dash2Colon");
    }

    fn reg() -> FieldRegistry {
        let mut r = FieldRegistry::new();
        let h = r.define(
            "http",
            "lotermfield",
            "host.http",
            "Hostname",
            "http.host",
            "HTTP host header field",
            FieldType::StrHash,
            flags::CNT,
        );
        r.set_category(h, "host");
        r.define(
            "http",
            "ip",
            "ip.xff",
            "HTTP XFF IP",
            "http.xffIp",
            "X-Forwarded-For Header",
            FieldType::IpGHash,
            flags::CNT,
        );
        r.define(
            "general",
            "ip",
            "outerip.src",
            "Src Outer IP",
            "srcOuterIp",
            "Source outer ip for session",
            FieldType::IpGHash,
            flags::CNT,
        );
        r.define(
            "general",
            "ip",
            "ip.src",
            "ip.src",
            "source.ip",
            "",
            FieldType::Int,
            flags::FAKE,
        );
        r.define(
            "general",
            "integer",
            "tcpflags.syn",
            "tcpflags.syn",
            "tcpflags.syn",
            "",
            FieldType::Int,
            flags::FAKE,
        );
        r.define(
            "x",
            "termfield",
            "x.hidden",
            "X",
            "x.hidden",
            "h",
            FieldType::StrHash,
            flags::NODB,
        );
        r.define(
            "vlan",
            "integer",
            "vlan",
            "VLan",
            "network.vlan.id",
            "vlan",
            FieldType::IntArrayUnique,
            flags::ECS_CNT,
        );
        r
    }

    #[test]
    fn field_doc_shapes() {
        let r = reg();
        let def = |e: &str| r.get(r.by_expression(e).unwrap()).unwrap();
        let (id, d) = field_doc(def("host.http"));
        assert_eq!(id, "host.http");
        assert_eq!(
            d,
            json!({"friendlyName": "Hostname", "group": "http", "help": "HTTP host header field",
                   "dbField2": "http.host", "type": "lotermfield", "category": "host"})
        );
        // Arkime's own documents win over trawl's placeholders.
        let (id, d) = field_doc(def("ip.src"));
        assert_eq!(
            (id.as_str(), &d["friendlyName"]),
            ("ip.src", &json!("Src IP"))
        );
        assert_eq!(
            field_doc(def("tcpflags.syn")).1["friendlyName"],
            "TCP Flag SYN"
        );

        let docs = field_docs(&r);
        let get = |id: &str| docs.iter().find(|(i, _)| i == id).map(|(_, d)| d.clone());
        assert_eq!(
            get("host.http.cnt").unwrap(),
            json!({"friendlyName": "Hostname Cnt", "group": "http", "help": "Unique number of HTTP host header field",
                   "dbField2": "http.hostCnt", "type": "integer"})
        );
        assert_eq!(get("vlan.cnt").unwrap()["dbField2"], "network.vlan.id-cnt");
        assert_eq!(get("country.xff").unwrap()["dbField2"], "http.xffGEO");
        assert_eq!(get("country.xff").unwrap()["friendlyName"], "HTTP XFF  GEO");
        assert_eq!(get("asn.xff").unwrap()["type"], "termfield");
        assert_eq!(get("rir.xff").unwrap()["dbField2"], "http.xffRIR");
        assert_eq!(
            get("outerip.src.country").unwrap()["dbField2"],
            "srcOuterGEO"
        );
        assert!(get("x.hidden").is_none());
        // One document per id.
        let mut ids: Vec<&str> = docs.iter().map(|(i, _)| i.as_str()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        // Every seed and capture document is there, even two on one database name.
        for (id, _) in seed_field_docs().into_iter().chain(capture_field_docs()) {
            assert!(get(&id).is_some(), "{id}");
        }
        assert!(get("payload8.src.utf8").is_some());
        // ip.src is db.pl's seed document, not a second one for source.ip.
        assert_eq!(
            docs.iter()
                .filter(|(_, d)| doc_db(d) == Some("source.ip"))
                .count(),
            1
        );
    }

    fn ts(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn index_names_and_times() {
        let t = ts("2026-12-03T17:42:10Z");
        assert_eq!(time2index("daily", t).unwrap(), "261203");
        assert_eq!(time2index("hourly", t).unwrap(), "261203h17");
        assert_eq!(time2index("hourly6", t).unwrap(), "261203h12");
        assert_eq!(time2index("hourly12", t).unwrap(), "261203h12");
        assert_eq!(time2index("monthly", t).unwrap(), "26m12");
        // Day 337 of the year (0-based 336) → week 48.
        assert_eq!(time2index("weekly", t).unwrap(), "26w48");
        assert_eq!(time2index("hourly5", t), None);
        assert_eq!(time2index("yearly", t), None);

        assert_eq!(index_time("261203"), Some(ts("2026-12-03T23:59:59Z")));
        assert_eq!(index_time("261203h17"), Some(ts("2026-12-03T17:59:59Z")));
        assert_eq!(index_time("26m12"), Some(ts("2026-12-28T23:59:59Z")));
        assert_eq!(index_time("26w00"), Some(ts("2026-01-03T23:59:59Z")));
        assert_eq!(index_time("26w48"), Some(ts("2026-12-05T23:59:59Z")));
        assert_eq!(index_time("991231"), Some(ts("1999-12-31T23:59:59Z")));
        assert_eq!(
            index_time("250101-shrink"),
            Some(ts("2025-01-01T23:59:59Z"))
        );
        for bad in [
            "", "26", "2612", "261303", "261232", "261203h", "261203x", "26m1", "abcdef", "2612031",
        ] {
            assert_eq!(index_time(bad), None, "{bad}");
        }
        // Every name time2index makes is read back at or after its own time.
        for k in ROTATE_KINDS {
            let s = time2index(k, t).unwrap();
            let back = index_time(&s).unwrap();
            assert!(back >= t - 7 * 86_400, "{k} {s}");
        }
    }

    #[test]
    fn expire_choice() {
        let now = ts("2026-12-03T12:00:00Z") * 1000;
        let names: Vec<String> = [
            "p_sessions3-261203",
            "p_sessions3-261202",
            "p_sessions3-261130",
            "p_sessions3-261101h05",
            "p_sessions3-26m10",
            "p_sessions3-26w48",
            "p_sessions3-26m12",
            "p_sessions3-251231-shrink",
            "p_sessions3-garbage",
            "q_sessions3-200101",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            expired("p_", &names, 2.0, now),
            [
                "p_sessions3-251231-shrink",
                "p_sessions3-261101h05",
                "p_sessions3-261130",
                "p_sessions3-26m10",
            ]
        );
        // 0 days: everything before now, but never the current index of any kind.
        assert_eq!(
            expired("p_", &names, 0.0, now),
            [
                "p_sessions3-251231-shrink",
                "p_sessions3-261101h05",
                "p_sessions3-261130",
                "p_sessions3-261202",
                "p_sessions3-26m10",
            ]
        );
        assert!(expired("p_", &names, 10_000.0, now).is_empty());
    }

    #[test]
    fn settings_as_db_pl() {
        let d = InitOptions::default();
        assert_eq!(
            SessionsSettings::compute(&d, 1).unwrap(),
            SessionsSettings {
                shards: 1,
                replicas: 0,
                shards_per_node: 1,
                refresh_secs: 60
            }
        );
        assert_eq!(SessionsSettings::compute(&d, 30).unwrap().shards, 24);
        let o = InitOptions {
            shards: Some(3),
            replicas: 1,
            ..d.clone()
        };
        assert_eq!(SessionsSettings::compute(&o, 4).unwrap().shards_per_node, 2);
        assert!(SessionsSettings::compute(&o, 2)
            .unwrap_err()
            .contains("greater than"));
        let o = InitOptions {
            shards: Some(0),
            ..d
        };
        assert!(SessionsSettings::compute(&o, 2).is_err());
    }

    #[test]
    fn prefixes() {
        assert_eq!(normalize_prefix("arkime").unwrap(), "arkime_");
        assert_eq!(normalize_prefix("arkime_").unwrap(), "arkime_");
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert!(normalize_prefix(&"a".repeat(51)).is_err());
        assert!(normalize_prefix("Big").is_err());
        assert!(normalize_prefix("a/b").is_err());
        assert_eq!(sessions_pattern("arkime_"), "arkime_sessions3-*");
        assert_eq!(enc("fn-node 1/x"), "fn-node%201%2Fx");
        assert_eq!(enc_list("a b*"), "a%20b*");
    }
}
