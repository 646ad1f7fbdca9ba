//! Arkime's layout on a real OpenSearch node (`tests/opensearch/node.sh start`; the
//! tests skip without one, and fail under CI=true). Each test works under its own
//! prefix and removes it at the end.

use std::collections::HashSet;

use serde_json::{json, Value};
use trawl_cluster::layout::{self, DB_VERSION, FILE_NUM_BASE};
use trawl_cluster::testing::{self, cleanup, unique_prefix};
use trawl_cluster::Client;
use trawl_fields::{flags, FieldRegistry, FieldType};

/// A prefix on the test node, removed when dropped.
struct Scope {
    c: Client,
    p: String,
}

impl Scope {
    fn new(tag: &str) -> Option<Scope> {
        let url = testing::node_url()?;
        let s = Scope {
            c: testing::client(&url),
            p: unique_prefix(tag),
        };
        cleanup(&s.c, &s.p).unwrap();
        Some(s)
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let _ = cleanup(&self.c, &self.p);
    }
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
        "integer",
        "tcpflags.syn",
        "tcpflags.syn",
        "tcpflags.syn",
        "",
        FieldType::Int,
        flags::FAKE,
    );
    r
}

fn init(s: &Scope) -> layout::InitReport {
    layout::init(&s.c, &s.p, &reg(), &layout::InitOptions::default()).unwrap()
}

