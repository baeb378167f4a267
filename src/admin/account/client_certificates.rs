//! ClientCertificates: GenerateClientCertificate makes a real key pair (ECDSA P-256, with the
//! `rcgen` crate) and a self-signed certificate valid for 365 days. The private key is stored so
//! a stage naming the certificate (`clientCertificateId`) presents it to its HTTPS backends
//! (`net::tls`), and never returned: the output shape has no member for it.

use crate::admin::error::ApiError;
use crate::admin::patch::{self, Op, PatchOperation, Rule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const CERTIFICATE_NOT_FOUND: ApiError =
    ApiError::NotFound("Invalid client certificate identifier specified");

const VALID_DAYS: i64 = 365;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateIn {
    pub description: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The stored certificate: AWS's `ClientCertificate` plus the private key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCertificate {
    pub client_certificate_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub pem_encoded_certificate: String,
    pub created_date: i64,
    pub expiration_date: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub private_key_pem: String,
}

/// The `ClientCertificate` output shape (everything but the private key).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCertificateOut<'a> {
    pub client_certificate_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub pem_encoded_certificate: &'a str,
    pub created_date: i64,
    pub expiration_date: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: &'a BTreeMap<String, String>,
}

impl<'a> From<&'a ClientCertificate> for ClientCertificateOut<'a> {
    fn from(c: &'a ClientCertificate) -> Self {
        ClientCertificateOut {
            client_certificate_id: &c.client_certificate_id,
            description: c.description.as_deref(),
            pem_encoded_certificate: &c.pem_encoded_certificate,
            created_date: c.created_date,
            expiration_date: c.expiration_date,
            tags: &c.tags,
        }
    }
}

/// A new key pair and self-signed certificate, valid from `now` for 365 days.
pub fn generate(id: String, input: GenerateIn, now: i64) -> Result<ClientCertificate, ApiError> {
    let internal =
        |e: rcgen::Error| ApiError::Internal(format!("cannot generate certificate: {e}"));
    let expires = now + VALID_DAYS * 86_400;
    let at = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map_err(|e| ApiError::Internal(format!("bad certificate time: {e}")))
    };
    let key = rcgen::KeyPair::generate().map_err(internal)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(internal)?;
    params.not_before = at(now)?;
    params.not_after = at(expires)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("tollgate-client-{id}"));
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Tollgate API Gateway");
    let cert = params.self_signed(&key).map_err(internal)?;
    Ok(ClientCertificate {
        client_certificate_id: id,
        description: input.description,
        pem_encoded_certificate: cert.pem(),
        created_date: now,
        expiration_date: expires,
        tags: input.tags,
        private_key_pem: key.serialize_pem(),
    })
}

const RULES: &[Rule<ClientCertificate>] = &[Rule {
    path: "/description",
    ops: &[Op::Replace],
    apply: |c, ch| {
        c.description = ch.optional();
        Ok(())
    },
}];

pub fn update(
    c: &ClientCertificate,
    ops: &[PatchOperation],
) -> Result<ClientCertificate, ApiError> {
    Ok(patch::apply(c, ops, RULES)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    #[test]
    fn generated_certificate_is_a_real_self_signed_x509() {
        let now = 1_700_000_000;
        let c = generate(
            "abc123".into(),
            GenerateIn {
                description: Some("d".into()),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        assert_eq!(c.expiration_date - c.created_date, 365 * 86_400);
        let (_, pem) = parse_x509_pem(c.pem_encoded_certificate.as_bytes()).unwrap();
        assert_eq!(pem.label, "CERTIFICATE");
        let cert = pem.parse_x509().unwrap();
        assert_eq!(cert.validity().not_before.timestamp(), now);
        assert_eq!(cert.validity().not_after.timestamp(), c.expiration_date);
        assert_eq!(cert.subject(), cert.issuer());
        assert!(cert
            .subject()
            .to_string()
            .contains("tollgate-client-abc123"));
        // Self-signed: the certificate's own key verifies its signature.
        cert.verify_signature(None).unwrap();
        assert!(c.private_key_pem.contains("PRIVATE KEY"));
        let out = serde_json::to_value(ClientCertificateOut::from(&c)).unwrap();
        assert!(out.get("privateKeyPem").is_none());
        assert!(!out.to_string().contains("PRIVATE KEY"));
        // Two certificates never share a key.
        let d = generate("def456".into(), GenerateIn::default(), now).unwrap();
        assert_ne!(c.private_key_pem, d.private_key_pem);
    }

    #[test]
    fn update_only_touches_the_description() {
        let c = generate("abc123".into(), GenerateIn::default(), 0).unwrap();
        let ops = patch::parse(
            br#"{"patchOperations":[{"op":"replace","path":"/description","value":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(update(&c, &ops).unwrap().description.as_deref(), Some("x"));
        let bad = patch::parse(br#"{"patchOperations":[{"op":"replace","path":"/pemEncodedCertificate","value":"x"}]}"#).unwrap();
        assert_eq!(update(&c, &bad).unwrap_err().parts().0, 400);
    }
}
