//! Yara (Arkime's yara.c, with the yara-x crate): the rules file `yara=` names is
//! compiled once at start; the packet threads scan the bytes each direction of a
//! session is classified by (every packet's with `yaraEveryPacket`), and each
//! matching rule tags the session `yara:RULE` and `yara:TAG` for each of its tags.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use trawl_session::ContentScanner;

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum YaraError {
    /// The file could not be read.
    #[error("yara could not open file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The rules did not compile.
    #[error("yara could not compile rules file {0}: {1}")]
    Compile(PathBuf, String),
}

/// Compiled rules, shared by every packet thread.
pub struct Yara {
    /// Leaked on purpose: the rules live as long as the capture, and each thread's
    /// scanner borrows them for good.
    rules: &'static yara_x::Rules,
    /// Scans that failed (a timeout or an engine error).
    pub errors: AtomicU64,
}

thread_local! {
    /// Each packet thread's scanner, made on its first scan (building one is much
    /// dearer than a scan), with the rules it was made for.
    static SCANNER: RefCell<Option<(usize, yara_x::Scanner<'static>)>> = const { RefCell::new(None) };
}

impl Yara {
    /// Compiles the rules in `path`.
    pub fn load(path: &Path) -> Result<Yara, YaraError> {
        let src =
            std::fs::read_to_string(path).map_err(|e| YaraError::Read(path.to_path_buf(), e))?;
        Yara::compile(&src).map_err(|e| YaraError::Compile(path.to_path_buf(), e))
    }

    /// Compiles rules from source text.
    pub fn compile(src: &str) -> Result<Yara, String> {
        let rules = yara_x::compile(src).map_err(|e| e.to_string())?;
        Ok(Yara {
            rules: Box::leak(Box::new(rules)),
            errors: AtomicU64::new(0),
        })
    }
}

impl ContentScanner for Yara {
    fn scan(&self, data: &[u8], tags: &mut Vec<String>) {
        let key = self.rules as *const yara_x::Rules as usize;
        SCANNER.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.as_ref().map(|(k, _)| *k) != Some(key) {
                *cell = Some((key, yara_x::Scanner::new(self.rules)));
            }
            let Some((_, scanner)) = cell.as_mut() else {
                return;
            };
            match scanner.scan(data) {
                Ok(results) => {
                    for rule in results.matching_rules() {
                        tags.push(format!("yara:{}", rule.identifier()));
                        for t in rule.tags() {
                            tags.push(format!("yara:{}", t.identifier()));
                        }
                    }
                }
                Err(_) => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POP3: &str = r#"rule Pop3Yara: tag1 tag2
{
    strings:
        $o = " POP3 "
    condition:
        $o in (0 .. 50)
}"#;

    #[test]
    fn matches_tag_with_rule_and_tags() {
        let y = Yara::compile(POP3).unwrap();
        let mut tags = Vec::new();
        y.scan(
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            &mut tags,
        );
        assert_eq!(tags, ["yara:Pop3Yara", "yara:tag1", "yara:tag2"]);
        // Past offset 50 the condition fails.
        let mut late = vec![b'x'; 60];
        late.extend_from_slice(b" POP3 ");
        tags.clear();
        y.scan(&late, &mut tags);
        assert!(tags.is_empty());
        y.scan(b"", &mut tags);
        assert!(tags.is_empty());
    }

    #[test]
    fn bad_rules_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.yara");
        std::fs::write(&p, "rule x { condition: nope }").unwrap();
        let e = Yara::load(&p).err().unwrap().to_string();
        assert!(
            e.contains("could not compile") && e.contains("bad.yara"),
            "{e}"
        );
        let e = Yara::load(&dir.path().join("missing.yara"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("could not open"), "{e}");
    }
}