fn count(s: &Scope, index: &str) -> u64 {
    s.c.ok("POST", &format!("/{index}/_refresh"), None).unwrap();
    s.c.get(&format!("/{index}/_count")).unwrap()["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn init_creates_arkimes_layout() {
    let Some(s) = Scope::new("init") else { return };
    let (c, p) = (&s.c, s.p.as_str());

    assert_eq!(layout::db_version(c, p).unwrap(), None);
    let e = layout::check_for_capture(c, p).unwrap_err().to_string();
    assert!(
        e.contains("run `trawl db init` (or Arkime's db.pl init)"),
        "{e}"
    );
    assert!(e.contains(p), "{e}");

    let r = init(&s);
    assert!(r.deleted.is_empty());
    assert_eq!(r.created.len(), 14);
    assert_eq!(r.data_nodes, 1);
    assert_eq!(layout::db_version(c, p).unwrap(), Some(DB_VERSION));
    assert_eq!(layout::check_for_capture(c, p).unwrap(), 86);

    // Every index with its alias.
    let aliases = c.get(&format!("/_alias/{p}*")).unwrap();
    let expect = [
        ("sequence", "v30"),
        ("files", "v30"),
        ("stats", "v30"),
        ("dstats", "v30"),
        ("fields", "v30"),
        ("hunts", "v30"),
        ("lookups", "v30"),
        ("notifiers", "v40"),
        ("views", "v40"),
        ("shareables", "v60"),
        ("users", "v30"),
        ("queries", "v30"),
        ("parliament", "v50"),
        ("configs", "v50"),
    ];
    assert_eq!(aliases.as_object().unwrap().len(), expect.len());
    for (a, v) in expect {
        let idx = format!("{p}{a}_{v}");
        assert!(
            aliases[&idx]["aliases"].get(format!("{p}{a}")).is_some(),
            "{idx}: {aliases}"
        );
    }

    // Mappings the viewer and capture depend on.
    let m = c.get(&format!("/{p}files/_mapping")).unwrap();
    let files = &m[format!("{p}files_v30")]["mappings"]["properties"];
    assert_eq!(files["name"]["type"], "keyword");
    assert_eq!(files["num"]["type"], "long");
    assert_eq!(files["firstTimestamp"]["type"], "date");
    let m = c.get(&format!("/{p}stats/_mapping")).unwrap();
    let stats = &m[format!("{p}stats_v30")]["mappings"]["properties"];
    assert_eq!(stats["currentTime"]["type"], "date");
    assert_eq!(stats["currentTime"]["format"], "epoch_second");
    assert_eq!(stats["hostname"]["type"], "keyword");
    let m = c.get(&format!("/{p}sequence/_mapping")).unwrap();
    assert_eq!(
        m[format!("{p}sequence_v30")]["mappings"]["_source"]["enabled"],
        false
    );
    let st = c
        .get(&format!("/{p}files_v30/_settings?flat_settings=true"))
        .unwrap();
    let st = &st[format!("{p}files_v30")]["settings"];
    assert_eq!(st["index.priority"], "80");
    assert_eq!(st["index.number_of_shards"], "2");
    assert_eq!(st["index.auto_expand_replicas"], "0-3");

    // Templates.
    let t = c.get(&format!("/_template/{p}sessions3_template")).unwrap();
    let t = &t[format!("{p}sessions3_template")];
    assert_eq!(t["order"], 99);
    assert_eq!(t["index_patterns"], json!([format!("{p}sessions3-*")]));
    assert_eq!(t["mappings"]["_meta"]["molochDbVersion"], 86);
    assert_eq!(
        t["settings"]["index"]["analysis"]["analyzer"]["wordSplit"]["tokenizer"],
        "pattern"
    );
    assert_eq!(t["settings"]["index"]["number_of_shards"], "1");
    let t = c
        .get(&format!("/_template/{p}sessions3_ecs_template"))
        .unwrap();
    assert_eq!(t[format!("{p}sessions3_ecs_template")]["order"], 1);
    let t = c
        .get(&format!("/_template/{p}history_v1_template"))
        .unwrap();
    assert_eq!(
        t[format!("{p}history_v1_template")]["index_patterns"],
        json!([format!("{p}history_v1-*")])
    );

    // Fields: db.pl's seed, Arkime's capture fields, the registry's with companions.
    let expected = layout::field_docs(&reg()).len();
    assert_eq!(r.fields, expected);
    assert_eq!(count(&s, &format!("{p}fields")), expected as u64);
    let ipsrc = c.get(&format!("/{p}fields/_doc/ip.src")).unwrap();
    assert_eq!(ipsrc["_source"]["dbField2"], "srcIp");
    assert_eq!(ipsrc["_source"]["fieldECS"], "source.ip");
    let host = c.get(&format!("/{p}fields/_doc/host.http")).unwrap();
    assert_eq!(host["_source"]["category"], "host");
    let syn = c.get(&format!("/{p}fields/_doc/tcpflags.syn")).unwrap();
    assert_eq!(syn["_source"]["friendlyName"], "TCP Flag SYN");
    assert!(c
        .get_opt(&format!("/{p}fields/_doc/country.xff"))
        .unwrap()
        .is_some());
    // Capture's read of the fields (GET fields/_search?size=3000) sees them all.
    let all = c.get(&format!("/{p}fields/_search?size=3000")).unwrap();
    assert_eq!(all["hits"]["hits"].as_array().unwrap().len(), expected);

    // info sees it.
    let i = layout::info(c, p).unwrap();
    assert_eq!(i.db_version, Some(86));
    assert_eq!(i.admin.len(), 14);
    assert!(i.sessions.is_empty());
    assert_eq!(
        i.admin
            .iter()
            .find(|x| x.name == format!("{p}fields_v30"))
            .unwrap()
            .docs,
        expected as u64
    );
    assert_eq!(i.sessions_settings.unwrap().shards, 1);

    // A second init erases first (db.pl init on an initialized cluster).
    let r2 = init(&s);
    assert_eq!(r2.deleted.len(), 14);
    assert_eq!(r2.fields, expected);
}

#[test]
fn session_documents_map_as_arkimes() {
    let Some(s) = Scope::new("sessions") else {
        return;
    };
    let (c, p) = (&s.c, s.p.as_str());
    init(&s);
    let index = format!("{p}sessions3-261203");
    let doc = json!({
        "@timestamp": 1_796_320_000_000_i64,
        "firstPacket": 1_796_310_000_000_i64,
        "lastPacket": 1_796_310_005_000_i64,
        "length": 5000,
        "ipProtocol": 6,
        "node": "trawl-test",
        "source": {"ip": "10.1.2.3", "port": 51234, "bytes": 300, "packets": 4, "mac": ["00:11:22:33:44:55"], "mac-cnt": 1},
        "destination": {"ip": "2001:db8::1", "port": 80, "bytes": 900, "packets": 3},
        "network": {"packets": 7, "bytes": 1200, "community_id": "1:abc", "vlan": {"id": [5], "id-cnt": 1}},
        "client": {"bytes": 100},
        "server": {"bytes": 700},
        "totDataBytes": 800,
        "protocol": ["tcp", "http"],
        "protocolCnt": 2,
        "packetPos": [-1, 24, 100],
        "packetLen": [80, 90],
        "fileId": [1],
        "packetRange": {"gte": 1_796_310_000_000_i64, "lte": 1_796_310_005_000_i64},
        "http": {
            "host": ["www.Example.com", "cdn.example.net"],
            "hostCnt": 2,
            "hostTokens": ["www.Example.com", "cdn.example.net"],
            "xffIp": ["192.0.2.7"],
            "method": ["GET"],
            "statuscode": [200]
        },
        "dns": {"ip": ["198.51.100.1"], "host": ["a.example"]},
        "tcpflags": {"syn": 1, "syn-ack": 1, "ack": 2, "psh": 1, "fin": 1, "rst": 0, "urg": 0},
        "outerIp": "203.0.113.9"
    });
    let mut nd = json!({"index": {"_index": index}}).to_string();
    nd.push('\n');
    nd.push_str(&doc.to_string());
    nd.push('\n');
    let r = c
        .ok("POST", "/_bulk?refresh=true", Some(&Value::String(nd)))
        .unwrap();
    assert_eq!(r["errors"], false, "{r}");

    let m = c.get(&format!("/{index}/_mapping")).unwrap();
    let props = &m[&index]["mappings"]["properties"];
    let ty = |path: &str| {
        let mut v = props;
        let parts: Vec<&str> = path.split('.').collect();
        for (i, k) in parts.iter().enumerate() {
            v = &v[*k];
            if i + 1 < parts.len() {
                v = &v["properties"];
            }
        }
        v.clone()
    };
    assert_eq!(ty("source.ip")["type"], "ip");
    assert_eq!(ty("destination.ip")["type"], "ip");
    assert_eq!(ty("destination.port")["type"], "long");
    assert_eq!(ty("firstPacket")["type"], "date");
    assert_eq!(ty("packetRange")["type"], "date_range");
    assert_eq!(ty("node")["type"], "keyword");
    assert_eq!(ty("packetPos")["index"], false);
    assert_eq!(ty("http.host")["type"], "keyword");
    assert_eq!(ty("http.hostTokens")["type"], "text");
    assert_eq!(ty("http.hostTokens")["analyzer"], "wordSplit");
    assert_eq!(ty("http.xffIp")["type"], "ip");
    // Dynamic templates: "ip" alone and "*Ip" are ip; other strings keyword.
    assert_eq!(ty("dns.ip")["type"], "ip");
    assert_eq!(ty("outerIp")["type"], "ip");
    assert_eq!(ty("dns.host")["type"], "keyword");
    assert_eq!(ty("network.community_id")["type"], "keyword");
    assert_eq!(ty("source.mac")["type"], "keyword");
    assert_eq!(ty("@timestamp")["type"], "date");

    // The index has the template's settings.
    let st = c
        .get(&format!("/{index}/_settings?flat_settings=true"))
        .unwrap();
    assert_eq!(st[&index]["settings"]["index.refresh_interval"], "60s");
    assert_eq!(
        st[&index]["settings"]["index.mapping.total_fields.limit"],
        "10000"
    );

    // Searches as the viewer makes them.
    let hits = |q: Value| {
        c.post(
            &format!("/{}/_search", layout::sessions_pattern(p)),
            &json!({"query": q}),
        )
        .unwrap()["hits"]["total"]["value"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(hits(json!({"match": {"http.hostTokens": "example"}})), 1);
    assert_eq!(hits(json!({"term": {"http.host": "www.Example.com"}})), 1);
    assert_eq!(hits(json!({"term": {"source.ip": "10.1.2.0/24"}})), 1);
    assert_eq!(
        hits(json!({"range": {"destination.port": {"gte": 1, "lte": 1024}}})),
        1
    );
    assert_eq!(
        hits(
            json!({"range": {"packetRange": {"gte": 1_796_310_002_000_i64, "lte": 1_796_310_003_000_i64}}})
        ),
        1
    );
    assert_eq!(hits(json!({"term": {"source.ip": "10.9.9.9"}})), 0);
}

#[test]
fn file_numbers_as_capture_takes_them() {
    let Some(s) = Scope::new("seq") else { return };
    let (c, p) = (&s.c, s.p.as_str());

    let e = layout::next_file_num(c, p, "a").unwrap_err().to_string();
    assert!(e.contains("trawl db init"), "{e}");
    // No index was made by the failed call.
    assert!(c.get_opt(&format!("/{p}sequence")).unwrap().is_none());

    init(&s);
    let a: Vec<u32> = (0..3)
        .map(|_| layout::next_file_num(c, p, "a").unwrap())
        .collect();
    assert_eq!(a, [FILE_NUM_BASE + 1, FILE_NUM_BASE + 2, FILE_NUM_BASE + 3]);
    assert_eq!(
        layout::next_file_num(c, p, "node b/2").unwrap(),
        FILE_NUM_BASE + 1
    );
    assert_eq!(layout::next_file_num(c, p, "a").unwrap(), FILE_NUM_BASE + 4);
    // The documents are where capture and viewer look: fn-<node>.
    let d = c.get(&format!("/{p}sequence/_doc/fn-a")).unwrap();
    assert_eq!(d["_version"], FILE_NUM_BASE + 4);

    // Concurrent takers, on a fresh node name each time: all unique, no gaps.
    let url = testing::node_address();
    let per = 8;
    let got: Vec<u32> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                sc.spawn(move || {
                    let c = testing::client(&url);
                    (0..per)
                        .map(|_| layout::next_file_num(&c, p, "busy").unwrap())
                        .collect::<Vec<u32>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let set: HashSet<u32> = got.iter().copied().collect();
    assert_eq!(set.len(), got.len(), "{got:?}");
    let want: HashSet<u32> = (FILE_NUM_BASE + 1..=FILE_NUM_BASE + 4 * per).collect();
    assert_eq!(set, want);
}

#[test]
fn put_fields_writes_what_is_missing_once() {
    let Some(s) = Scope::new("fields") else {
        return;
    };
    let (c, p) = (&s.c, s.p.as_str());
    init(&s);
    assert_eq!(layout::put_fields(c, p, &reg()).unwrap(), 0);
    let before = count(&s, &format!("{p}fields"));

    let mut r = reg();
    r.define(
        "extra",
        "termfield",
        "extra.word",
        "Extra Word",
        "extra.word",
        "A word",
        FieldType::StrHash,
        flags::CNT,
    );
    // Already there under another expression (same database name): not written.
    r.define(
        "general",
        "ip",
        "ip.source",
        "Src",
        "source.ip",
        "x",
        FieldType::Int,
        flags::FAKE,
    );
    assert_eq!(layout::put_fields(c, p, &r).unwrap(), 2);
    assert_eq!(layout::put_fields(c, p, &r).unwrap(), 0);
    assert_eq!(count(&s, &format!("{p}fields")), before + 2);
    let d = c.get(&format!("/{p}fields/_doc/extra.word.cnt")).unwrap();
    assert_eq!(d["_source"]["dbField2"], "extra.wordCnt");
    assert!(c
        .get_opt(&format!("/{p}fields/_doc/ip.source"))
        .unwrap()
        .is_none());

    // A document someone else wrote is not overwritten.
    c.put(
        &format!("/{p}fields/_doc/host.http?refresh=true"),
        &json!({"friendlyName": "Mine", "group": "http", "help": "h", "dbField2": "http.host", "type": "termfield"}),
    )
    .unwrap();
    assert_eq!(layout::put_fields(c, p, &r).unwrap(), 0);
    let d = c.get(&format!("/{p}fields/_doc/host.http")).unwrap();
    assert_eq!(d["_source"]["friendlyName"], "Mine");
}

fn make_index(s: &Scope, suffix: &str) -> String {
    let name = format!("{}sessions3-{suffix}", s.p);
    s.c.put(&format!("/{name}"), &json!({})).unwrap();
    name
}

fn index_names(s: &Scope, pattern: &str) -> Vec<String> {
    let b =
        s.c.get(&format!(
            "/{pattern}/_settings/index.uuid?ignore_unavailable=true&allow_no_indices=true"
        ))
        .unwrap();
    let mut v: Vec<String> = b.as_object().unwrap().keys().cloned().collect();
    v.sort();
    v
}

#[test]
fn expire_deletes_only_old_indices() {
    let Some(s) = Scope::new("expire") else {
        return;
    };
    let (c, p) = (&s.c, s.p.as_str());
    init(&s);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let now = now_ms / 1000;
    let today = layout::time2index("daily", now).unwrap();
    let yesterday = layout::time2index("daily", now - 86_400).unwrap();
    let this_month = layout::time2index("monthly", now).unwrap();
    let old = ["200101", "200102h05", "20m01", "20w01", "191231-shrink"];
    for suffix in
        old.iter()
            .copied()
            .chain([today.as_str(), yesterday.as_str(), this_month.as_str()])
    {
        make_index(&s, suffix);
    }
    // Not a sessions index of this prefix, and one trawl cannot date: both left alone.
    c.put(&format!("/{p}sessions3-notadate"), &json!({}))
        .unwrap();
    c.put(&format!("/{p}other-200101"), &json!({})).unwrap();

    let gone = layout::expire(c, p, 30.0, now_ms).unwrap();
    let mut want: Vec<String> = old.iter().map(|o| format!("{p}sessions3-{o}")).collect();
    want.sort();
    assert_eq!(gone, want);
    let left = index_names(&s, &layout::sessions_pattern(p));
    let mut keep = vec![
        format!("{p}sessions3-{today}"),
        format!("{p}sessions3-{yesterday}"),
        format!("{p}sessions3-{this_month}"),
        format!("{p}sessions3-notadate"),
    ];
    keep.sort();
    keep.dedup();
    assert_eq!(left, keep);
    assert_eq!(index_names(&s, &format!("{p}other-*")).len(), 1);

    // 0 days: yesterday goes, the indices capture writes now stay.
    let gone = layout::expire(c, p, 0.0, now_ms).unwrap();
    assert_eq!(gone, [format!("{p}sessions3-{yesterday}")]);
    assert!(layout::expire(c, p, 0.0, now_ms).unwrap().is_empty());
    assert!(layout::expire(c, p, -1.0, now_ms).is_err());
}

#[test]
fn wipe_keeps_users_as_db_pl() {
    let Some(s) = Scope::new("wipe") else { return };
    let (c, p) = (&s.c, s.p.as_str());
    let e = layout::wipe(c, p).unwrap_err().to_string();
    assert!(e.contains("never initialized"), "{e}");

    let opts = layout::InitOptions {
        refresh_secs: 5,
        ..layout::InitOptions::default()
    };
    layout::init(c, p, &reg(), &opts).unwrap();
    c.put(
        &format!("/{p}users/_doc/admin?refresh=true"),
        &json!({"userId": "admin", "userName": "Admin", "enabled": true, "roles": ["superAdmin"]}),
    )
    .unwrap();
    c.put(
        &format!("/{p}queries/_doc/q1?refresh=true"),
        &json!({"name": "q", "query": "ip.src == 10.0.0.1", "enabled": true}),
    )
    .unwrap();
    c.put(
        &format!("/{p}stats/_doc/node1?refresh=true"),
        &json!({"nodeName": "node1", "hostname": "h", "currentTime": 1_700_000_000}),
    )
    .unwrap();
    c.put(
        &format!("/{p}hunts/_doc/h1?refresh=true"),
        &json!({"name": "h", "userId": "admin"}),
    )
    .unwrap();
    let sess = make_index(&s, "261203");
    c.put(&format!("/{p}history_v1-26w48"), &json!({})).unwrap();
    assert_eq!(layout::next_file_num(c, p, "n").unwrap(), FILE_NUM_BASE + 1);
    assert_eq!(layout::next_file_num(c, p, "n").unwrap(), FILE_NUM_BASE + 2);

    let r = layout::wipe(c, p).unwrap();
    let deleted: HashSet<&str> = r.deleted.iter().map(String::as_str).collect();
    assert!(deleted.contains(sess.as_str()));
    assert!(deleted.contains(format!("{p}history_v1-26w48").as_str()));
    assert!(deleted.contains(format!("{p}stats_v30").as_str()));
    assert!(!deleted
        .iter()
        .any(|d| d.contains("users") || d.contains("queries")));
    assert_eq!(r.recreated.len(), 10);
    assert_eq!(r.kept.len(), 4);

    assert_eq!(count(&s, &format!("{p}users")), 1);
    assert_eq!(count(&s, &format!("{p}queries")), 1);
    assert_eq!(count(&s, &format!("{p}stats")), 0);
    assert_eq!(count(&s, &format!("{p}hunts")), 0);
    assert_eq!(count(&s, &format!("{p}fields")), 47);
    assert!(index_names(&s, &layout::sessions_pattern(p)).is_empty());
    // The sequence starts again, the schema and its settings stay.
    assert_eq!(layout::next_file_num(c, p, "n").unwrap(), FILE_NUM_BASE + 1);
    assert_eq!(layout::db_version(c, p).unwrap(), Some(DB_VERSION));
    assert_eq!(
        layout::template_settings(c, p)
            .unwrap()
            .unwrap()
            .refresh_secs,
        5
    );
    let a = c.get(&format!("/_alias/{p}users")).unwrap();
    assert!(a.get(format!("{p}users_v30")).is_some());
}

#[test]
fn unreachable_cluster_is_named() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let c = Client::from_config(
        &format!("127.0.0.1:{port}"),
        None,
        std::time::Duration::from_secs(2),
    );
    let e = layout::check_for_capture(&c, "arkime_")
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(layout::init(&c, "x_", &reg(), &layout::InitOptions::default()).is_err());
}
