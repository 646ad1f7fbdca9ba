//! Store-scale generator (issue 18): builds a store of N sessions from a template
//! store's documents, each rewritten with the spread of real traffic (addresses, ports,
//! times over `--days` daily partitions, hosts, URIs, JA3/JA4, tags, community ids,
//! counters), and reports how fast the store writer indexed them, the bytes per session
//! on disk and the process's peak RSS.
//!
//!     cargo run --release -p trawl-store --example store_scale -- \
//!         --template DATADIR --out DATADIR2 --sessions N [--seed S] [--days 7] \
//!         [--hourly] [--store-max-g G]
//!
//! `--hourly` makes hourly partitions (Arkime's `rotateIndex=hourly`). `--store-max-g`
//! runs the writer with that size cap (`storeMaxG`) and samples the store's size on
//! disk every 200 ms: the result's `retention` says how far above and below the cap it
//! went once it first reached it, the long-run check of retention by size while the
//! writer goes on indexing.
//!
//! Deterministic for a given template, N, seed and days. Documents are generated in
//! chunks ([`CHUNK`]), so memory holds one chunk of bodies, never N. Only feeding a
//! chunk to the writer and waiting until the writer has taken it is timed, so
//! generation does not count; process CPU is that of the whole run less the main
//! thread's CPU while it generated (tantivy's merges that run on meanwhile are kept).
//!
//! Progress goes to stderr; the last line on stdout is
//! `RESULT {json}` with sessions, wall_s, cpu_s, docs_per_s, docs_per_cpu_s, bytes,
//! bytes_per_session, peak_rss_kb (VmHWM of this process at the end, which includes one
//! chunk of generated bodies and the template documents) and more. OUT also gets the
//! template's `fields.json` and `files/` (so `trawl serve -o dataDir=OUT` works) and
//! `scale-pools.json`: a hot and a rare value actually emitted for each value pool,
//! for benchmark queries.
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;
use trawl_output::{Doc, DocOutput};
use trawl_query::{Query, SearchOpts};
use trawl_store::{Store, StoreOutput};

#[path = "common/proc_stat.rs"]
mod proc_stat;
use proc_stat::{cpu_of, status_kb};

/// Documents generated, then indexed, at a time.
const CHUNK: usize = 25_000;
/// The generated week ends at 2026-11-30 00:00 UTC (ms).
const END_MS: i64 = 1_795_996_800_000;
const DAY_MS: i64 = 86_400_000;

const INTERNAL_HOSTS: u64 = 50_000;
const DST_IPS: u64 = 200_000;
const HOSTS: u64 = 100_000;
const URIS: u64 = 1_000_000;
const JA3S: u64 = 2_000;
const JA3SS: u64 = 500;
const JA4S: u64 = 2_000;

/// Common destination ports, most used first (picked Zipf-like); others are a
/// uniform tail.
const PORTS: &[u64] = &[
    443, 80, 53, 123, 22, 25, 8080, 3389, 445, 993, 587, 8443, 3306, 389, 1433, 5432, 636, 110,
    143, 21, 161, 5060, 6379, 9200, 27017, 88, 135, 139, 500, 1194,
];
const TAGS: &[&str] = &[
    "internal",
    "external",
    "vpn",
    "guest",
    "dmz",
    "scanner",
    "backup",
    "iot",
    "printer",
    "voip",
    "byod",
    "lab",
    "prod",
    "staging",
    "suspicious",
    "allowlisted",
    "cdn",
    "cloud",
    "legacy",
    "quarantine",
];
const WORDS: &[&str] = &[
    "www", "api", "cdn", "static", "img", "mail", "login", "auth", "update", "download", "app",
    "m", "news", "shop", "files", "media", "video", "ads", "track", "metrics", "portal", "docs",
    "git", "vpn", "sso", "edge", "assets", "content", "search", "data",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "contoso.com",
    "fabrikam.com",
    "northwind.io",
    "acme.co",
    "globex.com",
    "initech.net",
    "umbrella.org",
    "hooli.com",
    "piedpiper.io",
    "stark.dev",
    "wayne.biz",
    "cyberdyne.ai",
    "tyrell.cloud",
    "wonka.shop",
    "oscorp.net",
    "aperture.science",
    "blackmesa.org",
    "gringotts.bank",
    "dunder.co",
    "vandelay.com",
    "soylent.food",
    "massive.dynamic",
    "weyland.space",
    "zorg.fr",
    "monsters.inc",
    "planetexpress.tv",
    "krusty.biz",
    "sirius.cy",
    "bluth.co",
    "prestige.ws",
    "virtucon.com",
    "gekko.fin",
    "nakatomi.jp",
    "ollivander.uk",
    "spacely.sp",
    "duff.beer",
    "lunar.industries",
];
const SEGS: &[&str] = &[
    "static", "img", "api/v1", "api/v2", "js", "css", "assets", "images", "media", "download",
    "content", "user", "search", "cart", "docs", "blog", "news", "video",
];
const EXTS: &[&str] = &[
    ".js", ".css", ".png", ".jpg", ".html", "", ".json", ".gif", ".svg", ".php", ".woff2", ".mp4",
    ".zip", ".xml",
];

