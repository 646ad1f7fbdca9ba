//! Resolution against a registry holding the kinds of fields Arkime has.

use trawl_fields::{flags, FieldRegistry, FieldType};
use trawl_query::{compile, parse, resolve, Match, Query};

fn reg() -> FieldRegistry {
    let mut r = FieldRegistry::new();
    for (exp, db, kind) in [
        ("ip.src", "source.ip", "ip"),
        ("ip.dst", "destination.ip", "ip"),
        ("port.src", "source.port", "integer"),
        ("port.dst", "destination.port", "integer"),
        ("host.http", "http.host", "lotermfield"),
        ("host.dns", "dns.host", "lotermfield"),
        ("tags", "tags", "termfield"),
        ("protocols", "protocol", "termfield"),
        ("country.src", "source.geo.country_iso_code", "uptermfield"),
        ("mac.src", "source.mac", "lotermfield"),
        ("mac.dst", "destination.mac", "lotermfield"),
        ("dns.ip", "dns.ip", "ip"),
        ("file", "fileand", "fileand"),
    ] {
        r.define(
            "general",
            kind,
            exp,
            exp,
            db,
            "",
            FieldType::StrHash,
            flags::CNT,
        );
    }
    r
}

fn field(db: &str, m: Match) -> Query {
    Query::Field { db: db.into(), m }
}

#[test]
fn cidr_port_range_wildcard_and_negation() {
    let r = reg();
    let q = compile(
        "ip.src == 10.0.0.0/8 && port.dst == 400-500 && host.http == *.Example.COM && tags != foo",
        &r,
    )
    .unwrap();
    assert_eq!(
        q,
        Query::And(vec![
            field("source.ip", Match::Cidr("10.0.0.0".parse().unwrap(), 8)),
            field("destination.port", Match::IntRange(400, 500)),
            field("http.host", Match::Wildcard("*.example.com".into())),
            Query::Not(Box::new(field("tags", Match::Exact("foo".into())))),
        ])
    );
}

#[test]
fn shorthands_expand_to_every_matching_field() {
    let r = reg();
    let q = compile("ip == 1.2.3.4", &r).unwrap();
    let Query::Or(v) = q else { panic!("{q:?}") };
    assert_eq!(v.len(), 3, "ip.src, ip.dst, dns.ip");
    let q = compile("port == 53", &r).unwrap();
    assert_eq!(
        q,
        Query::Or(vec![
            field("source.port", Match::IntRange(53, 53)),
            field("destination.port", Match::IntRange(53, 53))
        ])
    );
    let q = compile("host == a.com", &r).unwrap();
    assert!(matches!(q, Query::Or(ref v) if v.len() == 2));
    let q = compile("mac != EXISTS!", &r).unwrap();
    assert!(matches!(q, Query::Not(_)));
    assert_eq!(
        compile("db:http.host == x", &r).unwrap(),
        field("http.host", Match::Exact("x".into()))
    );
}

#[test]
fn lists_regex_ranges_and_case() {
    let r = reg();
    assert_eq!(
        compile("protocols == [http, dns]", &r).unwrap(),
        Query::Or(vec![
            field("protocol", Match::Exact("http".into())),
            field("protocol", Match::Exact("dns".into()))
        ])
    );
    assert!(
        matches!(compile("protocols == ]http,tcp[", &r).unwrap(), Query::And(ref v) if v.len() == 2)
    );
    let Query::Field {
        m: Match::Regex(re),
        ..
    } = compile("host.http == /www\\.[a-z]+\\.com/", &r).unwrap()
    else {
        panic!()
    };
    assert!(re.is_match("www.example.com") && !re.is_match("xwww.example.com"));
    assert_eq!(
        compile("port.src >= 1024", &r).unwrap(),
        field("source.port", Match::IntRange(1024, i64::MAX))
    );
    assert_eq!(
        compile("port.src < 1024", &r).unwrap(),
        field("source.port", Match::IntRange(i64::MIN, 1023))
    );
    assert_eq!(
        compile("country.src == us", &r).unwrap(),
        field("source.geo.country_iso_code", Match::Exact("US".into()))
    );
    assert_eq!(
        compile("tags == \"a*b\"", &r).unwrap(),
        field("tags", Match::Exact("a*b".into())),
        "quoted: no wildcard"
    );
    assert_eq!(
        compile("ip.dst == 192.168", &r).unwrap(),
        field(
            "destination.ip",
            Match::Cidr("192.168.0.0".parse().unwrap(), 16)
        )
    );
}

#[test]
fn semantic_errors_say_where() {
    let r = reg();
    let e = resolve(&parse("tags == a && nosuch == 1").unwrap(), &r).unwrap_err();
    assert_eq!(e.pos, 13);
    assert!(e.message.contains("unknown field 'nosuch'"));
    for (s, what) in [
        ("ip.src == 300.1.1.1", "not an IP"),
        ("port.src == abc", "not a number"),
        ("port.src == 5-x", "range"),
        ("host.http > a", "only compare"),
        ("ip.src < 1.2.3.4", "only compare"),
        ("tags == /(/", "bad regex"),
    ] {
        let e = compile(s, &r).unwrap_err();
        assert!(e.contains(what), "{s}: {e}");
    }
    // A bad value is pointed at, not its field.
    for (s, at) in [
        ("ip.src == 300.1.1.1", 10),
        ("tags == a && port.src == 5-x", 25),
        ("port.src==[1, x]", 10),
    ] {
        let e = resolve(&parse(s).unwrap(), &r).unwrap_err();
        assert_eq!(e.pos, at, "{s}: {e}");
    }
}

