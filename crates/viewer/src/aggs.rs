//! What Arkime asks Elasticsearch to aggregate, computed over the matching session
//! documents as a search streams them: the timeline histogram with its packet and
//! byte sums (`graph`), the country counts (`map`), terms of a field (SPI view,
//! unique, SPI graph) and the source → destination graph (connections). One pass
//! over the documents feeds every aggregation a request asks for.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value};

/// The sums each histogram bucket keeps besides its count, in Arkime's names (also
/// the counts a default row of `/api/sessions` always has).
pub const SUMS: [&str; 6] = [
    "source.packets",
    "destination.packets",
    "source.bytes",
    "destination.bytes",
    "client.bytes",
    "server.bytes",
];

/// The top-level key of the document that holds `field` (a dotted database name or
/// an address-and-port pseudo field).
pub fn top_key(field: &str) -> String {
    if let Some(side) = combo(field) {
        return side.to_string();
    }
    field.split('.').next().unwrap_or(field).to_string()
}

/// The top-level keys the graph, the map and the connections read.
pub const GRAPH_KEYS: [&str; 7] = [
    "firstPacket",
    "lastPacket",
    "@timestamp",
    "source",
    "destination",
    "client",
    "server",
];
pub const MAP_KEYS: [&str; 3] = ["source", "destination", "http"];
pub const CONN_KEYS: [&str; 2] = ["network", "totDataBytes"];

/// Parses only the top-level members of the JSON object `src` that `keys` names,
/// skipping the others without building them (a session document is mostly values
/// an aggregation does not read). `Null` when it is not an object.
pub fn parse_only(src: &str, keys: &[String]) -> Value {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Only<'a>(&'a [String]);
    impl<'de> Visitor<'de> for Only<'_> {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(k) = m.next_key::<String>()? {
                if self.0.contains(&k) {
                    out.insert(k, m.next_value::<Value>()?);
                } else {
                    m.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Value::Object(out))
        }
    }
    impl<'de> DeserializeSeed<'de> for Only<'_> {
        type Value = Value;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_str(src);
    Only(keys).deserialize(&mut de).unwrap_or_default()
}

/// The value at a dotted path of a document (the first one, for an array).
pub fn first_at<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for part in path.split('.') {
        cur = match cur {
            Value::Array(a) => a.first()?.get(part)?,
            v => v.get(part)?,
        };
    }
    match cur {
        Value::Array(a) => a.first(),
        v => Some(v),
    }
}