/// splitmix64's finalizer: a bijective hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A seeded splitmix64 generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// A rank in [0, n), Zipf-like (density ~ 1/rank): rank 0 is the hottest and the
    /// tail is long.
    fn zipf(&mut self, n: u64) -> u64 {
        let r = ((n as f64 + 1.0).powf(self.unit()) as u64).saturating_sub(1);
        r.min(n - 1)
    }
}

fn b64(bytes: &[u8], url: bool) -> String {
    let alpha: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(alpha[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if !url {
            for _ in c.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

fn ipv4(h: u64) -> String {
    format!(
        "{}.{}.{}.{}",
        h >> 24 & 255,
        h >> 16 & 255,
        h >> 8 & 255,
        h & 255
    )
}

/// Internal client `k`: 10.a.b.c, spread over 10/8.
fn internal_ip(k: u64) -> String {
    let h = mix(k ^ 0x1111);
    format!("10.{}.{}.{}", h >> 16 & 255, h >> 8 & 255, 1 + h % 254)
}

/// A public address from hash `h` (first octet 1-223, not 10 or 127).
fn public_ip(h: u64) -> String {
    let mut a = 1 + (h >> 32) % 223;
    if a == 10 || a == 127 {
        a += 1;
    }
    ipv4((a << 24) | (h & 0xff_ffff))
}

/// Destination `r` of the Zipf pool: one in five an internal server.
fn dst_ip(r: u64) -> String {
    let h = mix(r ^ 0x2222);
    if r.is_multiple_of(5) {
        format!("10.{}.{}.{}", h >> 16 & 255, h >> 8 & 255, 1 + h % 254)
    } else {
        public_ip(h)
    }
}

fn host_name(r: u64) -> String {
    let h = mix(r ^ 0x3333);
    format!(
        "{}{}.{}",
        WORDS[(h % WORDS.len() as u64) as usize],
        r,
        DOMAINS[((h >> 16) % DOMAINS.len() as u64) as usize]
    )
}

fn uri_path(r: u64) -> String {
    let h = mix(r ^ 0x4444);
    format!(
        "/{}/{:x}{}",
        SEGS[(h % SEGS.len() as u64) as usize],
        r,
        EXTS[((h >> 16) % EXTS.len() as u64) as usize]
    )
}

fn ja3(r: u64, salt: u64) -> String {
    format!("{:016x}{:016x}", mix(r ^ salt), mix(r ^ salt ^ 0xffff))
}

fn ja4(r: u64) -> String {
    let h = mix(r ^ 0x5555);
    format!(
        "t1{}d{:02}{:02}{}_{:012x}_{:012x}",
        2 + h % 2,
        5 + (h >> 8) % 20,
        3 + (h >> 16) % 18,
        ["h2", "h1", "00"][((h >> 24) % 3) as usize],
        mix(h) & 0xffff_ffff_ffff,
        mix(h ^ 1) & 0xffff_ffff_ffff
    )
}

/// A hot and a rare value of one pool, as emitted.
#[derive(Default)]
struct Seen {
    hot: Option<String>,
    rare: Option<String>,
}

impl Seen {
    fn note(&mut self, rank: u64, n: u64, v: &str) {
        if rank == 0 && self.hot.is_none() {
            self.hot = Some(v.to_string());
        }
        if rank >= n / 2 && self.rare.is_none() {
            self.rare = Some(v.to_string());
        }
    }
    fn json(&self) -> Value {
        serde_json::json!({"hot": self.hot, "rare": self.rare})
    }
}

#[derive(Default)]
struct Pools {
    src_ip: Seen,
    dst_ip: Seen,
    http_host: Seen,
    dns_host: Seen,
    uri: Seen,
    ja3: Seen,
    ja4: Seen,
}

/// Civil date (y, m, d) of a day number since 1970-01-01 (Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn yymmdd(ms: i64) -> String {
    let (y, m, d) = civil(ms.div_euclid(DAY_MS));
    format!("{:02}{m:02}{d:02}", y % 100)
}

fn set_strings(v: Option<&mut Value>, mut f: impl FnMut() -> String) {
    if let Some(Value::Array(a)) = v {
        for e in a.iter_mut() {
            *e = Value::String(f());
        }
    }
}

fn scale(v: &mut Value, ptr: &str, k: f64) -> Option<u64> {
    let x = v.pointer_mut(ptr)?;
    let n = x.as_u64()?;
    let s = if n == 0 {
        0
    } else {
        ((n as f64 * k).round() as u64).max(1)
    };
    *x = Value::from(s);
    Some(s)
}

/// Rewrites template document `v` as session `i` of `n`.
fn rewrite(v: &mut Value, i: u64, n: u64, days: i64, rng: &mut Rng, pools: &mut Pools) -> i64 {
    // Time: increasing over the window, with up to a minute of jitter; 0-120 s long,
    // most short. Only the last sessions spill past the end, into an eighth day.
    let span = days * DAY_MS;
    let base = END_MS - span + ((i as f64 + 0.5) / n as f64 * span as f64) as i64;
    let first = base + rng.below(60_000) as i64;
    let dur = (120_001f64.powf(rng.unit()) - 1.0) as i64;
    let last = first + dur;
    for (p, t) in [
        ("/firstPacket", first),
        ("/lastPacket", last),
        ("/packetRange/gte", first),
        ("/packetRange/lte", last),
        ("/length", dur),
        ("/@timestamp", last + 1_000 + rng.below(60_000) as i64),
    ] {
        if let Some(x) = v.pointer_mut(p) {
            *x = Value::from(t);
        }
    }

    // Addresses and ports (IPv6 sessions keep their addresses).
    if let Some(x) = v.pointer_mut("/source/ip") {
        if x.as_str().is_some_and(|s| s.contains('.')) {
            let ip = if rng.below(10) < 9 {
                let k = rng.zipf(INTERNAL_HOSTS);
                let ip = internal_ip(k);
                pools.src_ip.note(k, INTERNAL_HOSTS, &ip);
                ip
            } else {
                public_ip(rng.next())
            };
            *x = Value::String(ip);
        }
    }
    if let Some(x) = v.pointer_mut("/destination/ip") {
        if x.as_str().is_some_and(|s| s.contains('.')) {
            let r = rng.zipf(DST_IPS);
            let ip = dst_ip(r);
            pools.dst_ip.note(r, DST_IPS, &ip);
            *x = Value::String(ip);
        }
    }
    if let Some(x) = v.pointer_mut("/source/port") {
        *x = Value::from(1024 + rng.below(65_536 - 1024));
    }
    if let Some(x) = v.pointer_mut("/destination/port") {
        let p = if rng.below(10) < 9 {
            PORTS[rng.zipf(PORTS.len() as u64) as usize]
        } else {
            1 + rng.below(65_535)
        };
        *x = Value::from(p);
    }

    // HTTP hosts and URIs.
    let mut host0 = None;
    set_strings(v.pointer_mut("/http/host"), || {
        let r = rng.zipf(HOSTS);
        let h = host_name(r);
        pools.http_host.note(r, HOSTS, &h);
        host0.get_or_insert_with(|| h.clone());
        h
    });
    let mut paths = Vec::new();
    set_strings(v.pointer_mut("/http/uri"), || {
        let r = rng.zipf(URIS);
        let p = uri_path(r);
        let host = host0.clone().unwrap_or_else(|| host_name(r % HOSTS));
        let u = format!("{host}{p}");
        pools.uri.note(r, URIS, &u);
        paths.push(p);
        u
    });
    let mut pi = 0;
    set_strings(v.pointer_mut("/http/path"), || {
        pi += 1;
        paths
            .get(pi - 1)
            .cloned()
            .unwrap_or_else(|| uri_path(rng.zipf(URIS)))
    });

    // DNS queries.
    if let Some(Value::Array(qs)) = v.pointer_mut("/dns") {
        for q in qs.iter_mut() {
            let mut first_host = None;
            set_strings(q.get_mut("host"), || {
                let r = rng.zipf(HOSTS);
                let h = host_name(r);
                pools.dns_host.note(r, HOSTS, &h);
                first_host.get_or_insert_with(|| h.clone());
                h
            });
            if let Some(x) = q.get_mut("queryHost") {
                *x = Value::String(first_host.unwrap_or_else(|| host_name(rng.zipf(HOSTS))));
            }
        }
    }

    // TLS fingerprints.
    set_strings(v.pointer_mut("/tls/ja3"), || {
        let r = rng.zipf(JA3S);
        let s = ja3(r, 0x6666);
        pools.ja3.note(r, JA3S, &s);
        s
    });
    set_strings(v.pointer_mut("/tls/ja3s"), || ja3(rng.zipf(JA3SS), 0x7777));
    set_strings(v.pointer_mut("/tls/ja4"), || {
        let r = rng.zipf(JA4S);
        let s = ja4(r);
        pools.ja4.note(r, JA4S, &s);
        s
    });

    // Tags: the template's own, plus 0-2 of the pool (half the sessions none).
    let extra = match rng.below(100) {
        0..=49 => 0,
        50..=84 => 1,
        _ => 2,
    };
    if extra > 0 {
        if let Some(o) = v.as_object_mut() {
            let tags = o.entry("tags").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = tags {
                for _ in 0..extra {
                    let t = Value::from(TAGS[rng.zipf(TAGS.len() as u64) as usize]);
                    if !a.contains(&t) {
                        a.push(t);
                    }
                }
                let c = a.len();
                o.insert("tagsCnt".into(), Value::from(c));
            }
        }
    }

    // Community id: unique-ish per session.
    if let Some(x) = v.pointer_mut("/network/community_id") {
        let mut b = [0u8; 20];
        for c in b.chunks_mut(8) {
            let r = rng.next().to_le_bytes();
            c.copy_from_slice(&r[..c.len()]);
        }
        *x = Value::String(format!("1:{}", b64(&b, false)));
    }

    // Counters, scaled by 0.5-16.
    let k = 2f64.powf(rng.unit() * 5.0 - 1.0);
    let sp = scale(v, "/source/packets", k);
    let dp = scale(v, "/destination/packets", k);
    let sb = scale(v, "/source/bytes", k);
    let db = scale(v, "/destination/bytes", k);
    let cb = scale(v, "/client/bytes", k);
    let xb = scale(v, "/server/bytes", k);
    for (p, a, b) in [
        ("/network/packets", sp, dp),
        ("/network/bytes", sb, db),
        ("/totDataBytes", cb, xb),
    ] {
        if let (Some(x), Some(a), Some(b)) = (v.pointer_mut(p), a, b) {
            *x = Value::from(a + b);
        }
    }
    last
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// Samples the size of the store under `dir` while `on`, and says how it kept to `cap`
/// from the first time it reached it: the highest and lowest sizes as fractions of the
/// cap, and the number of samples.
fn sample_size(dir: &Path, cap: u64, on: &std::sync::atomic::AtomicBool) -> Value {
    let (mut full, mut hi, mut lo, mut samples) = (false, 0f64, f64::MAX, 0u64);
    let mut first_full_s = None;
    let t0 = Instant::now();
    while on.load(Ordering::Relaxed) {
        // A partition deleted while it is walked reads as smaller: such a sample is
        // taken again.
        let a = trawl_store::dir_bytes(dir);
        let b = trawl_store::dir_bytes(dir);
        let size = a.max(b) as f64 / cap as f64;
        if size >= 1.0 && !full {
            full = true;
            first_full_s = Some(t0.elapsed().as_secs_f64());
        }
        if full {
            hi = hi.max(size);
            lo = lo.min(size);
            samples += 1;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    serde_json::json!({
        "cap_bytes": cap,
        "reached_cap_after_s": first_full_s,
        "max_of_cap": hi,
        "min_of_cap": if full { lo } else { 0.0 },
        "samples_after_full": samples,
    })
}

fn usage() -> ! {
    eprintln!(
        "usage: store_scale --template DATADIR --out DATADIR2 --sessions N [--seed S] [--days 7] [--hourly] [--store-max-g G]"
    );
    std::process::exit(2)
}

fn main() {
    let mut template = None;
    let mut out = None;
    let (mut n, mut seed, mut days) = (0u64, 1u64, 7i64);
    let (mut hourly, mut cap_g) = (false, None::<f64>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--template" => template = Some(PathBuf::from(val())),
            "--out" => out = Some(PathBuf::from(val())),
            "--sessions" => n = val().parse().unwrap_or_else(|_| usage()),
            "--seed" => seed = val().parse().unwrap_or_else(|_| usage()),
            "--days" => days = val().parse().unwrap_or_else(|_| usage()),
            "--hourly" => hourly = true,
            "--store-max-g" => cap_g = Some(val().parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    let (Some(template), Some(out)) = (template, out) else {
        usage()
    };
    if n == 0 || days < 1 {
        usage();
    }
    let sessions = trawl_store::sessions_dir(&out);
    if sessions.exists() && std::fs::read_dir(&sessions).is_ok_and(|mut d| d.next().is_some()) {
        eprintln!("{}: already holds a store; remove it first", out.display());
        std::process::exit(1);
    }

    // The template's documents (as text: parsed again for each use, to keep memory
    // small), its partition prefix ("arkime_") and its fields.
    let store = Store::open(&template).expect("template store");
    let names: Vec<String> = store
        .partition_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let Some(part) = names.first() else {
        eprintln!("{}: no partitions", template.display());
        std::process::exit(1);
    };
    let prefix = part
        .find("sessions3-")
        .map_or("", |i| &part[..i])
        .to_string();
    let index = tantivy::Index::open_in_dir(trawl_store::sessions_dir(&template).join(part))
        .expect("template partition");
    let fields = trawl_store::schema::Fields::new(index.schema())
        .expect("a session partition")
        .list();
    drop(index);
    let mut templates: Vec<String> = Vec::new();
    store
        .scan(&Query::And(Vec::new()), &SearchOpts::default(), &mut |h| {
            templates.push(h.source);
            true
        })
        .expect("scan template");
    drop(store);
    if templates.is_empty() {
        eprintln!("{}: no documents", template.display());
        std::process::exit(1);
    }
    std::fs::create_dir_all(&out).expect("out dir");
    let fj = template.join("fields.json");
    if fj.exists() {
        std::fs::copy(&fj, out.join("fields.json")).expect("copy fields.json");
    }
    if template.join("files").is_dir() {
        copy_dir(&template.join("files"), &out.join("files")).expect("copy files/");
    }
    let rss_before_kb = status_kb("VmRSS:");
    eprintln!(
        "template: {} documents, {} fields, partition prefix '{prefix}'; generating {n} sessions over {days} days",
        templates.len(),
        fields.len()
    );

    let mut rng = Rng(seed ^ 0x5ca1_ab1e);
    let mut pools = Pools::default();
    let retention = trawl_store::retention::Retention {
        max_size: cap_g.map(|g| trawl_store::retention::SizeCap::Bytes((g * 1073741824.0) as u64)),
        max_days: None,
    };
    let cap = retention.max_size.map(|c| c.bytes(&out));
    let output = StoreOutput::start_with(&out, fields, retention).expect("start store writer");
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = cap.map(|cap| {
        let (dir, on) = (sessions.clone(), sampling.clone());
        std::thread::spawn(move || sample_size(&dir, cap, &on))
    });
    let (t_all, c_all) = (Instant::now(), cpu_of("/proc/self/stat"));
    let (mut wall, mut gen_wall, mut gen_cpu) = (0f64, 0f64, 0f64);
    let mut last_report = Instant::now();
    let mut i = 0u64;
    let mut chunk: Vec<Doc> = Vec::with_capacity(CHUNK);
    while i < n {
        let (tg, cg) = (Instant::now(), cpu_of("/proc/thread-self/stat"));
        chunk.clear();
        let end = (i + CHUNK as u64).min(n);
        for j in i..end {
            let t = &templates[(j % templates.len() as u64) as usize];
            let mut v: Value = serde_json::from_str(t).expect("template json");
            let last = rewrite(&mut v, j, n, days, &mut rng, &mut pools);
            let day = if hourly {
                format!(
                    "{}h{:02}",
                    yymmdd(last),
                    last.rem_euclid(DAY_MS) / 3_600_000
                )
            } else {
                yymmdd(last)
            };
            let mut idb = [0u8; 18];
            idb[..8].copy_from_slice(&j.to_be_bytes());
            idb[8..16].copy_from_slice(&rng.next().to_le_bytes());
            idb[16..].copy_from_slice(&seed.to_le_bytes()[..2]);
            chunk.push(Doc {
                index: format!("{prefix}sessions3-{day}"),
                id: Some(format!("{day}-{}", b64(&idb, true))),
                body: serde_json::to_string(&v).expect("json"),
            });
        }
        gen_wall += tg.elapsed().as_secs_f64();
        gen_cpu += cpu_of("/proc/thread-self/stat") - cg;

        // Timed: hand the chunk over and wait until the writer has taken all of it.
        let t0 = Instant::now();
        for d in chunk.drain(..) {
            output.emit(d);
        }
        while output.stats.indexed.load(Ordering::Relaxed)
            + output.stats.failed.load(Ordering::Relaxed)
            < end
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        wall += t0.elapsed().as_secs_f64();
        i = end;
        if last_report.elapsed() >= Duration::from_secs(5) || i == n {
            last_report = Instant::now();
            eprintln!(
                "{i}/{n} sessions: indexing {:.1} s ({:.0} docs/s), generating {:.1} s, RSS {} MB",
                wall,
                i as f64 / wall,
                gen_wall,
                status_kb("VmRSS:") / 1024
            );
        }
    }
    let t0 = Instant::now();
    output.finish();
    let finish_s = t0.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let retention = sampler
        .and_then(|t| t.join().ok())
        .unwrap_or(serde_json::Value::Null);
    wall += finish_s;
    let total_s = t_all.elapsed().as_secs_f64();
    let cpu = cpu_of("/proc/self/stat") - c_all - gen_cpu;
    let peak = status_kb("VmHWM:");
    let bytes = trawl_store::dir_bytes(&sessions);
    let st = &output.stats;
    let failed = st.failed.load(Ordering::Relaxed);
    let parts = std::fs::read_dir(&sessions)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .count()
        })
        .unwrap_or(0);

    let pj = serde_json::json!({
        "src_ip": pools.src_ip.json(),
        "dst_ip": pools.dst_ip.json(),
        "http_host": pools.http_host.json(),
        "dns_host": pools.dns_host.json(),
        "uri": pools.uri.json(),
        "ja3": pools.ja3.json(),
        "ja4": pools.ja4.json(),
        "tags": {"hot": TAGS[0], "rare": TAGS[TAGS.len() - 1]},
        "ports": PORTS,
    });
    std::fs::write(
        out.join("scale-pools.json"),
        serde_json::to_string_pretty(&pj).expect("json"),
    )
    .expect("write scale-pools.json");
    eprintln!(
        "done: {n} sessions in {parts} partitions, {failed} failed; indexing {wall:.1} s wall (finish {finish_s:.1} s), {cpu:.1} s CPU; generating {gen_wall:.1} s; {:.0} bytes/session; peak RSS {} MB",
        bytes as f64 / n as f64,
        peak / 1024
    );
    let result = serde_json::json!({
        "sessions": n,
        "partitions": parts,
        "failed": failed,
        "commits": st.commits.load(Ordering::Relaxed),
        "queue_full": st.queue_full.load(Ordering::Relaxed),
        "wall_s": wall,
        "finish_s": finish_s,
        "cpu_s": cpu,
        "docs_per_s": n as f64 / wall,
        "docs_per_cpu_s": n as f64 / cpu,
        "gen_s": gen_wall,
        "gen_cpu_s": gen_cpu,
        "total_s": total_s,
        "bytes": bytes,
        "bytes_per_session": bytes as f64 / n as f64,
        "peak_rss_kb": peak,
        "rss_before_kb": rss_before_kb,
        "template_docs": templates.len(),
        "seed": seed,
        "days": days,
        "hourly": hourly,
        "expired_partitions": st.expired_partitions.load(Ordering::Relaxed),
        "merged_on_close": st.merged_on_close.load(Ordering::Relaxed),
        "most_open": st.most_open.load(Ordering::Relaxed),
        "retention": retention,
    });
    println!("RESULT {result}");
}
