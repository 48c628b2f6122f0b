//! TLS (rustls with the aws-lc provider): the certificate chain and key from PEM files
//! (`--tls-cert`, `--tls-key`), reloaded on SIGHUP. A reload changes what new connections get;
//! connections already open keep theirs, so a renewal drops nothing. A reload that fails
//! keeps the old certificate and says why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<TlsAcceptor>,
}

impl Tls {
    /// Loads the certificate chain and key (a start with bad files fails, saying which).
    pub fn load(cert: &Path, key: &Path) -> Result<Self, String> {
        Ok(Self {
            current: RwLock::new(acceptor(cert, key)?),
            cert: cert.to_owned(),
            key: key.to_owned(),
        })
    }

    /// Reads the files again; new connections get the new certificate.
    pub fn reload(&self) -> Result<(), String> {
        let fresh = acceptor(&self.cert, &self.key)?;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// What a new connection's handshake uses.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no certificate in the file",
            cert.display()
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    // The provider named here, not a process-wide default: two providers in the dependency
    // tree would make the default panic.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    // The server speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
