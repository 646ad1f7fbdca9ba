//! Arkime's command interface (capture/command.c): `--command-socket PATH` listens on
//! a unix stream socket for one command a line, `--command CMD` runs commands at
//! startup (their replies go to the log). The commands are Arkime's that mean
//! something for trawl, with Arkime's replies: `help`, `exit`, `version`, `shutdown`,
//! `set` (config.c), `packet-stats` (packet.c), `plugins-list` (plugins.c), and in
//! offline mode the scheme reader's `add-file`, `add-dir` and `file-status`.

use std::io::Read;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use crossbeam_channel::Sender;
use regex::Regex;
use trawl_session::{Command, PacketThread};

use super::monitor::{Monitor, WatchFlags};
use super::queue::{respond, Client, Queue, WorkItem};

/// The values `set` shows and changes (Arkime's `arkime_config_register_cmd_var`).
pub struct Vars {
    pub debug: AtomicI32,
    pub quiet: AtomicI32,
    pub recursive: AtomicI32,
    pub skip: AtomicI32,
    pub reprocess: AtomicI32,
    pub flush: AtomicI32,
    pub ignoreerrors: AtomicI32,
    pub profile: Mutex<Option<String>>,
}

impl Vars {
    fn int(&self, name: &str) -> Option<&AtomicI32> {
        Some(match name {
            "debug" => &self.debug,
            "quiet" => &self.quiet,
            "recursive" => &self.recursive,
            "skip" => &self.skip,
            "reprocess" => &self.reprocess,
            "flush" => &self.flush,
            "ignoreerrors" => &self.ignoreerrors,
            _ => return None,
        })
    }

    /// The command line's values.
    pub fn from_args(a: &super::CaptureArgs) -> Self {
        let b = |v: bool| AtomicI32::new(i32::from(v));
        Vars {
            debug: AtomicI32::new(i32::from(a.debug)),
            quiet: b(a.quiet),
            recursive: b(a.recursive),
            skip: b(a.skip),
            reprocess: b(a.reprocess),
            flush: b(a.flush),
            ignoreerrors: b(a.ignoreerrors),
            profile: Mutex::new(a.profile.clone()),
        }
    }

    pub fn get(a: &AtomicI32) -> bool {
        a.load(Ordering::Relaxed) != 0
    }
}

/// Counters `packet-stats` shows, brought up to date by the reader.
#[derive(Default)]
pub struct RunStats {
    /// Packets read from the inputs.
    pub received: AtomicU64,
    /// Packets dropped before processing (kernel, full queues).
    pub dropped: AtomicU64,
    /// The enqueue phase's verdicts ([`trawl_packet::PacketRc`]).
    pub rc: [AtomicU64; trawl_packet::PacketRc::COUNT],
}

/// What the commands act on.
pub struct Ctx {
    pub queue: Arc<Queue>,
    /// The capture's fields, which `add-file --op` names.
    pub shared: Arc<trawl_session::Shared>,
    pub vars: Vars,
    pub stats: Arc<RunStats>,
    pub plugins: Vec<String>,
    /// Offline (scheme) mode: the file commands are there.
    pub offline: bool,
    /// `--copy` (`--delete` needs it).
    pub copy: bool,
    /// `--monitor`, `--sorted`, `--delete` of the command line: add-file's defaults.
    pub monitor_default: bool,
    pub sorted_default: bool,
    pub delete_default: bool,
    /// offlineFilenameRegex.
    pub regex: Regex,
    pub monitor: Mutex<Option<Arc<Monitor>>>,
    /// The packet threads' queues, for session counts; emptied when reading ends.
    pub senders: Mutex<Vec<Sender<Command>>>,
    pub version: String,
    pub arkime_version: &'static str,
}

struct Cmd {
    name: &'static str,
    help: &'static str,
    options: &'static [(&'static str, &'static str)],
}

const FILE_OPTIONS: &[(&str, &str)] = &[
    (
        "[--delete|--nodelete]",
        "Override command line delete files after processing",
    ),
    (
        "[--notify|--nonotify]",
        "Send async completion notification (file-done/file-error) on this connection",
    ),
    (
        "[--op <field>=<value>]",
        "Can be multiple, override command line op option",
    ),
    (
        "[--skip|--noskip]",
        "Override command line skip files already processed",
    ),
    ("<file>", "File to process"),
];

