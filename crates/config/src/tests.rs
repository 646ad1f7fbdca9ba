use std::path::Path;

use super::*;

fn ov(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn cfg(text: &str, node: &str) -> Config {
    Config::from_str(text, "config.ini", node, &[]).unwrap()
}

const LAYERED: &str = "\
[default]
a=default-a
b=default-b
c=default-c
d=default-d
nodeClass=big

[big]
b=class-b
c=class-c

[node1]
c=node-c
";

#[test]
fn lookup_order_override_node_class_default() {
    let c = Config::from_str(LAYERED, "config.ini", "node1", &ov(&[("d", " over-d ")])).unwrap();
    assert_eq!(c.node(), "node1");
    assert_eq!(c.node_class(), Some("big"));
    assert_eq!(c.get("a"), Some("default-a"));
    assert_eq!(c.get("b"), Some("class-b"));
    assert_eq!(c.get("c"), Some("node-c"));
    assert_eq!(c.get("d"), Some("over-d"));
    assert_eq!(c.get("missing"), None);
    assert_eq!(c.location("c"), "config.ini [node1]");
    assert_eq!(c.location("b"), "config.ini [big]");
    assert_eq!(c.location("d"), "-o");

    // Another node sees no [node1] values; the last -o for a key wins.
    let c = Config::from_str(
        LAYERED,
        "config.ini",
        "other",
        &ov(&[("a", "1"), ("a", "2")]),
    )
    .unwrap();
    assert_eq!(c.get("c"), Some("class-c"));
    assert_eq!(c.get("a"), Some("2"));
}

#[test]
fn node_class_from_node_section() {
    let c = cfg(
        "[default]\nx=d\n[n]\nnodeClass=cls\n[cls]\nx=from-class\n",
        "n",
    );
    assert_eq!(c.node_class(), Some("cls"));
    assert_eq!(c.get("x"), Some("from-class"));
    // An empty nodeClass means none.
    let c = cfg("[default]\nnodeClass=\nx=d\n", "n");
    assert_eq!(c.node_class(), None);
}

#[test]
fn strings_and_empty_values() {
    let c = Config::from_str(
        "[default]\nname =  spaced value  \nempty=\nesc=a\\sb\\\\c\n",
        "config.ini",
        "n",
        &ov(&[("blank", "")]),
    )
    .unwrap();
    assert_eq!(c.get_str("name", "x"), "spaced value");
    assert_eq!(c.get_str("esc", ""), "a b\\c");
    assert_eq!(c.get_str("empty", "dflt"), "");
    assert_eq!(c.get_str("missing", "dflt"), "dflt");
    assert_eq!(c.get_opt_str("name").as_deref(), Some("spaced value"));
    assert_eq!(c.get_opt_str("empty"), None);
    assert_eq!(c.get_opt_str("blank"), None);
    assert_eq!(c.get_opt_str("missing"), None);
}

#[test]
fn booleans() {
    let c = Config::from_str(
        "[default]\nt=true\none=1\nf=false\nzero=0 \nempty=\nyes=yes\nupper=TRUE\n",
        "config.ini",
        "n",
        &ov(&[("o", "1")]),
    )
    .unwrap();
    assert!(c.get_bool("t", false).unwrap());
    assert!(c.get_bool("one", false).unwrap());
    assert!(!c.get_bool("f", true).unwrap());
    assert!(!c.get_bool("zero", true).unwrap());
    assert!(c.get_bool("empty", true).unwrap());
    assert!(c.get_bool("missing", true).unwrap());
    assert!(c.get_bool("o", false).unwrap());
    let err = c.get_bool("yes", false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.ini [default] yes: 'yes' is not a boolean (use true, false, 1 or 0)"
    );
    assert!(c.get_bool("upper", false).is_err());
}

#[test]
fn integers_clamp_and_reject_garbage() {
    let c = Config::from_str(
        "[default]\npacketThreads=abc\nbig=99999\nneg=-5\nok= 42 \nempty=\n",
        "config.ini",
        "n",
        &ov(&[("over", "7x")]),
    )
    .unwrap();
    let err = c.get_int("packetThreads", 1, 1, 24).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.ini [default] packetThreads: 'abc' is not a number"
    );
    assert_eq!(c.get_int("big", 1, 1, 100).unwrap(), 100);
    assert_eq!(c.get_int("neg", 1, 0, 100).unwrap(), 0);
    assert_eq!(c.get_int("ok", 1, 0, 100).unwrap(), 42);
    assert_eq!(c.get_int("empty", 9, 0, 100).unwrap(), 9);
    assert_eq!(c.get_int("missing", 9, 0, 100).unwrap(), 9);
    let err = c.get_int("over", 1, 0, 100).unwrap_err();
    assert_eq!(err.to_string(), "-o over: '7x' is not a number");
}

