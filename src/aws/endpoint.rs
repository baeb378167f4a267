//! Where a call to an AWS service goes, resolved the SDKs' way with Tollgate's config first:
//! 1. `[aws.endpoints]` in `tollgate.toml`, by service (`lambda = "http://127.0.0.1:9001"`);
//! 2. `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_LAMBDA`, `…_SQS`, `…_DYNAMODB`, …);
//! 3. `AWS_ENDPOINT_URL`;
//! 4. the region's real endpoint, `https://{service}.{region}.amazonaws.com`.
//!
//! The region comes from the integration's ARN, so one gateway can call several regions.

use std::collections::BTreeMap;

use super::credentials::Lookup;

/// What the resolution reads, captured once at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// `[aws.endpoints]`, by service name (lower case).
    pub configured: BTreeMap<String, String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`, by service name (lower case).
    pub service_env: BTreeMap<String, String>,
    /// `AWS_ENDPOINT_URL`.
    pub global_env: Option<String>,
}

/// The services whose `AWS_ENDPOINT_URL_<SERVICE>` variable is read (the SDKs' names).
const SERVICES: &[(&str, &str)] = &[
    ("lambda", "LAMBDA"),
    ("sqs", "SQS"),
    ("sns", "SNS"),
    ("dynamodb", "DYNAMODB"),
    ("kinesis", "KINESIS"),
    ("s3", "S3"),
    ("states", "SFN"),
    ("sts", "STS"),
    ("events", "EVENTBRIDGE"),
    ("cognito-idp", "COGNITO_IDENTITY_PROVIDER"),
];

impl Endpoints {
    pub fn from_lookup(configured: BTreeMap<String, String>, lookup: &Lookup<'_>) -> Endpoints {
        let service_env = SERVICES
            .iter()
            .filter_map(|(svc, var)| {
                let v = (lookup.env)(&format!("AWS_ENDPOINT_URL_{var}"))?;
                (!v.is_empty()).then(|| (svc.to_string(), v))
            })
            .collect();
        Endpoints {
            configured: configured
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            service_env,
            global_env: (lookup.env)("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()),
        }
    }

    /// The endpoint URL for `service` in `region`.
    pub fn resolve(&self, service: &str, region: &str) -> String {
        self.configured
            .get(service)
            .or_else(|| self.service_env.get(service))
            .or(self.global_env.as_ref())
            .cloned()
            .unwrap_or_else(|| format!("https://{service}.{region}.amazonaws.com"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_then_service_variable_then_global_then_aws() {
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL_LAMBDA" => Some("http://127.0.0.1:9001".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:5000".to_string()),
            _ => None,
        };
        let lookup = Lookup {
            env: &env,
            home: None,
        };
        let mut cfg = BTreeMap::new();
        cfg.insert("SQS".to_string(), "http://127.0.0.1:7000".to_string());
        let e = Endpoints::from_lookup(cfg, &lookup);
        assert_eq!(e.resolve("lambda", "eu-west-1"), "http://127.0.0.1:9001");
        assert_eq!(e.resolve("sqs", "eu-west-1"), "http://127.0.0.1:7000");
        assert_eq!(e.resolve("dynamodb", "eu-west-1"), "http://127.0.0.1:5000");
        let none = Lookup {
            env: &|_| None,
            home: None,
        };
        let e = Endpoints::from_lookup(BTreeMap::new(), &none);
        assert_eq!(
            e.resolve("lambda", "eu-west-1"),
            "https://lambda.eu-west-1.amazonaws.com"
        );
    }
}