const DIR_OPTIONS: &[(&str, &str)] = &[
    (
        "[--delete|--nodelete]",
        "Override command line delete files after processing",
    ),
    (
        "[--notify|--nonotify]",
        "Send async completion notification (file-done/file-error) for each file",
    ),
    (
        "[--op <field>=<value>]",
        "Can be multiple, override command line op option",
    ),
    (
        "[--skip|--noskip]",
        "Override command line skip files already processed",
    ),
    (
        "[--monitor|--nomonitor]",
        "Override command line monitor the directory for new files option",
    ),
    (
        "[--recursive|--norecursive]",
        "Override command line Recurse subdirectories option",
    ),
    (
        "[--sorted|--nosorted]",
        "Override command line sort files alphabetically before processing (incompatible with --monitor)",
    ),
    ("<dir>", "Directory to process"),
];

impl Ctx {
    /// The commands there are, in name order (as `help` lists them).
    fn commands(&self) -> Vec<Cmd> {
        let c = |name, help| Cmd {
            name,
            help,
            options: &[],
        };
        let mut v = vec![
            c("help", "This help"),
            c("exit", "Close the connection, can also use Ctrl-D"),
            c("set", "Set/Get a config value - set [<name> [<value>]]"),
            c("version", "Arkime Version"),
            c("shutdown", "Shutdown Arkime"),
            c("plugins-list", "List loaded plugins"),
            c("packet-stats", "Packet Stats"),
        ];
        if self.offline {
            v.push(c("file-status", "Show outstanding file processing items"));
            v.push(Cmd {
                name: "add-file",
                help: "Add a file to process",
                options: FILE_OPTIONS,
            });
            v.push(Cmd {
                name: "add-dir",
                help: "Add a directory to process",
                options: DIR_OPTIONS,
            });
        }
        v.sort_by(|a, b| a.name.cmp(b.name));
        v
    }

    /// Runs one command line; false when the connection is to close (`exit`).
    pub fn run(&self, line: &str, client: Option<&Arc<Client>>) -> bool {
        let c = client.map(|c| &**c);
        let Some(argv) = shell_split(line) else {
            respond(c, "No command sent\n");
            return true;
        };
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let known = self.commands().iter().any(|k| k.name == argv[0]);
        if !known {
            respond(c, &format!("Unknown command {}\n", argv[0]));
            return true;
        }
        match argv[0] {
            "help" => self.help(&argv, c),
            "exit" => {
                if let Some(c) = c {
                    c.close();
                }
                return false;
            }
            "version" => respond(c, &format!("{}\n", self.version)),
            "shutdown" => {
                tracing::info!("shutdown asked for on the command socket");
                super::queue::request_shutdown();
            }
            "set" => self.set(&argv, c),
            "plugins-list" => {
                if self.plugins.is_empty() {
                    respond(c, "No plugins loaded\n");
                } else {
                    respond(c, &format!("{}\n", self.plugins.join("\n")));
                }
            }
            "packet-stats" => respond(c, &self.packet_stats()),
            "file-status" => {
                let mut out = String::new();
                for f in self.queue.status() {
                    out.push_str(&format!("file-status filename={f}\n"));
                }
                out.push_str("file-status done\n");
                respond(c, &out);
            }
            "add-file" => {
                if argv.len() < 2 {
                    respond(c, "Usage: add-file [<file options>] <file>\n");
                } else if let Some(items) = self.add(&argv, client) {
                    // The reply before the file can be done (and notified).
                    respond(c, "Added file\n");
                    items.into_iter().for_each(|i| self.queue.push(i));
                }
            }
            "add-dir" => {
                if argv.len() < 2 {
                    respond(c, "Usage: add-dir [<dir options>] [<file options>] <dir>\n");
                } else if let Some(items) = self.add(&argv, client) {
                    respond(c, "Added directory\n");
                    items.into_iter().for_each(|i| self.queue.push(i));
                }
            }
            _ => {}
        }
        true
    }

