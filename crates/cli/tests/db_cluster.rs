//! `trawl db init|info|expire|wipe` on a real OpenSearch node
//! (`tests/opensearch/node.sh start`; skipped without one, failing under CI=true).

use std::process::{Command, Output, Stdio};

use trawl_cluster::layout;
use trawl_cluster::testing::{self, cleanup, unique_prefix};

fn trawl(url: &str, prefix: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["db"])
        .args(args)
        .args(["-q", "--elasticsearch", url, "--prefix", prefix])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn init_info_expire_wipe() {
    let Some(url) = testing::node_url() else {
        return;
    };
    let c = testing::client(&url);
    let p = unique_prefix("cli");
    cleanup(&c, &p).unwrap();

    let o = trawl(&url, &p, &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(layout::db_version(&c, &p).unwrap(), Some(86));
    // The capture's whole registry went to the fields index (hundreds of fields).
    let n = c.get(&format!("/{p}fields/_count")).unwrap()["count"]
        .as_u64()
        .unwrap();
    assert!(n > 300, "{n}");
    for id in [
        "host.http",
        "host.dns",
        "tls.ja3",
        "protocols",
        "ip.src",
        "tcpflags.syn",
    ] {
        assert!(
            c.get_opt(&format!("/{p}fields/_doc/{id}"))
                .unwrap()
                .is_some(),
            "{id}"
        );
    }

    // Initialized: refused without --force, nothing to do with --ifneeded.
    let o = trawl(&url, &p, &["init"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = trawl(&url, &p, &["init", "--ifneeded"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("nothing to do"));

    let o = trawl(&url, &p, &["info"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("DB version:         86"), "{}", text(&o));
    assert!(text(&o).contains(&format!("{p}fields_v30")));

    c.put(&format!("/{p}sessions3-200101"), &serde_json::json!({}))
        .unwrap();
    let o = trawl(&url, &p, &["expire", "--days", "30"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("deleted {p}sessions3-200101")));
    assert!(
        text(&o).contains("1 sessions index deleted"),
        "{}",
        text(&o)
    );

    // wipe asks; with stdin not a terminal it needs --force.
    let o = trawl(&url, &p, &["wipe"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = trawl(&url, &p, &["wipe", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(c.get(&format!("/{p}fields/_count")).unwrap()["count"], 47);

    let o = trawl(&url, &p, &["init", "--force", "--shards", "2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("greater than the number of data nodes"),
        "{}",
        text(&o)
    );

    cleanup(&c, &p).unwrap();
}

#[test]
fn unreachable_cluster_exits_1_naming_it() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let url = format!("http://127.0.0.1:{port}");
    for args in [
        &["init"][..],
        &["info"],
        &["expire", "--days", "1"],
        &["wipe", "--force"],
    ] {
        let o = trawl(&url, "arkime", args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let t = text(&o);
        assert!(t.contains(&url) && t.contains("refused"), "{args:?}: {t}");
    }
}

#[test]
fn init_and_wipe_need_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["init", "wipe"] {
        let o = Command::new(env!("CARGO_BIN_EXE_trawl"))
            .args(["db", cmd, "-q", "-o"])
            .arg(format!("dataDir={}", dir.path().display()))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(text(&o).contains("--elasticsearch"), "{}", text(&o));
    }
}
