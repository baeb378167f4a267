//! TLS to HTTPS backends: rustls (ring provider) on monoio through monoio-rustls.
//!
//! - Trust: the system's store (`rustls-native-certs`, which honours `SSL_CERT_FILE` and
//!   `SSL_CERT_DIR`), loaded once per process, by the control plane when a snapshot first names
//!   an HTTPS backend. A certificate that does not verify fails the connection; the integration
//!   answers 502 and the log names the reason.
//! - `tlsConfig.insecureSkipVerification` (AWS's meaning): the certificate need not be issued by
//!   a trusted authority, but API Gateway "still performs basic certificate validation, which
//!   includes checking the certificate's expiration date, hostname, and presence of a root
//!   certificate authority". So the chain the server presents must end in a root, that root is
//!   trusted for this handshake alone, and the usual path, date and name checks run against it
//!   (`ChainRootVerifier`).
//! - SNI is the URI's host (none for an IP address, as rustls does).
//! - A stage's client certificate (`clientCertificateId`) is presented when the backend asks for
//!   one; connections with it are pooled apart (the certificate is part of the upstream's
//!   identity).
//! - Each core has its own client configs, so TLS session tickets and the resumption cache are
//!   per core like every other connection state; a reused pooled connection does no handshake.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use crate::deploy::snapshot::{ClientIdentity, Upstream};

use monoio_rustls::TlsConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's trust store, loaded once.
pub fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                eprintln!(
                    "tls: no trusted root certificates found (install ca-certificates, or set SSL_CERT_FILE); HTTPS backends will fail verification"
                );
            }
            Arc::new(roots)
        })
        .clone()
}

/// One core's TLS clients: verifying, and AWS's `insecureSkipVerification`, each without a
/// client certificate and, made on first use, with each stage certificate (`clientCertificateId`).
pub struct Connectors {
    verified: TlsConnector,
    skip_verify: TlsConnector,
    /// (certificate, skip_verify) -> its client. A handful per core; made once, then cloned
    /// (an `Arc` clone) for each new connection.
    with_cert: RefCell<Vec<(Arc<ClientIdentity>, bool, TlsConnector)>>,
}

impl Connectors {
    pub fn new() -> Result<Connectors, rustls::Error> {
        Ok(Connectors {
            verified: connector(false, None)?,
            skip_verify: connector(true, None)?,
            with_cert: RefCell::new(Vec::new()),
        })
    }

    /// The client for a new connection to `up`.
    pub fn get(&self, up: &Upstream) -> Result<TlsConnector, rustls::Error> {
        let Some(cert) = &up.client_cert else {
            return Ok(if up.tls_skip_verify {
                self.skip_verify.clone()
            } else {
                self.verified.clone()
            });
        };
        let mut made = self.with_cert.borrow_mut();
        if let Some((_, _, c)) = made
            .iter()
            .find(|(id, skip, _)| id == cert && *skip == up.tls_skip_verify)
        {
            return Ok(c.clone());
        }
        let c = connector(up.tls_skip_verify, Some(cert))?;
        made.push((cert.clone(), up.tls_skip_verify, c.clone()));
        Ok(c)
    }
}

fn connector(
    skip_verify: bool,
    cert: Option<&ClientIdentity>,
) -> Result<TlsConnector, rustls::Error> {
    let builder =
        ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let builder = if skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainRootVerifier {
                provider: provider(),
            }))
    } else {
        builder.with_root_certificates(system_roots())
    };
    let config = match cert {
        None => builder.with_no_client_auth(),
        Some(c) => builder.with_client_auth_cert(c.chain.clone(), c.key.clone_key())?,
    };
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The server name to verify and send as SNI for `host`.
pub fn server_name(
    host: &str,
) -> Result<ServerName<'static>, rustls::pki_types::InvalidDnsNameError> {
    ServerName::try_from(host.to_string())
}

/// `insecureSkipVerification`: trusts the root the server's own chain ends in, for this
/// handshake only, then verifies path, dates and name as usual.
#[derive(Debug)]
struct ChainRootVerifier {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ChainRootVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let root = intermediates.last().unwrap_or(end_entity);
        let mut roots = RootCertStore::empty();
        roots.add(root.clone().into_owned()).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        let inner =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        let rest = intermediates.split_last().map_or(&[][..], |(_, r)| r);
        inner.verify_server_cert(end_entity, rest, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