#[test]
fn arbitrary_input_never_panics() {
    let r = reg();
    let atoms = [
        "ip",
        "==",
        "!=",
        "<",
        ">=",
        "(",
        ")",
        "!",
        "&&",
        "||",
        "\"",
        "/",
        "[",
        "]",
        ",",
        "EXISTS!",
        "1.2.3.4/33",
        "a*",
        " ",
        "é",
        "\\",
        "port.dst",
        "5-",
        "-",
    ];
    let mut seed = 7u64;
    for _ in 0..20_000 {
        let mut s = String::new();
        for _ in 0..(seed % 9) {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s.push_str(atoms[(seed >> 33) as usize % atoms.len()]);
        }
        seed = seed.wrapping_add(1);
        let _ = compile(&s, &r);
    }
}

#[test]
fn counts_of_values_are_integer_fields() {
    let mut r = reg();
    // ECS-style counts are `-cnt`; a field with no count flag or kept from the viewer
    // (NODB) has none.
    for (exp, db, f) in [
        ("ecs.thing", "ecs.thing", flags::ECS_CNT),
        ("plain", "plain", 0),
        ("hidden", "hidden", flags::CNT | flags::NODB),
    ] {
        r.define(
            "general",
            "termfield",
            exp,
            exp,
            db,
            "",
            FieldType::StrHash,
            f,
        );
    }
    assert_eq!(
        compile("host.http.cnt > 1", &r).unwrap(),
        field("http.hostCnt", Match::IntRange(2, i64::MAX))
    );
    assert_eq!(
        compile("ecs.thing.cnt == 3", &r).unwrap(),
        field("ecs.thing-cnt", Match::IntRange(3, 3))
    );
    assert_eq!(
        compile("db:protocolCnt == 2", &r).unwrap(),
        field("protocolCnt", Match::IntRange(2, 2))
    );
    for bad in ["plain.cnt == 1", "hidden.cnt == 1", "host.http.cnt == x"] {
        assert!(compile(bad, &r).is_err(), "{bad}");
    }
    let counts: Vec<(String, String)> = r.count_fields().collect();
    assert!(counts.contains(&("protocols.cnt".into(), "protocolCnt".into())));
    assert!(!counts
        .iter()
        .any(|(e, _)| e == "plain.cnt" || e == "hidden.cnt"));
    // A field already stored under a count's name keeps it.
    r.define(
        "general",
        "integer",
        "mine",
        "mine",
        "tagsCnt",
        "",
        FieldType::Int,
        0,
    );
    assert!(!r.count_fields().any(|(e, _)| e == "tags.cnt"));
}

#[test]
fn file_names_become_the_node_and_number_of_each_file_they_match() {
    let r = reg();
    let files = [
        ("n1", 1, "/data/a-1.pcap"),
        ("n1", 2, "/data/b-2.pcap"),
        ("n2", 1, "/other/a-1.pcap"),
    ];
    let mut lookup = |m: &Match| -> Result<Vec<(String, u32)>, String> {
        Ok(files
            .iter()
            .filter(|f| m.matches_str(f.2))
            .map(|f| (f.0.to_string(), f.1))
            .collect())
    };
    let one = |node: &str, num: i64| {
        Query::And(vec![
            field("node", Match::Exact(node.into())),
            field("fileId", Match::IntRange(num, num)),
        ])
    };
    let q = compile("file == /data/b-2.pcap && port.src == 1", &r).unwrap();
    assert!(q.names_files());
    assert_eq!(
        q.bind_files(&mut lookup).unwrap(),
        Query::And(vec![
            one("n1", 2),
            field("source.port", Match::IntRange(1, 1))
        ])
    );
    // A wildcard names every file it matches; != negates them all.
    let q = compile("file != *a-1.pcap", &r).unwrap();
    assert_eq!(
        q.bind_files(&mut lookup).unwrap(),
        Query::Not(Box::new(Query::Or(vec![one("n1", 1), one("n2", 1)])))
    );
    let q = compile("file == /.*other.*/", &r).unwrap();
    assert_eq!(q.bind_files(&mut lookup).unwrap(), one("n2", 1));
    // Quotes change nothing for a file name, as in Arkime: `*` is a wildcard, `/…/`
    // a regex.
    let q = compile("file == \"*b-2.pcap\"", &r).unwrap();
    assert_eq!(q.bind_files(&mut lookup).unwrap(), one("n1", 2));
    let q = compile("file == \"/.*other.*/\"", &r).unwrap();
    assert_eq!(q.bind_files(&mut lookup).unwrap(), one("n2", 1));
    // A name no file has is an error, as in Arkime.
    let e = compile("file == /nope.pcap", &r)
        .unwrap()
        .bind_files(&mut lookup)
        .unwrap_err();
    assert_eq!(e, "file '/nope.pcap' not found");
    // Queries without `file` pass through untouched, and never ask.
    let q = compile("port.src == 1", &r).unwrap();
    assert!(!q.names_files());
    let mut never = |_: &Match| -> Result<Vec<(String, u32)>, String> { panic!("asked") };
    assert_eq!(q.clone().bind_files(&mut never).unwrap(), q);
    // Only == and !=, one name at a time.
    for bad in ["file > x", "file == [a,b]"] {
        assert!(compile(bad, &r).is_err(), "{bad}");
    }
}

#[test]
fn wildcards_match_whole_strings() {
    for (p, v, want) in [
        ("*.pcap", "/a/b.pcap", true),
        ("*.pcap", "/a/b.pcapng", false),
        ("/a/?.pcap", "/a/b.pcap", true),
        ("/a/?.pcap", "/a/bc.pcap", false),
        ("*b*c*", "abxxc", true),
        ("*b*c*", "acb", false),
        ("", "", true),
        ("**", "x", true),
    ] {
        assert_eq!(Match::Wildcard(p.into()).matches_str(v), want, "{p} {v}");
    }
}
