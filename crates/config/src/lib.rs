//! Arkime-compatible configuration for trawl.
//!
//! [`Config`] loads a `config.ini` with the semantics of Arkime capture's
//! `config.c`: GLib key-file syntax ([`ini`]), `includes=` files merged on top,
//! `ARKIME_…` environment variables, and lookups that try the `-o` overrides,
//! then the `[<node>]` section, then the `[<nodeClass>]` section (when the
//! `nodeClass` key is set), then `[default]`.
//!
//! [`Settings`] reads the capture core's settings once, with Arkime's defaults and
//! ranges, and [`KNOWN_KEYS`] lists the keys Arkime reads so that only truly
//! unknown keys are reported.

#![warn(missing_docs)]

pub mod ini;
mod known_keys;
mod settings;

use std::path::{Path, PathBuf};

pub use known_keys::KNOWN_KEYS;
pub use settings::{
    AutoGenerateId, MagicMode, PcapDirAlgorithm, Rotate, SaveUnknownPackets, SessionCaps,
    SessionIdTracking, Settings,
};

use ini::Ini;

/// Errors from loading a config or reading a value from it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config or `includes=` file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file named by `includes=` could not be read.
    #[error("cannot read {} (named by includes= in {by}): {source}", path.display())]
    Include {
        /// The included file.
        path: PathBuf,
        /// Where the `includes=` naming it was set.
        by: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a key file could not be parsed.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file (or text source) name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// The config source is of a kind trawl does not load.
    #[error("{file}: {message}")]
    Unsupported {
        /// The config source.
        file: String,
        /// Why it cannot be loaded.
        message: String,
    },
    /// A numeric setting is not a number.
    #[error("{location} {key}: '{value}' is not a number")]
    NotANumber {
        /// Where the value was found, e.g. `config.ini [default]` or `-o`.
        location: String,
        /// The key.
        key: String,
        /// The offending value.
        value: String,
    },
    /// A boolean setting is not one of `true`, `false`, `1`, `0`.
    #[error("{location} {key}: '{value}' is not a boolean (use true, false, 1 or 0)")]
    NotABool {
        /// Where the value was found.
        location: String,
        /// The key.
        key: String,
        /// The offending value.
        value: String,
    },
    /// A setting has a value Arkime would refuse.
    #[error("{location} {key}: '{value}' {reason}")]
    BadValue {
        /// Where the value was found.
        location: String,
        /// The key.
        key: String,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The config still holds the placeholders of Arkime's `config.ini.sample`.
    #[error("{}", placeholder_message(file, found))]
    Placeholders {
        /// The config source.
        file: String,
        /// Each `key=value` that holds a placeholder, with a note on what is missing.
        found: Vec<(String, String, Option<String>)>,
    },
}

/// The words Arkime's `Configure` script replaces when it writes `config.ini` from
/// `config.ini.sample`, with the example value the fix suggests for each.
pub const ARKIME_PLACEHOLDERS: [(&str, &str); 4] = [
    ("ARKIME_INSTALL_DIR", "/opt/trawl"),
    ("ARKIME_ELASTICSEARCH", "http://localhost:9200"),
    ("ARKIME_INTERFACE", "eth0"),
    ("ARKIME_PASSWORD", "CHANGE_ME"),
];

fn placeholder_message(file: &str, found: &[(String, String, Option<String>)]) -> String {
    use std::fmt::Write;
    let mut m = format!(
        "{file} still holds the placeholders Arkime's Configure script replaces when it \
         writes config.ini from config.ini.sample:"
    );
    for (key, value, missing) in found {
        let _ = write!(m, "\n  {key}={value}");
        if let Some(missing) = missing {
            let _ = write!(m, "   ({missing})");
        }
    }
    let used: Vec<_> = ARKIME_PLACEHOLDERS
        .iter()
        .filter(|(word, _)| found.iter().any(|(_, v, _)| v.contains(word)))
        .collect();
    let seds: Vec<String> = used
        .iter()
        .map(|(word, example)| format!("-e 's,{word},{example},g'"))
        .collect();
    let base = std::path::Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned());
    let _ = write!(
        m,
        "\nFIX: write a config with your values in their place, as Configure does, e.g.\n  \
         sed {} {base} > config.ini\n\
         and run with -c config.ini; or set each key with -o key=value (-o key= unsets it).",
        seds.join(" ")
    );
    m
}

