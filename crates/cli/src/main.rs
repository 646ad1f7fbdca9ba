//! `trawl`: capture packets into sessions and pcap, search them, export them.

mod commands;
mod datadir;
#[allow(unsafe_code)] // SAFETY notes at each block: it calls the OS.
mod privileges;
#[allow(unsafe_code)] // SAFETY notes at each block: it calls the OS.
mod signals;
#[allow(unsafe_code)] // SAFETY notes at each block: it calls the OS.
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "trawl",
    version,
    about = "Full packet capture and session indexing, compatible with Arkime"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Read pcap files (or interfaces) and write session documents and pcap, as Arkime's capture does.
    Capture(commands::capture::CaptureArgs),
    /// Write a small sample pcap made by trawl itself (for trying trawl out).
    Sample(commands::sample::SampleArgs),
    /// Search the session store with Arkime's expression language.
    Sessions(commands::sessions::SessionsArgs),
    /// Write the packets of the sessions an expression matches to a pcap file.
    Pcap(commands::pcap::PcapArgs),
    /// Serve the analyst page and Arkime's viewer API over the store (loopback by default).
    Serve(commands::serve::ServeArgs),
    /// Users who may log in to `trawl serve` (argon2 hashes in the users file).
    #[command(subcommand)]
    User(commands::user::UserCmd),
    /// Arkime's cluster layout (init, info, expire, wipe), or the embedded store's partitions (info, expire).
    #[command(subcommand)]
    Db(commands::db::DbCmd),
}

/// The C library's allocator, named: the same one Rust uses by default, but called
/// straight from the allocation shim (without cross-crate LTO the default goes
/// through one more call in the standard library per allocation).
#[global_allocator]
static ALLOCATOR: std::alloc::System = std::alloc::System;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Capture(a) => commands::capture::run(a),
        Cmd::Sample(a) => commands::sample::run(a),
        Cmd::Sessions(a) => commands::sessions::run(a),
        Cmd::Db(c) => commands::db::run(c),
        Cmd::Pcap(a) => commands::pcap::run(a),
        Cmd::Serve(a) => commands::serve::run(a),
        Cmd::User(c) => commands::user::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trawl: {}", error_chain(&e));
            std::process::ExitCode::from(1)
        }
    }
}

/// An error and its causes on one line, leaving out a cause whose text the line
/// already holds (errors that quote their source, as many I/O errors here do, would
/// otherwise print the OS's message twice).
fn error_chain(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    #[test]
    fn causes_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file (os error 2)");
        let e = anyhow::Error::new(io).context("cannot read x.ini: No such file (os error 2)");
        assert_eq!(
            super::error_chain(&e),
            "cannot read x.ini: No such file (os error 2)"
        );
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(super::error_chain(&e), "outer: inner");
    }
}