#[test]
fn doubles() {
    let c = cfg("[default]\ng=0.5\ntiny=0.0001\nbad=1.2.3\nnan=NaN\n", "n");
    assert_eq!(c.get_double("g", 12.0, 0.01, 1024.0).unwrap(), 0.5);
    assert_eq!(c.get_double("tiny", 12.0, 0.01, 1024.0).unwrap(), 0.01);
    assert_eq!(c.get_double("missing", 12.0, 0.01, 1024.0).unwrap(), 12.0);
    assert!(c.get_double("bad", 1.0, 0.0, 2.0).is_err());
    assert!(c.get_double("nan", 1.0, 0.0, 2.0).is_err());
}

#[test]
fn lists() {
    let c = Config::from_str(
        "[default]\nl= a ; b;;c ;\nesc=x\\;y;z\ncomma=a,b;c\nempty=\n",
        "config.ini",
        "n",
        &ov(&[("o", " p ;q;")]),
    )
    .unwrap();
    assert_eq!(c.get_list("l", "zz"), ["a", "b", "c"]);
    assert_eq!(c.get_list("esc", ""), ["x;y", "z"]);
    assert_eq!(c.get_list("comma", ""), ["a,b", "c"]);
    assert_eq!(c.get_list("empty", "d1;d2"), Vec::<String>::new());
    assert_eq!(c.get_list("missing", " d1 ; d2 ;"), ["d1", "d2"]);
    assert_eq!(c.get_list("missing", ""), Vec::<String>::new());
    assert_eq!(c.get_list("o", ""), ["p", "q"]);
}

#[test]
fn sections_in_file_order() {
    let c = cfg(
        "[default]\nx=1\n[override-ips]\n10.0.0.2=tag:b\n10.0.0.1=tag:a\n[empty]\n",
        "n",
    );
    let s = c.section("override-ips").unwrap();
    assert_eq!(s[0], ("10.0.0.2".to_string(), "tag:b".to_string()));
    assert_eq!(s[1].0, "10.0.0.1");
    assert_eq!(c.section("empty").unwrap().len(), 0);
    assert!(c.section("nope").is_none());
    assert_eq!(
        c.section_names().collect::<Vec<_>>(),
        ["default", "override-ips", "empty"]
    );
}

#[test]
fn unknown_keys_reported_once() {
    let c = Config::from_str(
        "[default]\npacketThreads=1\nbogus=1\nnodeClass=cls\n[cls]\nclassBogus=1\n[n]\nbogus=2\nnodeBogus=1\n[other]\nignored=1\n",
        "config.ini",
        "n",
        &ov(&[("overBogus", "1"), ("pcapDir", "/x")]),
    )
    .unwrap();
    assert_eq!(
        c.unknown_keys(KNOWN_KEYS),
        ["overBogus", "bogus", "classBogus", "nodeBogus"]
    );
    assert!(c
        .unknown_keys(&[
            "bogus",
            "classBogus",
            "nodeBogus",
            "overBogus",
            "packetThreads",
            "nodeClass",
            "pcapDir"
        ])
        .is_empty());
}

