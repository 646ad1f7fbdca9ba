//! Offline inputs named by a URI, as Arkime's scheme reader takes them: `file://` is a
//! local path, `http://` and `https://` are read as a stream (never downloaded whole)
//! through the same pcap/pcapng reader as files; `s3://` and other schemes are refused
//! with a clear error.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use crate::{OfflineReader, ReadError};

/// One offline input: a local file or a URL to stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A local file (`file://` stripped).
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

/// Why a URI cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UriError {
    /// `s3://`: Arkime's S3 reader, which trawl does not have.
    #[error("{0}: s3:// inputs are not supported by trawl (Arkime's S3 reader); not read")]
    S3(String),
    /// A scheme no reader takes (Arkime's words).
    #[error("Unknown scheme for {0}")]
    Unknown(String),
}

impl Input {
    /// What `-r`, `-F` lines, `add-file` name: a path, or a URI whose scheme says how
    /// to read it (as Arkime's `uri2scheme`: no `://` is a file).
    pub fn parse(s: &str) -> Result<Input, UriError> {
        let Some(at) = s.find("://") else {
            return Ok(Input::File(PathBuf::from(s)));
        };
        match s[..at].to_ascii_lowercase().as_str() {
            "file" => Ok(Input::File(PathBuf::from(&s[at + 3..]))),
            "http" | "https" => Ok(Input::Url(s.to_string())),
            "s3" => Err(UriError::S3(s.to_string())),
            _ => Err(UriError::Unknown(s.to_string())),
        }
    }

    /// As given (a path as the OS shows it).
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Url(u) => u.clone(),
        }
    }
}

/// Connection and read timeouts of URL inputs: a server that stops sending for this
/// long ends the input with an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

fn other(url: &str, msg: String) -> ReadError {
    ReadError::Io {
        file: url.to_string(),
        source: std::io::Error::other(msg),
    }
}

/// Opens a URL as a stream: GET, and the body is read as it arrives.
pub fn open_url(url: &str) -> Result<Box<dyn Read + Send>, ReadError> {
    let mut b = ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(READ_TIMEOUT)
        .user_agent(concat!("trawl/", env!("CARGO_PKG_VERSION")));
    if url.len() >= 8 && url[..8].eq_ignore_ascii_case("https://") {
        b = b.tls_connector(std::sync::Arc::new(crate::tls::Connector::new()));
    }
    match b.build().get(url).call() {
        Ok(r) => Ok(Box::new(Body(r.into_reader()))),
        Err(ureq::Error::Status(code, r)) => Err(other(
            url,
            format!("HTTP status {code} {}", r.status_text()),
        )),
        Err(ureq::Error::Transport(t)) => Err(other(url, t.to_string())),
    }
}

/// A response body whose errors say what happened once (ureq's repeat their cause).
struct Body(Box<dyn Read + Send + Sync>);

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let msg = e.to_string();
            let msg = match msg.split_once(": ") {
                Some((a, b)) if a == b => a.to_string(),
                _ => msg,
            };
            std::io::Error::new(e.kind(), msg)
        })
    }
}

impl OfflineReader {
    /// Opens an input: a file, or a URL streamed.
    pub fn open_input(input: &Input) -> Result<Self, ReadError> {
        match input {
            Input::File(p) => Self::open(p),
            Input::Url(u) => Self::from_read(open_url(u)?, u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            Input::parse("/a/b.pcap"),
            Ok(Input::File("/a/b.pcap".into()))
        );
        assert_eq!(
            Input::parse("file:///a/b.pcap"),
            Ok(Input::File("/a/b.pcap".into()))
        );
        assert_eq!(
            Input::parse("HTTP://h/x.pcap"),
            Ok(Input::Url("HTTP://h/x.pcap".into()))
        );
        assert!(matches!(Input::parse("s3://b/k"), Err(UriError::S3(_))));
        assert_eq!(
            Input::parse("ftp://h/x").unwrap_err().to_string(),
            "Unknown scheme for ftp://h/x"
        );
    }

    #[test]
    fn a_url_that_answers_404_is_an_error_saying_so() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                use std::io::Write;
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        let e = OfflineReader::open_input(&Input::Url(format!("http://127.0.0.1:{port}/x.pcap")))
            .err()
            .unwrap();
        assert!(e.to_string().contains("HTTP status 404"), "{e}");
    }
}