    fn help(&self, argv: &[&str], c: Option<&Client>) {
        let cmds = self.commands();
        let width = cmds
            .iter()
            .map(|k| k.name.len())
            .chain(
                cmds.iter()
                    .flat_map(|k| k.options.iter().map(|(o, _)| o.len() + 2)),
            )
            .max()
            .unwrap_or(0)
            .min(40);
        let one = |k: &Cmd, out: &mut String| {
            let pad = " ".repeat(width.saturating_sub(k.name.len().min(40)));
            out.push_str(&format!("{} {pad} - {}\n", k.name, k.help));
            for (o, h) in k.options {
                let pad = " ".repeat(width.saturating_sub(o.len().min(40)));
                out.push_str(&format!("  {o} {pad}   {h}\n"));
            }
        };
        let mut out = String::new();
        if argv.len() == 2 {
            match cmds.iter().find(|k| k.name == argv[1]) {
                Some(k) => one(k, &mut out),
                None => out.push_str("Unknown command\n"),
            }
        } else {
            for k in &cmds {
                one(k, &mut out);
            }
        }
        respond(c, &out);
    }

    /// `set`: every variable, one, or a new value for one (Arkime's config.c).
    fn set(&self, argv: &[&str], c: Option<&Client>) {
        const NAMES: [&str; 8] = [
            "debug",
            "flush",
            "ignoreerrors",
            "profile",
            "quiet",
            "recursive",
            "reprocess",
            "skip",
        ];
        let profile = || {
            self.vars
                .profile
                .lock()
                .ok()
                .and_then(|p| p.clone())
                .unwrap_or_else(|| "NULL".to_string())
        };
        match argv.len() {
            1 => {
                let mut out = String::new();
                for n in NAMES {
                    match self.vars.int(n) {
                        Some(a) => out.push_str(&format!("{n}={}\n", a.load(Ordering::Relaxed))),
                        None => out.push_str(&format!("{n}={}\n", profile())),
                    }
                }
                respond(c, &out);
            }
            2 | 3 if !NAMES.contains(&argv[1]) => {
                respond(c, &format!("Unknown variable: {}\n", argv[1]));
            }
            2 => match self.vars.int(argv[1]) {
                Some(a) => respond(c, &format!("{}\n", a.load(Ordering::Relaxed))),
                None => respond(c, &format!("{}\n", profile())),
            },
            3 => match self.vars.int(argv[1]) {
                Some(a) => {
                    a.store(atoi(argv[2]), Ordering::Relaxed);
                    respond(c, &format!("{}={}\n", argv[1], a.load(Ordering::Relaxed)));
                }
                None => {
                    let v = (argv[2] != "NULL").then(|| argv[2].to_string());
                    if let Ok(mut p) = self.vars.profile.lock() {
                        *p = v;
                    }
                    respond(c, &format!("{}\n", profile()));
                }
            },
            // As Arkime: more arguments get no reply.
            _ => {}
        }
    }

