//! `trawl user add|del|list`: the users who may log in to `trawl serve`, kept as
//! argon2 hashes in the users file (`--users`, the config's `usersFile`, or
//! `<dataDir>/users`).

use std::io::BufRead as _;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use trawl_viewer::auth::Users;

use super::sessions::StoreArgs;

/// Where the users are.
#[derive(Args, Debug)]
pub struct UserFile {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The users file [default: the config's usersFile, else <dataDir>/users].
    #[arg(long)]
    pub users: Option<PathBuf>,
}

/// `trawl user …`.
#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user, or set a user's password: read from the terminal without echo, or
    /// the first line of standard input.
    Add {
        /// User name (letters, digits and . _ @ -).
        name: String,
        #[command(flatten)]
        file: UserFile,
    },
    /// Remove a user.
    Del {
        name: String,
        #[command(flatten)]
        file: UserFile,
    },
    /// List the users.
    List {
        #[command(flatten)]
        file: UserFile,
    },
}

fn open(f: &UserFile) -> Result<Users> {
    let (cfg, st) = f.store.load()?;
    Users::load(&super::serve::users_file(
        f.users.clone(),
        &cfg,
        &st.data_dir,
    ))
}

fn read_password() -> Result<String> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("password: ").context("reading the password")?;
        let again = rpassword::prompt_password("again: ").context("reading the password")?;
        if p != again {
            bail!("the passwords differ");
        }
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Runs `trawl user …`.
pub fn run(c: UserCmd) -> Result<ExitCode> {
    match c {
        UserCmd::Add { name, file } => {
            let mut users = open(&file)?;
            let password = read_password()?;
            users.add(&name, &password)?;
            users.save()?;
            eprintln!("user {name} saved");
        }
        UserCmd::Del { name, file } => {
            let mut users = open(&file)?;
            if !users.remove(&name) {
                bail!("no user {name}");
            }
            users.save()?;
            eprintln!("user {name} removed");
        }
        UserCmd::List { file } => {
            for n in open(&file)?.names() {
                println!("{n}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