#[test]
fn includes_merge_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("extra.ini");
    std::fs::write(&inc, "[default]\nb=from-include\n[newsec]\nk=v\n").unwrap();
    let missing = dir.path().join("missing.ini");
    let main = dir.path().join("config.ini");
    std::fs::write(
        &main,
        format!(
            "[default]\na=main\nb=main\nincludes={};-{}\n",
            inc.display(),
            missing.display()
        ),
    )
    .unwrap();
    let c = Config::load(Some(&main), "n", &[]).unwrap();
    assert_eq!(c.get("a"), Some("main"));
    assert_eq!(c.get("b"), Some("from-include"));
    assert_eq!(c.section("newsec").unwrap()[0].1, "v");
    assert!(c.location("b").starts_with(&inc.display().to_string()));

    // A required include that is missing is an error naming it.
    std::fs::write(
        &main,
        format!("[default]\nincludes={}\n", missing.display()),
    )
    .unwrap();
    let err = Config::load(Some(&main), "n", &[]).unwrap_err();
    assert!(matches!(err, ConfigError::Include { .. }));
    assert!(err.to_string().contains("missing.ini"), "{err}");
    // ... and the file whose includes= names it.
    assert!(
        err.to_string().contains(&format!(
            "named by includes= in {} [default]",
            main.display()
        )),
        "{err}"
    );

    // A syntax error in an include names the include file.
    std::fs::write(&inc, "[default]\nnot a pair\n").unwrap();
    std::fs::write(&main, format!("[default]\nincludes={}\n", inc.display())).unwrap();
    let err = Config::load(Some(&main), "n", &[]).unwrap_err();
    assert!(err.to_string().contains("extra.ini:2"), "{err}");
}

#[test]
fn keys_rules_refer_to_are_not_unknown() {
    let c = cfg("[default]\nrules_x=2\nnot_a_key=1\n", "n");
    assert_eq!(c.unknown_keys(crate::KNOWN_KEYS), ["rules_x", "not_a_key"]);
    assert_eq!(c.resolve_var("${rules_x}").unwrap(), "2");
    assert_eq!(c.unknown_keys(crate::KNOWN_KEYS), ["not_a_key"]);
    // Clones (the packet threads' copies) share what was referred to.
    assert_eq!(c.clone().unknown_keys(crate::KNOWN_KEYS), ["not_a_key"]);
}

#[test]
fn load_errors() {
    let err = Config::load(Some(Path::new("/nonexistent/trawl/config.ini")), "n", &[]).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/trawl/config.ini"),
        "{err}"
    );
    let err = Config::load(Some(Path::new("config.json")), "n", &[]).unwrap_err();
    assert!(matches!(err, ConfigError::Unsupported { .. }), "{err}");
    let err = Config::load(Some(Path::new("http://example.com/config.ini")), "n", &[]).unwrap_err();
    assert!(matches!(err, ConfigError::Unsupported { .. }), "{err}");
}

#[test]
fn environment_variables() {
    let mut c = cfg("[default]\nx=file\n[n]\ny=node\n", "n");
    c.apply_env(ov(&[
        ("ARKIME__x", "env"),
        ("ARKIME_n__y", "env-node"),
        ("ARKIME_headersDASHhttpDASHrequest__xDASHfoo", "type:string"),
        ("ARKIME_default__nodeClass", "cls"),
        ("ARKIME_cls__z", "class;list"),
        ("ARKIME_nosplit", "ignored"),
        ("PATH", "/bin"),
    ]));
    assert_eq!(c.get("x"), Some("env"));
    assert_eq!(c.get("y"), Some("env-node"));
    assert_eq!(
        c.section("headers-http-request").unwrap()[0],
        ("x-foo".to_string(), "type:string".to_string())
    );
    assert_eq!(c.node_class(), Some("cls"));
    assert_eq!(c.get_list("z", ""), ["class", "list"]);
    assert_eq!(c.location("x"), "environment [default]");
    assert!(c.get("nosplit").is_none());
}

