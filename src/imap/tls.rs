//! TLS for IMAP: rustls with the ring provider, certificates and host names always verified.
//! Trusted roots: Mozilla's (webpki-roots), the system's, and the config's `ca_file`.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::ImapError;

pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ImapError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // The system store may hold an organisation's own CA; unreadable entries are skipped.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<Result<_, _>>())
            .map_err(|e| {
                ImapError::TlsConfig(format!("mailbox.ca_file {}: {e}", path.display()))
            })?;
        if certs.is_empty() {
            return Err(ImapError::TlsConfig(format!(
                "mailbox.ca_file {}: no certificate in it",
                path.display()
            )));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                ImapError::TlsConfig(format!("mailbox.ca_file {}: {e}", path.display()))
            })?;
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