/// The value at a dotted path as it is written (array or not).
pub fn raw_at<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn number_at(doc: &Value, path: &str) -> f64 {
    first_at(doc, path).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Every value at a dotted path, arrays flattened, each kept as JSON (numbers stay
/// numbers). The pseudo fields `ip.src:port.src`-like (`source.ip:source.port`,
/// `ip.dst:port`) join an address and its port as Arkime does (`.` after IPv6).
pub fn values(doc: &Value, path: &str) -> Vec<Value> {
    if let Some(side) = combo(path) {
        let ip = first_at(doc, &format!("{side}.ip")).and_then(Value::as_str);
        let port = first_at(doc, &format!("{side}.port"));
        return match (ip, port) {
            (Some(ip), Some(port)) => {
                let sep = if ip.contains(':') { '.' } else { ':' };
                vec![Value::String(format!("{ip}{sep}{port}"))]
            }
            _ => Vec::new(),
        };
    }
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    leaves_at(doc, &parts, &mut out);
    out
}

/// Every value under the path `parts` of `v`, arrays flattened. A key may itself
/// hold dots (`{"test": {"string.snow": …}}`), as Elasticsearch reads such a
/// document's `test.string.snow`.
fn leaves_at(v: &Value, parts: &[&str], out: &mut Vec<Value>) {
    match v {
        Value::Array(a) => {
            for x in a {
                leaves_at(x, parts, out);
            }
        }
        Value::Null => {}
        _ if parts.is_empty() => out.push(v.clone()),
        Value::Object(m) => {
            for i in 1..=parts.len() {
                let key = if i == 1 {
                    std::borrow::Cow::Borrowed(parts[0])
                } else {
                    std::borrow::Cow::Owned(parts[..i].join("."))
                };
                if let Some(x) = m.get(key.as_ref()) {
                    leaves_at(x, &parts[i..], out);
                }
            }
        }
        _ => {}
    }
}

/// Whether `field` is an address-and-port pseudo field (no field of the store).
pub fn is_pseudo(field: &str) -> bool {
    combo(field).is_some()
}

/// The store's aggregation of the histogram `g` draws, with [`SUMS`].
pub fn histo_request(g: &Graph) -> trawl_store::aggs::HistoRequest {
    let (field, interval_ms) = g.shape();
    trawl_store::aggs::HistoRequest {
        field: field.to_string(),
        interval_ms,
        sums: SUMS.iter().map(|s| s.to_string()).collect(),
    }
}

/// Adds the histogram a source aggregated to `g`.
pub fn add_histogram(g: &mut Graph, a: &trawl_store::aggs::AggAnswer) {
    for (k, (n, sums)) in &a.histogram {
        g.add_bucket(*k, *n, sums);
    }
}

/// `source` or `destination` for the address-and-port pseudo fields.
fn combo(path: &str) -> Option<&'static str> {
    match path {
        "ip.src:port.src" | "source.ip:source.port" | "a1:p1" | "ip.src:source.port" => {
            Some("source")
        }
        "ip.dst:port.dst"
        | "destination.ip:destination.port"
        | "a2:p2"
        | "ip.dst:port"
        | "ip.dst:destination.port" => Some("destination"),
        _ => None,
    }
}

/// A value as the text of a key.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// IP protocol numbers as Arkime's viewer names them.
pub fn protocol_name(n: i64) -> String {
    match n {
        1 => "icmp".into(),
        2 => "igmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        58 => "icmp6".into(),
        89 => "ospf".into(),
        103 => "pim".into(),
        132 => "sctp".into(),
        n => n.to_string(),
    }
}

/// The timeline: sessions and sums per bucket of `interval` seconds.
#[derive(Debug)]
pub struct Graph {
    field: &'static str,
    interval_ms: i64,
    buckets: BTreeMap<i64, (u64, [f64; 6])>,
}

impl Graph {
    /// Buckets of `interval` seconds on the document time `field`.
    pub fn new(field: &'static str, interval: i64) -> Graph {
        Graph {
            field,
            interval_ms: interval.max(1).saturating_mul(1000),
            buckets: BTreeMap::new(),
        }
    }

    /// Counts `doc`.
    pub fn add(&mut self, doc: &Value) {
        let Some(t) = first_at(doc, self.field).and_then(Value::as_i64) else {
            return;
        };
        let key = t.div_euclid(self.interval_ms) * self.interval_ms;
        let b = self.buckets.entry(key).or_default();
        b.0 += 1;
        for (i, f) in SUMS.iter().enumerate() {
            b.1[i] += number_at(doc, f);
        }
    }

    /// The time field and the bucket width in ms.
    pub fn shape(&self) -> (&'static str, i64) {
        (self.field, self.interval_ms)
    }

    /// Adds a bucket counted elsewhere (by the store's columns): its start, its
    /// sessions and the sums of [`SUMS`] in that order.
    pub fn add_bucket(&mut self, key: i64, sessions: u64, sums: &[i64]) {
        let b = self.buckets.entry(key).or_default();
        b.0 += sessions;
        for (x, y) in b.1.iter_mut().zip(sums) {
            *x += *y as f64;
        }
    }

    /// Arkime's `graph` object (viewerUtils.graphMerge with the default
    /// timelineDataFilters: network.packets, network.bytes, totDataBytes).
    pub fn to_json(&self, window: Option<(i64, i64)>) -> Value {
        let mut g = Map::new();
        g.insert("xmin".into(), window.map(|w| w.0).into());
        g.insert("xmax".into(), window.map(|w| w.1).into());
        g.insert("interval".into(), (self.interval_ms / 1000).into());
        let num = |x: f64| -> Value {
            if x.fract() == 0.0 && x.abs() < 9e15 {
                Value::from(x as i64)
            } else {
                Value::from(x)
            }
        };
        let sessions: Vec<Value> = self.buckets.iter().map(|(k, b)| json!([k, b.0])).collect();
        g.insert("sessionsHisto".into(), sessions.into());
        g.insert(
            "sessionsTotal".into(),
            self.buckets.values().map(|b| b.0).sum::<u64>().into(),
        );
        for (i, f) in SUMS.iter().enumerate() {
            let h: Vec<Value> = self
                .buckets
                .iter()
                .map(|(k, b)| json!([k, num(b.1[i])]))
                .collect();
            g.insert(format!("{f}Histo"), h.into());
        }
        let total = |a: usize, b: usize| num(self.buckets.values().map(|x| x.1[a] + x.1[b]).sum());
        g.insert("network.packetsTotal".into(), total(0, 1));
        g.insert("network.bytesTotal".into(), total(2, 3));
        g.insert("totDataBytesTotal".into(), total(4, 5));
        Value::Object(g)
    }

    /// Sessions, packets, bytes and data bytes of every bucket together.
    pub fn totals(&self) -> (u64, f64, f64, f64) {
        let mut t = (0u64, 0.0, 0.0, 0.0);
        for b in self.buckets.values() {
            t.0 += b.0;
            t.1 += b.1[0] + b.1[1];
            t.2 += b.1[2] + b.1[3];
            t.3 += b.1[4] + b.1[5];
        }
        t
    }
}

/// Arkime's `map`: sessions by source, destination and X-Forwarded-For country.
#[derive(Debug, Default)]
pub struct CountryMap {
    src: BTreeMap<String, u64>,
    dst: BTreeMap<String, u64>,
    xff: BTreeMap<String, u64>,
}

impl CountryMap {
    /// Counts `doc`.
    pub fn add(&mut self, doc: &Value) {
        for (m, path) in [&mut self.src, &mut self.dst, &mut self.xff]
            .into_iter()
            .zip(Self::FIELDS)
        {
            let vs: HashSet<String> = values(doc, path).iter().map(text).collect();
            for v in vs {
                *m.entry(v).or_default() += 1;
            }
        }
    }

    /// The fields the map counts, in the order [`CountryMap::add_counts`] takes.
    pub const FIELDS: [&'static str; 3] = [
        "source.geo.country_iso_code",
        "destination.geo.country_iso_code",
        "http.xffGEO",
    ];

    /// Adds values counted elsewhere of `FIELDS[which]` (every value).
    pub fn add_counts(&mut self, which: usize, counts: &[(Value, u64)]) {
        let m = match which {
            0 => &mut self.src,
            1 => &mut self.dst,
            _ => &mut self.xff,
        };
        for (v, n) in counts {
            *m.entry(text(v)).or_default() += n;
        }
    }

    /// `{src, dst, xffGeo}`.
    pub fn to_json(&self) -> Value {
        json!({ "src": self.src, "dst": self.dst, "xffGeo": self.xff })
    }
}

/// Sessions per value of one field; a session counts once per distinct value.
#[derive(Debug)]
pub struct Terms {
    pub field: String,
    counts: HashMap<String, (Value, u64)>,
    /// Sessions counted elsewhere for values not handed over (beyond the top ones).
    other: u64,
}

impl Terms {
    /// Terms of `field` (database name, or an address-and-port pseudo field).
    pub fn new(field: &str) -> Terms {
        Terms {
            field: field.to_string(),
            counts: HashMap::new(),
            other: 0,
        }
    }

    /// The distinct values of `doc` this aggregation counts, as (text, key).
    pub fn keys_of(&self, doc: &Value) -> Vec<(String, Value)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for v in values(doc, &self.field) {
            let (t, v) = self.key(v);
            if seen.insert(t.clone()) {
                out.push((t, v));
            }
        }
        out
    }

    /// The key `v` is counted under, as text and value.
    fn key(&self, v: Value) -> (String, Value) {
        let v = match (&*self.field, &v) {
            ("ipProtocol", Value::Number(n)) => {
                Value::String(protocol_name(n.as_i64().unwrap_or(-1)))
            }
            _ => v,
        };
        (text(&v), v)
    }

    /// Adds `n` sessions holding value `v`, counted elsewhere (by the store's
    /// columns).
    pub fn add_count(&mut self, v: Value, n: u64) {
        let (t, v) = self.key(v);
        self.counts.entry(t).or_insert((v, 0)).1 += n;
    }

    /// Adds what a source counted: its values, and the sessions of the values it
    /// left out.
    pub fn add_answer(&mut self, a: &trawl_store::aggs::TermsAnswer) {
        for (v, n) in &a.values {
            self.add_count(v.clone(), *n);
        }
        self.other += a.other;
    }

    /// Counts `doc`.
    pub fn add(&mut self, doc: &Value) {
        for (t, v) in self.keys_of(doc) {
            self.counts.entry(t).or_insert((v, 0)).1 += 1;
        }
    }

    /// Every value with its count, by count (highest first) then value.
    pub fn sorted(&self) -> Vec<(&Value, u64)> {
        let mut v: Vec<(&String, &Value, u64)> =
            self.counts.iter().map(|(t, (k, n))| (t, k, *n)).collect();
        // Ties by key, numbers as numbers, as Elasticsearch orders its buckets.
        v.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| match (a.1.as_f64(), b.1.as_f64()) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    _ => a.0.cmp(b.0),
                })
        });
        v.into_iter().map(|(_, k, n)| (k, n)).collect()
    }

    /// Elasticsearch's terms answer for the top `size` values.
    pub fn to_json(&self, size: usize) -> Value {
        let all = self.sorted();
        let other: u64 = all.iter().skip(size).map(|x| x.1).sum::<u64>() + self.other;
        let buckets: Vec<Value> = all
            .iter()
            .take(size)
            .map(|(k, n)| json!({"key": k, "doc_count": n}))
            .collect();
        json!({"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets})
    }
}

/// Numeric fields summed onto connection nodes and links (Arkime's default
/// connection fields).
const CONN_SUMS: [&str; 3] = ["network.bytes", "totDataBytes", "network.packets"];

#[derive(Debug, Default)]
struct ConnNode {
    sessions: u64,
    kind: u8,
    links: u64,
    sums: [f64; 3],
}

/// The graph of `/api/connections`.
#[derive(Debug)]
pub struct Connections {
    src: String,
    dst: String,
    nodes: HashMap<String, ConnNode>,
    links: HashMap<(String, String), (u64, [f64; 3])>,
    /// Sessions with both fields.
    pub hits: u64,
}

impl Connections {
    /// Connections from `src` values to `dst` values (database names or
    /// address-and-port pseudo fields).
    pub fn new(src: &str, dst: &str) -> Connections {
        Connections {
            src: src.to_string(),
            dst: dst.to_string(),
            nodes: HashMap::new(),
            links: HashMap::new(),
            hits: 0,
        }
    }

    /// Adds `doc`'s connections (every pair of its source and destination values).
    pub fn add(&mut self, doc: &Value) {
        let srcs: Vec<String> = values(doc, &self.src).iter().map(text).collect();
        let dsts: Vec<String> = values(doc, &self.dst).iter().map(text).collect();
        if srcs.is_empty() || dsts.is_empty() {
            return;
        }
        self.hits += 1;
        let sums = CONN_SUMS.map(|f| number_at(doc, f));
        for s in &srcs {
            for d in &dsts {
                for (v, bit) in [(s, 1u8), (d, 2u8)] {
                    let n = self.nodes.entry(v.clone()).or_default();
                    n.sessions += 1;
                    n.kind |= bit;
                    for (i, x) in sums.iter().enumerate() {
                        n.sums[i] += x;
                    }
                }
                let key = (s.clone(), d.clone());
                let link = match self.links.get_mut(&key) {
                    Some(l) => l,
                    None => {
                        for v in [s, d] {
                            if let Some(n) = self.nodes.get_mut(v) {
                                n.links += 1;
                            }
                        }
                        self.links.entry(key).or_default()
                    }
                };
                link.0 += 1;
                for (i, x) in sums.iter().enumerate() {
                    link.1[i] += x;
                }
            }
        }
    }

    /// `{nodes, links, recordsFiltered}`: nodes with fewer than `min_conn` links are
    /// left out with their links; nodes sorted by id.
    pub fn to_json(&self, min_conn: u64) -> Value {
        let mut ids: Vec<&String> = self.nodes.keys().collect();
        ids.sort();
        let mut pos: HashMap<&str, usize> = HashMap::new();
        let mut nodes = Vec::new();
        for id in ids {
            let n = &self.nodes[id];
            if n.links < min_conn {
                continue;
            }
            pos.insert(id, nodes.len());
            let mut o = json!({"id": id, "cnt": n.links, "sessions": n.sessions, "type": n.kind, "pos": nodes.len()});
            for (i, f) in CONN_SUMS.iter().enumerate() {
                o[*f] = json!(n.sums[i] as i64);
            }
            nodes.push(o);
        }
        let mut keys: Vec<&(String, String)> = self.links.keys().collect();
        keys.sort();
        let mut links = Vec::new();
        for k in keys {
            let (Some(&s), Some(&t)) = (pos.get(k.0.as_str()), pos.get(k.1.as_str())) else {
                continue;
            };
            let l = &self.links[k];
            let mut o = json!({"source": s, "target": t, "value": l.0});
            for (i, f) in CONN_SUMS.iter().enumerate() {
                o[*f] = json!(l.1[i] as i64);
            }
            links.push(o);
        }
        json!({"nodes": nodes, "links": links, "recordsFiltered": self.hits})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(t: i64, src: &str, dst: &str, port: u16, pk: u64) -> Value {
        json!({"firstPacket": t, "lastPacket": t + 10, "ipProtocol": 6,
               "source": {"ip": src, "port": 1000, "packets": pk, "bytes": pk * 100},
               "destination": {"ip": dst, "port": port, "packets": 1, "bytes": 60},
               "network": {"packets": pk + 1, "bytes": pk * 100 + 60},
               "protocol": ["tcp", "http", "tcp"]})
    }

    #[test]
    fn histogram_buckets_and_sums() {
        let mut g = Graph::new("lastPacket", 60);
        g.add(&doc(0, "a", "b", 80, 2));
        g.add(&doc(59_000, "a", "b", 80, 3)); // lastPacket 59010: still bucket 0
        g.add(&doc(61_000, "a", "b", 80, 4));
        let j = g.to_json(Some((0, 120_000)));
        assert_eq!(j["sessionsHisto"], json!([[0, 2], [60000, 1]]));
        assert_eq!(j["source.packetsHisto"], json!([[0, 5], [60000, 4]]));
        assert_eq!(j["network.packetsTotal"], json!(9 + 3));
        assert_eq!(j["interval"], json!(60));
        assert_eq!(j["xmax"], json!(120_000));
    }

    #[test]
    fn terms_count_sessions_not_values() {
        let mut t = Terms::new("protocol");
        t.add(&doc(0, "a", "b", 80, 1));
        t.add(&json!({"protocol": ["udp", "tcp"]}));
        let j = t.to_json(1);
        assert_eq!(j["buckets"], json!([{"key": "tcp", "doc_count": 2}]));
        assert_eq!(j["sum_other_doc_count"], json!(2), "http and udp");
        let mut p = Terms::new("ipProtocol");
        p.add(&doc(0, "a", "b", 80, 1));
        assert_eq!(p.to_json(5)["buckets"][0]["key"], json!("tcp"));
        let mut port = Terms::new("destination.port");
        port.add(&doc(0, "a", "b", 80, 1));
        assert_eq!(port.to_json(5)["buckets"][0]["key"], json!(80), "a number");
    }

    #[test]
    fn only_the_members_asked_for_are_parsed() {
        let keys = vec!["source".to_string(), "lastPacket".to_string()];
        let v = parse_only(
            r#"{"packetPos":[1,2,3],"source":{"ip":"a"},"lastPacket":5,"x":{"y":[{}]}}"#,
            &keys,
        );
        assert_eq!(v, json!({"source": {"ip": "a"}, "lastPacket": 5}));
        assert_eq!(parse_only("[1]", &keys), Value::Null);
        assert_eq!(top_key("ip.dst:port"), "destination");
        assert_eq!(top_key("http.host"), "http");
    }

    #[test]
    fn address_and_port_pseudo_fields() {
        assert_eq!(
            values(&doc(0, "a", "10.0.0.2", 80, 1), "ip.dst:port"),
            [json!("10.0.0.2:80")]
        );
        assert_eq!(
            values(&doc(0, "a", "fe80::1", 80, 1), "ip.dst:port"),
            [json!("fe80::1.80")]
        );
    }

    #[test]
    fn connections_nodes_and_links() {
        let mut c = Connections::new("source.ip", "destination.ip");
        c.add(&doc(0, "10.0.0.1", "10.0.0.2", 80, 1));
        c.add(&doc(0, "10.0.0.1", "10.0.0.2", 80, 1));
        c.add(&doc(0, "10.0.0.2", "10.0.0.3", 80, 1));
        c.add(&json!({"source": {"ip": "10.0.0.9"}}));
        let j = c.to_json(1);
        assert_eq!(j["recordsFiltered"], json!(3));
        let nodes = j["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[1]["id"], json!("10.0.0.2"));
        assert_eq!(nodes[1]["type"], json!(3));
        assert_eq!(nodes[1]["cnt"], json!(2));
        assert_eq!(nodes[1]["sessions"], json!(3));
        assert_eq!(
            j["links"][0],
            json!({"source": 0, "target": 1, "value": 2, "network.bytes": 320, "totDataBytes": 0, "network.packets": 4})
        );
        let j = c.to_json(2);
        assert_eq!(j["nodes"].as_array().unwrap().len(), 1);
        assert!(j["links"].as_array().unwrap().is_empty());
    }
}