/// A loaded configuration: the file's sections, the node name, and -o overrides.
#[derive(Clone, Debug)]
pub struct Config {
    ini: Ini,
    source: String,
    node: String,
    node_class: Option<String>,
    overrides: Vec<(String, String)>,
    /// Keys that rules files referred to as `${key}`: used, so not unknown.
    referenced: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Where a looked-up value came from.
enum Found<'a> {
    /// A `-o key=value` override (value trimmed, not unescaped).
    Override(&'a str),
    /// A key-file entry in the named section.
    File {
        section: &'a str,
        value: ini::Value<'a>,
    },
}

impl Found<'_> {
    fn value(&self) -> &str {
        match self {
            Found::Override(v) => v,
            Found::File { value, .. } => value.value,
        }
    }

    fn location(&self) -> String {
        match self {
            Found::Override(_) => "-o".to_string(),
            Found::File { section, value } => format!("{} [{section}]", value.source),
        }
    }
}

/// Source name used for values set from `ARKIME_…` environment variables.
const ENV_SOURCE: &str = "environment";

impl Config {
    /// Loads a config file for `node`. `None` path = built-in defaults (an empty
    /// config; every getter returns its default).
    ///
    /// As Arkime does, the keys of every `includes=` file are then merged on top
    /// (a name starting with `-` is optional; relative names are relative to the
    /// current directory), and then `ARKIME__key=value` (for `[default]`) and
    /// `ARKIME_section__key=value` environment variables, where `DASH`, `COLON`,
    /// `DOT` and `SLASH` in the names stand for `-`, `:`, `.` and `/`.
    /// `overrides` are the `-o key=value` pairs; the last one for a key wins.
    ///
    /// Only key-file (`.ini`-style) configs are supported: `.json`, `.yml`/`.yaml`
    /// and URL sources are refused with [`ConfigError::Unsupported`]. A config that
    /// still holds the placeholders of Arkime's `config.ini.sample` (installed
    /// unchanged, without Arkime's Configure) is refused with
    /// [`ConfigError::Placeholders`], which lists them and says how to fill them in.
    pub fn load(
        path: Option<&Path>,
        node: &str,
        overrides: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let mut cfg = match path {
            None => Config::build(Ini::new(), "built-in defaults", node, overrides)?,
            Some(path) => {
                let name = path.display().to_string();
                check_supported(&name)?;
                let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                Config::build(Ini::parse_bytes(&bytes, &name)?, &name, node, overrides)?
            }
        };
        // Variables whose name or value is not UTF-8 cannot be config keys/values.
        cfg.apply_env(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        );
        cfg.check_placeholders()?;
        Ok(cfg)
    }

    /// Builds a config from key-file text; `source` names it in errors. Like
    /// [`Config::load`] but without reading the process environment (call
    /// [`Config::apply_env`] for that); `includes=` files are still merged.
    pub fn from_str(
        text: &str,
        source: &str,
        node: &str,
        overrides: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let ini = Ini::parse(text, source)?;
        Config::build(ini, source, node, overrides)
    }