    /// The packet threads' open sessions (each asked, waiting at most a second).
    fn open_sessions(&self) -> u64 {
        let senders = self.senders.lock().map(|s| s.clone()).unwrap_or_default();
        let (tx, rx) = crossbeam_channel::unbounded::<u64>();
        let mut asked = 0;
        for s in &senders {
            let tx = tx.clone();
            let f = move |pt: &mut PacketThread| {
                let _ = tx.send(pt.session_count() as u64);
            };
            if s.try_send(Command::Func(Box::new(f))).is_ok() {
                asked += 1;
            }
        }
        drop(senders);
        let mut n = 0;
        for _ in 0..asked {
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(c) => n += c,
                Err(_) => break,
            }
        }
        n
    }

    /// Arkime's `packet-stats`, with the lines trawl has counters for.
    fn packet_stats(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let rc = &self.stats.rc;
        let received = g(&self.stats.received);
        let dropped = g(&self.stats.dropped);
        let pct = if received > 0 {
            dropped as f64 * 100.0 / received as f64
        } else {
            0.0
        };
        use trawl_packet::PacketRc as R;
        format!(
            "Arkime Version: {}\n\
             Packets Processed: {}\n\
             Packets Received: {received}\n\
             Packets Dropped: {dropped} ({pct:.2})\n\
             \n\
             Current Sessions: {}\n\
             \n\
             Packets Processed: {}\n\
             Packets IP Dropped: {}\n\
             Packets Overload Dropped: {}\n\
             Packets Corrupt: {}\n\
             Packets Unknown Ether: {}\n\
             Packets Unknown IP: {}\n\
             Packets IPPort Dropped: {}\n\
             Packets Duplicate Dropped: {}\n",
            self.arkime_version,
            g(&rc[R::DoProcess as usize]),
            self.open_sessions(),
            g(&rc[R::DoProcess as usize]),
            g(&rc[R::IpDropped as usize]),
            g(&rc[R::OverloadDropped as usize]),
            g(&rc[R::Corrupt as usize]),
            g(&rc[R::UnknownEther as usize]),
            g(&rc[R::UnknownIp as usize]),
            g(&rc[R::IpPortDropped as usize]),
            g(&rc[R::DuplicateDropped as usize]),
        )
    }

    /// `add-file`, `add-dir`: options, then the file or directory: the inputs to
    /// queue (a directory's files that match), or None after saying why not. (Both
    /// take a file or a directory, as Arkime's scheme reader.)
    fn add(&self, argv: &[&str], client: Option<&Arc<Client>>) -> Option<Vec<WorkItem>> {
        let c = client.map(|c| &**c);
        let mut monitor = self.monitor_default;
        let mut recursive = Vars::get(&self.vars.recursive);
        let mut skip = Vars::get(&self.vars.skip);
        let mut delete = self.delete_default;
        let mut sorted = self.sorted_default;
        let mut notify = false;
        let mut ops: Vec<&str> = Vec::new();
        let mut i = 1;
        while i < argv.len() - 1 {
            let a = argv[i];
            let cmp = a
                .strip_prefix('-')
                .filter(|r| r.starts_with('-'))
                .unwrap_or(a);
            match cmp {
                "-monitor" => monitor = true,
                "-nomonitor" => monitor = false,
                "-recursive" => recursive = true,
                "-norecursive" => recursive = false,
                "-skip" => skip = true,
                "-noskip" => skip = false,
                "-delete" => delete = true,
                "-nodelete" => delete = false,
                "-sorted" => sorted = true,
                "-nosorted" => sorted = false,
                "-notify" => notify = true,
                "-nonotify" => notify = false,
                "-op" => {
                    if ops.len() >= 10 {
                        respond(c, "Too many ops\n");
                        return None;
                    }
                    // The last word is the file or directory.
                    if i == argv.len() - 2 {
                        respond(c, "Missing argument to -op\n");
                        return None;
                    }
                    i += 1;
                    ops.push(argv[i]);
                }
                _ if cmp.starts_with('-') => {
                    respond(c, &format!("Unknown option {a}\n"));
                    return None;
                }
                _ => {}
            }
            i += 1;
        }
        if sorted && monitor {
            respond(c, "--sorted cannot be used with --monitor\n");
            return None;
        }
        // As Arkime's: run on the input's new sessions after the command line's --op
        // and its filenameOps (so they win where a field keeps one value).
        let ops = match ops
            .iter()
            .map(|o| trawl_rules::filename_ops::parse_op(o, &self.shared.fields))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) if v.is_empty() => None,
            Ok(v) => Some(Arc::new(v)),
            Err(e) => {
                respond(c, &format!("{e}\n"));
                return None;
            }
        };
        if delete && !self.copy {
            // A file read in place holds the packets its sessions point to.
            respond(c, "--delete requires --copy\n");
            return None;
        }
        let target = argv[argv.len() - 1];
        let notify = notify.then(|| client.cloned()).flatten();
        let local = match trawl_readers::Input::parse(target) {
            Ok(trawl_readers::Input::File(p)) => Some(p),
            _ => None,
        };
        match local.filter(|p| p.is_dir()) {
            Some(dir) => {
                let flags = WatchFlags {
                    recursive,
                    skip: Some(skip),
                    delete: Some(delete),
                    notify: notify.clone(),
                    ops: ops.clone(),
                };
                if monitor {
                    if let Err(e) = self.watch(&dir, &flags) {
                        respond(c, &format!("{e:#}\n"));
                        return None;
                    }
                }
                match list_dir(&dir, &self.regex, recursive) {
                    Ok(files) => Some(
                        files
                            .into_iter()
                            .map(|f| WorkItem {
                                input: f.display().to_string(),
                                skip: Some(skip),
                                delete: Some(delete),
                                notify: notify.clone(),
                                ops: ops.clone(),
                            })
                            .collect(),
                    ),
                    Err(e) => {
                        respond(c, &format!("{e:#}\n"));
                        None
                    }
                }
            }
            None => Some(vec![WorkItem {
                input: target.to_string(),
                skip: Some(skip),
                delete: Some(delete),
                notify,
                ops,
            }]),
        }
    }

    /// Watches a directory, starting the monitor on first use.
    pub fn watch(&self, dir: &Path, flags: &WatchFlags) -> Result<()> {
        let mut m = self
            .monitor
            .lock()
            .map_err(|_| anyhow::anyhow!("monitor lock"))?;
        if m.is_none() {
            *m = Some(Monitor::start(self.regex.clone(), Arc::clone(&self.queue))?);
        }
        m.as_ref().map_or(Ok(()), |m| m.watch(dir, flags))
    }
}

