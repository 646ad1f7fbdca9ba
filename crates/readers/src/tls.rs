//! TLS for `https://` inputs: rustls (ring), trusting the system's CA bundle
//! (`SSL_CERT_FILE` when set, else the usual bundle paths of Linux distributions).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use ureq::{ReadWrite, TlsConnector};

/// Where distributions keep the CA bundle.
const BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// A rustls client for ureq.
pub(crate) struct Connector {
    config: Result<Arc<rustls::ClientConfig>, String>,
}

impl Connector {
    pub(crate) fn new() -> Self {
        Connector {
            config: client_config(),
        }
    }
}

fn client_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    let files: Vec<String> = match std::env::var("SSL_CERT_FILE") {
        Ok(f) if !f.is_empty() => vec![f],
        _ => BUNDLES.iter().map(|s| s.to_string()).collect(),
    };
    for f in &files {
        let Ok(iter) = CertificateDer::pem_file_iter(f) else {
            continue;
        };
        for c in iter.flatten() {
            let _ = roots.add(c);
        }
    }
    if roots.is_empty() {
        return Err(format!(
            "no CA certificates found for https (looked in {})",
            files.join(", ")
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

struct TlsStream(rustls::StreamOwned<rustls::ClientConnection, Box<dyn ReadWrite>>);

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsStream")
    }
}

impl ReadWrite for TlsStream {
    fn socket(&self) -> Option<&TcpStream> {
        self.0.get_ref().socket()
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn tls_error(msg: String) -> ureq::Error {
    ureq::Error::from(std::io::Error::other(msg))
}

impl TlsConnector for Connector {
    fn connect(
        &self,
        dns_name: &str,
        io: Box<dyn ReadWrite>,
    ) -> Result<Box<dyn ReadWrite>, ureq::Error> {
        let cfg = self.config.clone().map_err(tls_error)?;
        let name = ServerName::try_from(dns_name.to_string())
            .map_err(|e| tls_error(format!("{dns_name}: {e}")))?;
        let conn =
            rustls::ClientConnection::new(cfg, name).map_err(|e| tls_error(format!("TLS: {e}")))?;
        Ok(Box::new(TlsStream(rustls::StreamOwned::new(conn, io))))
    }
}