#[test]
fn resolve_rules_vars() {
    let c = cfg("[default]\nrules_value_2=2\n", "n");
    assert_eq!(c.resolve_var("${rules_value_2}").unwrap(), "2");
    assert_eq!(c.resolve_var("plain").unwrap(), "plain");
    let err = c.resolve_var("${nope}").unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn settings_defaults() {
    let c = Config::load(None, "node1", &[]).unwrap();
    assert_eq!(c.source(), "built-in defaults");
    let s = Settings::from_config(&c).unwrap();
    assert_eq!(s.node_name, "node1");
    assert_eq!(s.node_class, None);
    assert_eq!(s.prefix, "arkime_");
    assert_eq!(s.rotate, Rotate::Daily);
    assert_eq!(s.packet_threads, 1);
    assert_eq!(s.max_streams, 1_500_000);
    assert_eq!(s.max_packets, 10_000);
    assert_eq!(s.max_packets_in_queue, 200_000);
    assert_eq!(
        (
            s.tcp_timeout,
            s.udp_timeout,
            s.icmp_timeout,
            s.sctp_timeout,
            s.esp_timeout
        ),
        (480, 60, 10, 60, 600)
    );
    assert_eq!(s.tcp_closing_timeout, 5);
    assert_eq!(s.tcp_save_timeout, 480);
    assert_eq!(
        (s.frags_timeout, s.max_frags, s.snap_len),
        (480, 10_000, 16_384)
    );
    assert_eq!(s.pcap_dir, ["/opt/arkime/raw"]);
    assert_eq!(s.max_file_size_g, 12.0);
    assert_eq!(s.max_file_size_bytes(), 12 * 1024 * 1024 * 1024);
    assert_eq!(s.max_file_time_m, 0);
    assert_eq!(s.geolite2_asn.len(), 3);
    assert_eq!(s.geolite2_country.len(), 6);
    assert!(s.save_unknown_packets.is_empty());
    assert_eq!(s.session_id_tracking, SessionIdTracking::None);
    assert!(s.gap_packet_pos && s.enable_packet_dedup);
    assert!(!s.track_esp && !s.enable_packet_len && !s.read_truncated_packets);
    assert_eq!(s.auto_generate_id, AutoGenerateId::Off);
    assert!(s.offline_filename_regex.is_match("a/B.PCAP"));
    assert!(!s.offline_filename_regex.is_match("a.pcapng"));
    assert_eq!(s.disable_parsers, ["arp.so"]);
    assert_eq!(s.parsers_dir, ["/opt/arkime/parsers", "./parsers"]);
    assert_eq!(MagicMode::from_config(&c).unwrap(), MagicMode::Both);
    assert_eq!(s.elasticsearch, "localhost:9200");
    assert_eq!(s.pcap_write_method, "simple");
    assert_eq!(s.pcap_read_method, "libpcap");
    assert_eq!(s.spi_data_max_indices, Some(4));
    assert_eq!(s.data_dir, Path::new("./trawl-data"));
    assert_eq!(
        s.session_caps(),
        SessionCaps {
            tcp: 1_875_000,
            udp: 75_000,
            icmp: 7_500,
            sctp: 75_000,
            esp: 7_500,
            other: 75_000
        }
    );
}

#[test]
fn settings_prefix_and_small_caps() {
    let c = cfg(
        "[default]\nprefix=abc\nmaxStreams=1000\npacketThreads=3\n",
        "n",
    );
    let s = Settings::from_config(&c).unwrap();
    assert_eq!(s.prefix, "abc_");
    // 1000 / 3 = 333 per thread; 333 * 1.25 = 416.25, truncated.
    let caps = s.session_caps();
    assert_eq!((caps.tcp, caps.udp, caps.icmp), (416, 64, 64));

    let s = Settings::from_config(&cfg("[default]\nprefix=done_\n", "n")).unwrap();
    assert_eq!(s.prefix, "done_");
    let s = Settings::from_config(&cfg("[default]\nprefix=\n", "n")).unwrap();
    assert_eq!(s.prefix, "");
    let long = "x".repeat(51);
    let err = Settings::from_config(&cfg(&format!("[default]\nprefix={long}\n"), "n")).unwrap_err();
    assert!(err.to_string().contains("longer than 50"), "{err}");
}

#[test]
fn settings_bad_values_name_key_and_value() {
    for (text, needle) in [
        (
            "[default]\nrotateIndex=yearly\n",
            "config.ini [default] rotateIndex: 'yearly'",
        ),
        ("[default]\nrotateIndex=\n", "rotateIndex: ''"),
        (
            "[n]\nsaveUnknownPackets=ip:tcp;ip:nosuch\n",
            "config.ini [n] saveUnknownPackets: 'ip:nosuch'",
        ),
        (
            "[default]\nsaveUnknownPackets=bogus\n",
            "saveUnknownPackets: 'bogus'",
        ),
        (
            "[default]\nsaveUnknownPackets=ether:0x10000\n",
            "'ether:0x10000'",
        ),
        ("[default]\nsaveUnknownPackets=ip:256\n", "'ip:256'"),
        (
            "[default]\nsessionIdTracking=mpls\n",
            "sessionIdTracking: 'mpls'",
        ),
        (
            "[default]\nautoGenerateId=maybe\n",
            "autoGenerateId: 'maybe'",
        ),
        (
            "[default]\npcapDirAlgorithm=random\n",
            "pcapDirAlgorithm: 'random'",
        ),
        (
            "[default]\npcapDirTemplate=%Y/%m\n",
            "pcapDirTemplate: '%Y/%m'",
        ),
        (
            "[default]\nofflineFilenameRegex=(\n",
            "offlineFilenameRegex: '('",
        ),
        (
            "[default]\ntcpTimeout=ten\n",
            "tcpTimeout: 'ten' is not a number",
        ),
        (
            "[default]\ntrackESP=on\n",
            "trackESP: 'on' is not a boolean",
        ),
        ("[default]\nmaxFileSizeG=big\n", "maxFileSizeG: 'big'"),
        ("[default]\ndontSaveTags=a:b\n", "dontSaveTags: 'a:b'"),
        (
            "[vlan-vni-collapse]\n1=2,x\n",
            "config.ini [vlan-vni-collapse] 1: '2,x'",
        ),
    ] {
        let err = Settings::from_config(&cfg(text, "n")).unwrap_err();
        assert!(err.to_string().contains(needle), "{text:?}: {err}");
    }
    // magicMode is read by the parsers that use it, through MagicMode::from_config.
    let err = MagicMode::from_config(&cfg("[default]\nmagicMode=magic\n", "n")).unwrap_err();
    assert!(err.to_string().contains("magicMode: 'magic'"), "{err}");
}

#[test]
fn settings_clamp_out_of_range() {
    let c = cfg(
        "[default]\npacketThreads=100\nsnapLen=0\nmaxFileSizeG=5000\nspiDataMaxIndices=-7\n",
        "n",
    );
    let s = Settings::from_config(&c).unwrap();
    assert_eq!(s.packet_threads, 24);
    assert_eq!(s.snap_len, 1);
    assert_eq!(s.max_file_size_g, 1024.0);
    assert_eq!(s.spi_data_max_indices, None);
}

#[test]
fn save_unknown_packets_items() {
    let p = |items: &[&str]| SaveUnknownPackets::parse(items).unwrap();

    let s = p(&["ip:tcp", "ip:47", "ether:arp", "ether:0x88CC", "ether:2048"]);
    assert!(s.saves_ip(6) && s.saves_ip(47));
    assert!(!s.saves_ip(17));
    assert!(s.saves_ether(0x0806) && s.saves_ether(0x88cc) && s.saves_ether(0x0800));
    assert!(!s.saves_ether(0x86dd));
    assert!(!s.corrupt);

    let s = p(&["all", "-ip:UDP", "-ether:ipv6", "corrupt"]);
    assert!(s.saves_ip(6) && !s.saves_ip(17) && s.saves_ip(255) && s.saves_ip(0));
    assert!(s.saves_ether(0xffff) && s.saves_ether(0) && !s.saves_ether(0x86dd));
    assert!(s.corrupt);

    let s = p(&["ip:all", "corrupt", "-corrupt"]);
    assert!(s.saves_ip(200) && !s.saves_ether(0x0806) && !s.corrupt);

    let s = p(&["ether:all", "ether:010"]);
    assert!(s.saves_ether(8) && !s.saves_ip(6));

    assert_eq!(
        SaveUnknownPackets::parse(&["-ip:all"]).unwrap_err().0,
        "-ip:all"
    );
    assert!(SaveUnknownPackets::parse(&["ether:0800"]).is_err());
    assert!(SaveUnknownPackets::parse(&["ip:6x"]).is_err());
    assert!(SaveUnknownPackets::parse(&["ether:"]).is_err());
}

#[test]
fn rotate_names() {
    for (s, r) in [
        ("hourly", Rotate::Hourly),
        ("hourly2", Rotate::HourlyN(2)),
        ("hourly12", Rotate::HourlyN(12)),
        ("daily", Rotate::Daily),
        ("weekly", Rotate::Weekly),
        ("monthly", Rotate::Monthly),
    ] {
        assert_eq!(Rotate::parse(s), Some(r));
        assert_eq!(r.to_string(), s);
    }
    for bad in ["hourly5", "hourly02", "hourly+2", "Daily", "hourly1"] {
        assert_eq!(Rotate::parse(bad), None, "{bad}");
    }
}

const REGRESSION_INI: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/arkime-regression/config.test.ini"
);

