//! Throwaway TLS material for the test servers: a CA, and a server certificate it signs for
//! `localhost` only (not `127.0.0.1`, so that a host name mismatch can be tested on the same
//! server), plus a CA that signed nothing.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

pub struct CertFiles {
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    (params.self_signed(&key).unwrap(), key)
}

/// Writes `ca.pem`, `other-ca.pem`, `server.crt` and `server.key` into `dir`.
pub fn write_localhost_certs(dir: &Path) -> CertFiles {
    write_certs(dir, false)
}

/// The same, but the server certificate expired in 2021.
pub fn write_certs(dir: &Path, expired: bool) -> CertFiles {
    let (ca_cert, ca_key) = ca("applymail test CA");
    let (other_ca, _) = ca("some other CA");
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if expired {
        leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    let files = CertFiles {
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    };
    std::fs::write(&files.cert, leaf_cert.pem()).unwrap();
    std::fs::write(&files.key, leaf_key.serialize_pem()).unwrap();
    std::fs::write(&files.ca, ca_cert.pem()).unwrap();
    std::fs::write(&files.other_ca, other_ca.pem()).unwrap();
    files
}
