//! TLS for IMAP: rustls with the ring provider, certificates and host names always verified.
//! Trusted roots: Mozilla's (webpki-roots), the system's, and the config's `ca_file`.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::ImapError;
use super::connect::CONNECT_TIMEOUT;

pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ImapError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // The system store may hold an organisation's own CA; unreadable entries are skipped.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let bad = |e: &dyn std::fmt::Display| {
            ImapError::TlsConfig(format!("mailbox.ca_file {}: {e}", path.display()))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<Result<_, _>>())
            .map_err(|e| bad(&e))?;
        if certs.is_empty() {
            return Err(bad(&"no certificate in it"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::TlsConfig(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS handshake, verifying the server's certificate against `host`.
pub(super) async fn handshake(
    host: &str,
    tcp: TcpStream,
    tls: Arc<rustls::ClientConfig>,
) -> Result<TlsStream<TcpStream>, ImapError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| ImapError::TlsConfig(format!("mailbox.host {host:?}: {e}")))?;
    tokio::time::timeout(CONNECT_TIMEOUT, TlsConnector::from(tls).connect(name, tcp))
        .await
        .map_err(|_| ImapError::Timeout {
            doing: "the TLS handshake",
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|source| ImapError::Tls {
            host: host.into(),
            source,
        })
}