    fn build(
        ini: Ini,
        source: &str,
        node: &str,
        overrides: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let mut cfg = Config {
            ini,
            source: source.to_string(),
            node: node.to_string(),
            node_class: None,
            overrides: overrides
                .iter()
                .map(|(k, v)| (k.trim().to_string(), v.clone()))
                .collect(),
            referenced: Default::default(),
        };
        // Arkime reads includes= before nodeClass is known, so the [nodeClass]
        // section cannot name includes.
        for include in cfg.get_list("includes", "") {
            let (optional, file) = match include.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, include.as_str()),
            };
            let loaded = std::fs::read(file)
                .map_err(|source| ConfigError::Include {
                    path: PathBuf::from(file),
                    by: cfg.location("includes"),
                    source,
                })
                .and_then(|bytes| Ini::parse_bytes(&bytes, file));
            match loaded {
                Ok(extra) => cfg.ini.merge(&extra),
                Err(err @ ConfigError::Include { .. }) if optional => {
                    tracing::debug!("skipping optional includes file {file}: {err}");
                }
                Err(err) if optional => {
                    tracing::warn!("skipping optional includes file {file}: {err}");
                }
                Err(err) => return Err(err),
            }
        }
        cfg.refresh_node_class();
        Ok(cfg)
    }

    /// Applies `ARKIME__key=value` / `ARKIME_section__key=value` variables (see
    /// [`Config::load`]); other names are ignored. Values are taken literally.
    pub fn apply_env<I>(&mut self, vars: I)
    where
        I: IntoIterator<Item = (String, String)>,
    {
        fn decode(name: &str) -> String {
            name.replace("DASH", "-")
                .replace("COLON", ":")
                .replace("DOT", ".")
                .replace("SLASH", "/")
        }
        let mut changed = false;
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix("ARKIME_") else {
                continue;
            };
            let (section, key) = match rest.strip_prefix('_') {
                Some(key) => ("default".to_string(), decode(key)),
                None => match rest.split_once("__") {
                    Some((section, key)) => (decode(section), decode(key)),
                    None => continue,
                },
            };
            self.ini.set_string(&section, &key, &value, ENV_SOURCE);
            changed = true;
        }
        if changed {
            self.refresh_node_class();
        }
    }

    fn refresh_node_class(&mut self) {
        self.node_class = None;
        self.node_class = self
            .get("nodeClass")
            .filter(|v| !v.is_empty())
            .map(str::to_string);
    }

    /// The node name lookups use for the `[<node>]` section.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The `nodeClass` setting, whose section is searched after the node's.
    pub fn node_class(&self) -> Option<&str> {
        self.node_class.as_deref()
    }

    /// The name of the loaded config (file path, or the `source` given to `from_str`).
    pub fn source(&self) -> &str {
        &self.source
    }

    fn lookup(&self, key: &str) -> Option<Found<'_>> {
        if let Some((_, v)) = self.overrides.iter().rev().find(|(k, _)| k == key) {
            return Some(Found::Override(v.trim()));
        }
        let sections = [
            Some(self.node.as_str()),
            self.node_class.as_deref(),
            Some("default"),
        ];
        sections.into_iter().flatten().find_map(|section| {
            self.ini
                .get(section, key)
                .map(|value| Found::File { section, value })
        })
    }

    /// Raw value: -o override, then `[node]`, then `[nodeClass]` if nodeClass
    /// is set, then `[default]` (Arkime's order). The value is unescaped and trimmed;
    /// an explicitly empty value is `Some("")`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lookup(key).map(|f| match f {
            Found::Override(v) => v,
            Found::File { value, .. } => value.value,
        })
    }

    /// Where `key` was found, e.g. `config.ini [test]` or `-o`; used in error messages.
    pub fn location(&self, key: &str) -> String {
        self.lookup(key)
            .map_or_else(|| format!("{} (default)", self.source), |f| f.location())
    }

    /// The value of `key`, or `default` when the key is not set anywhere. An
    /// explicitly empty value stays empty.
    pub fn get_str(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default.trim()).to_string()
    }

    /// The value of `key`; `None` when it is not set or set to an empty value
    /// (Arkime treats `-o key=` as unset, and callers test empty strings as unset).
    pub fn get_opt_str(&self, key: &str) -> Option<String> {
        self.get(key).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// A boolean: `true`/`1` or `false`/`0` (exactly, as GLib accepts). Unset or
    /// empty gives `default`; anything else is [`ConfigError::NotABool`] (Arkime
    /// would silently read it as false).
    pub fn get_bool(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        let Some(found) = self.lookup(key) else {
            return Ok(default);
        };
        match found.value() {
            "" => Ok(default),
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            other => Err(ConfigError::NotABool {
                location: found.location(),
                key: key.to_string(),
                value: other.to_string(),
            }),
        }
    }

    /// A decimal integer clamped to `min..=max` with a warning, as Arkime's
    /// `arkime_config_int` clamps. Unset or empty gives `default`; a value that is
    /// not a number is [`ConfigError::NotANumber`] (Arkime would read it as 0).
    pub fn get_int(&self, key: &str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        let value = match self.lookup(key) {
            Some(found) if !found.value().is_empty() => {
                found
                    .value()
                    .parse::<i64>()
                    .map_err(|_| ConfigError::NotANumber {
                        location: found.location(),
                        key: key.to_string(),
                        value: found.value().to_string(),
                    })?
            }
            _ => default,
        };
        Ok(clamp_warn(key, value, min, max))
    }

    /// A floating-point number clamped to `min..=max` (Arkime clamps silently; a
    /// warning is logged here). Unset or empty gives `default`; a value that is not
    /// a finite-or-infinite number is [`ConfigError::NotANumber`].
    pub fn get_double(
        &self,
        key: &str,
        default: f64,
        min: f64,
        max: f64,
    ) -> Result<f64, ConfigError> {
        let value = match self.lookup(key) {
            Some(found) if !found.value().is_empty() => found
                .value()
                .parse::<f64>()
                .ok()
                .filter(|v| !v.is_nan())
                .ok_or_else(|| ConfigError::NotANumber {
                    location: found.location(),
                    key: key.to_string(),
                    value: found.value().to_string(),
                })?,
            _ => default,
        };
        Ok(clamp_warn(key, value, min, max))
    }

    /// A `;`-separated list (Arkime's `arkime_config_str_list`): items trimmed,
    /// empty items dropped, `\;` a literal `;` in file values. Only `;` separates
    /// (Arkime splits `elasticsearch` on `,` itself, not here). Unset gives
    /// `default` split the same way; an explicitly empty value gives an empty list.
    pub fn get_list(&self, key: &str, default: &str) -> Vec<String> {
        let items = match self.lookup(key) {
            Some(Found::Override(v)) => v.split(';').map(str::to_string).collect(),
            Some(Found::File { value, .. }) => ini::split_list(value.raw),
            None => default.split(';').map(str::to_string).collect(),
        };
        items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// A whole section in file order, e.g. "override-ips", "headers-http-request",
    /// "custom-fields". Values are unescaped and trimmed.
    pub fn section(&self, name: &str) -> Option<&[(String, String)]> {
        self.ini.section(name)
    }

    /// All section names in file order.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.ini.section_names()
    }

    /// Keys set in `[default]`/`[node]`/`[nodeClass]`/`-o` whose value still holds one
    /// of [`ARKIME_PLACEHOLDERS`] (Arkime's sample config used unchanged), each with
    /// its value and, when the value is a path, that the file does not exist.
    pub fn placeholders(&self) -> Vec<(String, String, Option<String>)> {
        let mut out: Vec<(String, String, Option<String>)> = Vec::new();
        let sections = [
            Some("default"),
            self.node_class.as_deref(),
            Some(self.node.as_str()),
        ];
        let keys = self.overrides.iter().map(|(k, _)| k.as_str()).chain(
            sections
                .into_iter()
                .flatten()
                .flat_map(|s| self.ini.section(s).unwrap_or_default())
                .map(|(k, _)| k.as_str()),
        );
        for key in keys {
            if out.iter().any(|(k, _, _)| k == key) {
                continue;
            }
            let Some(value) = self.get(key) else { continue };
            if !ARKIME_PLACEHOLDERS.iter().any(|(w, _)| value.contains(w)) {
                continue;
            }
            // A path (or `;`-separated candidates): say which do not exist.
            let missing: Vec<&str> = value
                .split(';')
                .map(str::trim)
                .filter(|p| p.starts_with("ARKIME_INSTALL_DIR/") || p.starts_with('/'))
                .filter(|p| !std::path::Path::new(p).exists())
                .collect();
            let note = match missing.len() {
                0 => None,
                _ if !value.contains(';') => Some("no such file or directory".to_string()),
                _ => Some(format!("no such file: {}", missing.join(", "))),
            };
            out.push((key.to_string(), value.to_string(), note));
        }
        out
    }

    /// [`ConfigError::Placeholders`] when [`Config::placeholders`] finds any.
    pub fn check_placeholders(&self) -> Result<(), ConfigError> {
        let found = self.placeholders();
        if found.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Placeholders {
                file: self.source.clone(),
                found,
            })
        }
    }

    /// Keys set in `[default]`/`[node]`/`[nodeClass]`/`-o` that are not in `known`, each
    /// once, in the order met; the caller logs each once.
    pub fn unknown_keys(&self, known: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut note = |key: &str| {
            if !known.contains(&key) && !out.iter().any(|k| k == key) {
                out.push(key.to_string());
            }
        };
        let referenced = self
            .referenced
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default();
        let mut note = |key: &str| {
            if !referenced.iter().any(|r| r == key) {
                note(key);
            }
        };
        for (k, _) in &self.overrides {
            note(k);
        }
        let sections = [
            Some("default"),
            self.node_class.as_deref(),
            Some(self.node.as_str()),
        ];
        for section in sections.into_iter().flatten() {
            for (k, _) in self.ini.section(section).unwrap_or_default() {
                note(k);
            }
        }
        out
    }

    /// Logs a warning for each key [`Config::unknown_keys`] finds against [`KNOWN_KEYS`].
    pub fn warn_unknown_keys(&self) {
        for key in self.unknown_keys(KNOWN_KEYS) {
            tracing::warn!(
                "{}: unknown config key '{key}' ({}), ignored",
                self.source,
                self.location(&key)
            );
        }
    }

    /// Resolves a rules-file value of the form `${key}` to the config value of
    /// `key`, as Arkime's rules loader does; other values are returned unchanged.
    /// A `${key}` whose key is not set (or empty) is a [`ConfigError::BadValue`].
    pub fn resolve_var(&self, value: &str) -> Result<String, ConfigError> {
        match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
            Some(key) => {
                if let Ok(mut r) = self.referenced.lock() {
                    if !r.iter().any(|k| k == key) {
                        r.push(key.to_string());
                    }
                }
                self.get_opt_str(key).ok_or_else(|| ConfigError::BadValue {
                    location: self.source.clone(),
                    key: key.to_string(),
                    value: value.to_string(),
                    reason: "refers to a config key that is not set".to_string(),
                })
            }
            None => Ok(value.to_string()),
        }
    }

    /// A [`ConfigError::BadValue`] for `key`, located where the key was found.
    pub fn bad_value(&self, key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::BadValue {
            location: self.location(key),
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Refuses config sources Arkime reads but trawl does not (JSON, YAML, URLs).
fn check_supported(name: &str) -> Result<(), ConfigError> {
    let lower = name.to_ascii_lowercase();
    let reason = if [
        "http://",
        "https://",
        "elasticsearch",
        "opensearch",
        "redis://",
        "urlinfile://",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        Some("remote config sources are not supported; use a local .ini file")
    } else if lower.ends_with(".json") || lower.ends_with(".yml") || lower.ends_with(".yaml") {
        Some("JSON and YAML configs are not supported; use the .ini format")
    } else if lower.ends_with(".hiddenconfig") {
        Some(".hiddenconfig indirection is not supported; use a local .ini file")
    } else {
        None
    };
    match reason {
        Some(message) => Err(ConfigError::Unsupported {
            file: name.to_string(),
            message: message.to_string(),
        }),
        None => Ok(()),
    }
}

/// Clamps `value` into `min..=max`, logging when it had to.
fn clamp_warn<T: PartialOrd + Copy + std::fmt::Display>(key: &str, value: T, min: T, max: T) -> T {
    if value < min {
        tracing::warn!("config {key}: {value} is less than the minimum {min}, using {min}");
        min
    } else if value > max {
        tracing::warn!("config {key}: {value} is greater than the maximum {max}, using {max}");
        max
    } else {
        value
    }
}

#[cfg(test)]
mod tests;