#[test]
fn arkime_regression_config_for_node_test() {
    let path = Path::new(REGRESSION_INI);
    if !path.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{REGRESSION_INI} is missing under CI"
        );
        eprintln!("skipping: {REGRESSION_INI} not present");
        return;
    }
    let c = Config::load(Some(path), "test", &[]).unwrap();
    let s = Settings::from_config(&c).unwrap();

    assert_eq!(s.node_name, "test");
    assert_eq!(s.packet_threads, 2);
    assert_eq!(s.prefix, "tests_");
    assert_eq!(s.rotate, Rotate::Monthly);
    assert!(!s.gap_packet_pos);
    assert_eq!(s.pcap_write_method, "simple");
    assert_eq!(s.pcap_read_method, "libpcap");
    assert_eq!(
        s.plugins,
        [
            "test.so",
            "tagger.so",
            "wise.so",
            "scrubspi.so",
            "zeekintel.so"
        ]
    );
    assert_eq!(s.interface, ["eth1"]);
    assert_eq!(s.dont_save_bpfs, ["port 12345"]);
    assert_eq!(s.max_streams, 1000);
    assert_eq!(s.session_caps().tcp, 625);
    assert_eq!(s.session_caps().udp, 64);
    assert_eq!(s.icmp_timeout, 60);
    assert_eq!(s.session_id_tracking, SessionIdTracking::Vlan);
    assert!(s.track_esp && s.enable_packet_len && !s.enable_packet_dedup);
    assert!(s.save_unknown_packets.corrupt);
    assert!(s.save_unknown_packets.saves_ip(132) && s.save_unknown_packets.saves_ether(0x88cc));
    assert_eq!(MagicMode::from_config(&c).unwrap(), MagicMode::Basic);
    assert_eq!(s.auto_generate_id, AutoGenerateId::On);
    assert_eq!(s.spi_data_max_indices, None);
    // The file has `\\.` and `\\1`: GLib reads each `\\` as a single backslash.
    assert_eq!(
        s.filename_ops,
        [
            r"tags=/gre-(.*)\.pcap%gretest-\1",
            "tags=dns-error%error-dns"
        ]
    );
    assert!(
        s.disable_parsers.is_empty(),
        "disableParsers= is explicitly empty"
    );
    assert_eq!(s.elasticsearch, ", , http://127.0.0.1:9200,");
    assert_eq!(s.pcap_dir, ["/tmp"]);
    assert_eq!(s.geolite2_country, ["GeoLite2-Country.mmdb"]);
    assert_eq!(s.rir_file.as_deref(), Some("ipv4-address-space.csv"));
    assert_eq!(s.oui_file.as_deref(), Some("oui.txt"));
    assert_eq!(s.parsers_dir, ["../capture/parsers", "parsers"]);
    assert_eq!(
        s.plugins_dir,
        ["plugins", "../tests/plugins", "../capture/plugins"]
    );
    assert_eq!(s.yara.as_deref(), Some("rules.yara"));
    assert_eq!(s.rules_files, ["rules.yaml"]);
    assert_eq!(s.vlan_vni_collapse, [(0, vec![50, 100, 300, 400, 500])]);
    assert_eq!(c.get("passwordSecret"), Some(""));
    assert_eq!(c.get("viewPort"), Some("8123"));
    assert_eq!(c.resolve_var("${rules_value_2}").unwrap(), "2");

    let ips = c.section("override-ips").unwrap();
    assert_eq!(ips.len(), 5);
    assert_eq!(ips[0].0, "10.0.0.1");
    assert_eq!(ips[2].1, "asn:AS0002 Hmm!@#$%^&*()");
    assert_eq!(c.section("custom-fields").unwrap()[0].0, "network.vlan.id");
    assert_eq!(
        c.section("headers-http-request").unwrap()[0],
        (
            "referer".to_string(),
            "type:string;count:true;unique:true".to_string()
        )
    );

    // rules_value_2 was referred to as ${rules_value_2} above; rules_communityId is
    // not yet (the rules file does, when it is loaded).
    let unknown = c.unknown_keys(KNOWN_KEYS);
    assert_eq!(unknown, ["rules_communityId"]);
    for key in [
        "packetThreads",
        "gapPacketPos",
        "viewPort",
        "mcpEnabled",
        "scrubspi",
    ] {
        assert!(!unknown.iter().any(|k| k == key), "{key} in {unknown:?}");
    }

    // Other nodes of the same file.
    let pois = Settings::from_config(&Config::load(Some(path), "test-pois", &[]).unwrap()).unwrap();
    assert_eq!(pois.pcap_read_method, "pcap-over-ip-server");
    assert!(pois.gap_packet_pos);
    assert_eq!(pois.packet_threads, 2);
    let poic = Settings::from_config(&Config::load(Some(path), "test-poic", &[]).unwrap()).unwrap();
    assert_eq!(
        poic.interface,
        ["localhost:57012", "localhost:57013", "localhost:443"]
    );
    let nowise = Settings::from_config(&Config::load(Some(path), "nowise", &[]).unwrap()).unwrap();
    assert_eq!(nowise.packet_threads, 1);
    assert_eq!(nowise.plugins, ["test.so", "tagger.so"]);

    // -o beats the node section.
    let o = Config::load(
        Some(path),
        "test",
        &ov(&[("packetThreads", "4"), ("rotateIndex", "hourly6")]),
    )
    .unwrap();
    let s = Settings::from_config(&o).unwrap();
    assert_eq!((s.packet_threads, s.rotate), (4, Rotate::HourlyN(6)));
}

