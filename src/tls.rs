//! TLS client settings for IMAP, SMTP and the OAuth token endpoints. A leaf module.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use rustls_pki_types::{CertificateDer, pem::PemObject};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// TLS settings trusting the system's roots plus `ca_file` (PEM), with the ring provider.
pub fn tls_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A malformed system certificate is skipped, not fatal.
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let mut n = 0;
        for cert in CertificateDer::pem_file_iter(path)
            .with_context(|| format!("reading ca_file {}", path.display()))?
        {
            roots.add(cert.with_context(|| format!("parsing ca_file {}", path.display()))?)?;
            n += 1;
        }
        if n == 0 {
            bail!("ca_file {} holds no certificate", path.display());
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}
