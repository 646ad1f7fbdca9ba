//! Expanding the offline inputs of the command line into files to read, in order:
//! `-r` files, then the files listed by `-F`, then `-R` directories.

use std::path::{Path, PathBuf};

use regex::Regex;

/// What the command line named.
#[derive(Clone, Debug, Default)]
pub struct InputSpec {
    /// `-r`, repeatable.
    pub files: Vec<PathBuf>,
    /// `-R`, repeatable.
    pub dirs: Vec<PathBuf>,
    /// `--recursive`: descend into subdirectories of `-R`.
    pub recursive: bool,
    /// `--sorted`: kept for compatibility; directory entries are always read in name
    /// order so runs repeat.
    pub sorted: bool,
    /// `-F`, repeatable: files with one pcap name per line (`-` is stdin).
    pub file_lists: Vec<PathBuf>,
    /// `offlineFilenameRegex`: which directory entries are pcaps.
    pub name_regex: String,
}

/// A problem expanding the inputs.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The filename regex does not compile.
    #[error("offlineFilenameRegex '{0}' is not a valid regex: {1}")]
    Regex(String, String),
    /// A list or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// What.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn walk(
    dir: &Path,
    re: &Regex,
    recursive: bool,
    depth: usize,
    out: &mut Vec<PathBuf>,
) -> Result<(), InputError> {
    let rd = std::fs::read_dir(dir).map_err(|source| InputError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if recursive && depth < 20 {
                walk(&p, re, recursive, depth + 1, out)?;
            }
        } else if p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| re.is_match(n))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// The files to read, in order.
pub fn expand_inputs(spec: &InputSpec) -> Result<Vec<PathBuf>, InputError> {
    let pattern = if spec.name_regex.is_empty() {
        r"(?i)\.(pcap|cap)$"
    } else {
        spec.name_regex.as_str()
    };
    let re =
        Regex::new(pattern).map_err(|e| InputError::Regex(pattern.to_string(), e.to_string()))?;
    let mut out = spec.files.clone();
    for list in &spec.file_lists {
        let text = if list.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|source| InputError::Read {
                path: list.clone(),
                source,
            })?
        } else {
            std::fs::read_to_string(list).map_err(|source| InputError::Read {
                path: list.clone(),
                source,
            })?
        };
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            out.push(PathBuf::from(l));
        }
    }
    for d in &spec.dirs {
        walk(d, &re, spec.recursive, 0, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_lists_dirs_and_filters() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        for f in ["b.pcap", "a.PCAP", "notes.txt", "sub/c.cap"] {
            std::fs::write(d.join(f), b"").unwrap();
        }
        std::fs::write(d.join("list"), "# comment\n\n  x.pcap  \ny.pcap\n").unwrap();
        let mut spec = InputSpec {
            files: vec!["first.pcap".into()],
            dirs: vec![d.to_path_buf()],
            file_lists: vec![d.join("list")],
            ..Default::default()
        };
        let names = |v: Vec<PathBuf>| {
            v.iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(expand_inputs(&spec).unwrap()),
            ["first.pcap", "x.pcap", "y.pcap", "a.PCAP", "b.pcap"]
        );
        spec.recursive = true;
        assert_eq!(
            names(expand_inputs(&spec).unwrap()).last().unwrap(),
            "c.cap"
        );
        spec.name_regex = "([".into();
        assert!(matches!(expand_inputs(&spec), Err(InputError::Regex(..))));
        spec.name_regex = String::new();
        spec.dirs = vec![d.join("missing")];
        assert!(matches!(expand_inputs(&spec), Err(InputError::Read { .. })));
    }
}