#[test]
fn sample_placeholders_are_refused_with_a_fix() {
    let dir = std::env::temp_dir().join(format!("trawl-placeholders-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.ini.sample");
    // The shape of Arkime's release/config.ini.sample before its Configure runs.
    std::fs::write(
        &path,
        "[default]\nelasticsearch=ARKIME_ELASTICSEARCH\ninterface=ARKIME_INTERFACE\n\
         pcapDir=ARKIME_INSTALL_DIR/raw\nouiFile=ARKIME_INSTALL_DIR/etc/oui.txt\n\
         #rulesFiles=ARKIME_INSTALL_DIR/etc/arkime.rules\npacketThreads=2\n\
         geoLite2ASN=/nonexistent/a.mmdb;ARKIME_INSTALL_DIR/etc/GeoLite2-ASN.mmdb\n\
         [node1]\npasswordSecret=ARKIME_PASSWORD\n",
    )
    .unwrap();
    let err = Config::load(Some(&path), "node1", &[]).unwrap_err();
    let ConfigError::Placeholders { found, .. } = &err else {
        panic!("{err:?}")
    };
    let keys: Vec<&str> = found.iter().map(|(k, _, _)| k.as_str()).collect();
    // Commented lines and keys without placeholders are not listed; the node's
    // section is.
    assert_eq!(
        keys,
        [
            "elasticsearch",
            "interface",
            "pcapDir",
            "ouiFile",
            "geoLite2ASN",
            "passwordSecret"
        ]
    );
    assert_eq!(found[0].2, None);
    assert_eq!(found[3].2.as_deref(), Some("no such file or directory"));
    assert_eq!(
        found[4].2.as_deref(),
        Some("no such file: /nonexistent/a.mmdb, ARKIME_INSTALL_DIR/etc/GeoLite2-ASN.mmdb")
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{} still holds", path.display())),
        "{msg}"
    );
    assert!(
        msg.contains("\n  ouiFile=ARKIME_INSTALL_DIR/etc/oui.txt   (no such file or directory)")
    );
    assert!(msg.contains(
        "sed -e 's,ARKIME_INSTALL_DIR,/opt/trawl,g' -e 's,ARKIME_ELASTICSEARCH,http://localhost:9200,g' \
         -e 's,ARKIME_INTERFACE,eth0,g' -e 's,ARKIME_PASSWORD,CHANGE_ME,g' config.ini.sample > config.ini"
    ), "{msg}");

    // -o replacing every placeholder lets it load; -o key= unsets a key.
    let fixed = ov(&[
        ("elasticsearch", ""),
        ("interface", "eth0"),
        ("pcapDir", "/tmp"),
        ("ouiFile", ""),
        ("geoLite2ASN", ""),
        ("passwordSecret", "x"),
    ]);
    assert!(Config::load(Some(&path), "node1", &fixed).is_ok());
    // Only the placeholders still there are in the sed line.
    let err = Config::load(Some(&path), "node1", &fixed[1..]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("sed -e 's,ARKIME_ELASTICSEARCH,http://localhost:9200,g' config.ini.sample"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