/// The files of a directory that match the regex, in name order.
fn list_dir(dir: &Path, regex: &Regex, recursive: bool) -> Result<Vec<PathBuf>> {
    let spec = trawl_readers::InputSpec {
        dirs: vec![dir.to_path_buf()],
        recursive,
        name_regex: regex.as_str().to_string(),
        ..Default::default()
    };
    Ok(trawl_readers::expand_inputs(&spec)?)
}

/// C's atoi: leading blanks, a sign, digits; 0 when none.
fn atoi(s: &str) -> i32 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + i64::from(b - b'0')).min(i64::from(i32::MAX) + 1);
    }
    let n = if neg { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Splits a command line as glib's `g_shell_parse_argv`: blanks separate words,
/// `'…'` is literal, `"…"` takes `\` before `"`, `\`, `$`, `` ` `` and newline, `\`
/// outside quotes escapes the next character, `#` at the start of a word begins a
/// comment. None for an empty line or an unfinished quote (Arkime's "No command
/// sent").
pub fn shell_split(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return None,
                        },
                        Some(c) => cur.push(c),
                        None => return None,
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => cur.push(c),
                    None => return None,
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    (!out.is_empty()).then_some(out)
}

/// The longest line a client may send (Arkime's 2048-byte buffer).
const MAX_LINE: usize = 2048;

/// Listens on `path` (replacing what is there, mode 0660, as Arkime's).
pub fn bind(path: &Path) -> Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path)
        .with_context(|| format!("Error binding command socket {}", path.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660));
    }
    tracing::info!("command socket {}", path.display());
    Ok(l)
}

/// Serves each connection on its own thread.
pub fn serve(l: UnixListener, ctx: Arc<Ctx>) -> Result<()> {
    std::thread::Builder::new()
        .name("trawl-command".into())
        .spawn(move || {
            for s in l.incoming() {
                match s {
                    Ok(s) => {
                        let ctx = Arc::clone(&ctx);
                        let spawned = std::thread::Builder::new()
                            .name("trawl-cmd-client".into())
                            .spawn(move || serve_client(s, &ctx));
                        if let Err(e) = spawned {
                            tracing::error!("command socket: {e}");
                        }
                    }
                    Err(e) => tracing::error!("Error accepting command: {e}"),
                }
            }
        })
        .context("starting the command socket")?;
    Ok(())
}

fn serve_client(mut s: UnixStream, ctx: &Ctx) {
    let client = match s.try_clone() {
        Ok(w) => Arc::new(Client::new(w)),
        Err(e) => {
            tracing::error!("command socket: {e}");
            return;
        }
    };
    let mut data: Vec<u8> = Vec::with_capacity(MAX_LINE);
    let mut buf = [0u8; MAX_LINE];
    loop {
        let room = MAX_LINE - data.len();
        let n = match s.read(&mut buf[..room]) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        data.extend_from_slice(&buf[..n]);
        while let Some(nl) = data.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&data[..nl]).into_owned();
            data.drain(..=nl);
            if !ctx.run(&line, Some(&client)) {
                return;
            }
        }
        if data.len() >= MAX_LINE {
            client.send("ERROR: command too long\n");
            client.close();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_glib() {
        assert_eq!(
            shell_split("add-file --notify '/a b/c.pcap'").unwrap(),
            ["add-file", "--notify", "/a b/c.pcap"]
        );
        assert_eq!(
            shell_split(r#"set x "a\"b""#).unwrap(),
            ["set", "x", "a\"b"]
        );
        assert_eq!(shell_split(r"a\ b c").unwrap(), ["a b", "c"]);
        assert!(shell_split("").is_none());
        assert!(shell_split("   ").is_none());
        assert!(shell_split("help 'x").is_none());
        assert_eq!(shell_split("help # c").unwrap(), ["help"]);
    }

    #[test]
    fn atoi_as_c() {
        assert_eq!(atoi("12x"), 12);
        assert_eq!(atoi(" -3"), -3);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("99999999999"), i32::MAX);
    }
}
