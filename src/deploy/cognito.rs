//! A `COGNITO_USER_POOLS` authorizer's user pools, compiled from its `providerARNs`
//! (`arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}`, up to 1,000 as on AWS): each
//! pool's token issuer and its shared, refreshed key set (`aws::jwks`). Compiling registers the
//! pools, so their keys are being fetched before the deployment serves its first request.
//!
//! A `${stageVariables.X}` in an ARN (AWS allows one) is refused here: the authorizer is compiled
//! once per API, and an unresolved pool must not be served (fail closed).

use std::sync::Arc;

use crate::aws::jwks::{self, Pool};

/// AWS's limit on `providerARNs` per authorizer.
pub const MAX_POOLS: usize = 1000;

/// The pools one authorizer accepts tokens from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoPools {
    /// `https://cognito-idp.{region}.amazonaws.com/{poolId}`, by pool, in ARN order.
    pub issuers: Box<[Box<str>]>,
    pub pools: Box<[Arc<Pool>]>,
}

/// `(region, poolId)` of a user pool ARN; the error is the refusal's text.
pub fn parse_provider_arn(arn: &str) -> Result<(&str, &str), String> {
    let bad = || format!("Invalid provider ARN specified: {arn}");
    if arn.contains("${") {
        return Err(format!(
            "provider ARN {arn}: stage variables in providerARNs are not supported by this Tollgate version"
        ));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(bad());
    };
    let pool_id = resource.strip_prefix("userpool/").ok_or_else(bad)?;
    let token_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if prefix != "arn"
        || !partition.starts_with("aws")
        || service != "cognito-idp"
        || !token_ok(region)
        || !account.bytes().all(|b| b.is_ascii_digit())
        || !token_ok(pool_id)
        || pool_id.len() > 55
    {
        return Err(bad());
    }
    Ok((region, pool_id))
}

/// Compiles `providerARNs`, registering each pool with the key refresher.
pub fn compile(arns: &[String]) -> Result<CognitoPools, String> {
    compile_with(arns, jwks::pool)
}

/// `compile` with the pool registry given (tests point pools at fixed URLs).
pub fn compile_with(
    arns: &[String],
    pool: impl Fn(&str, &str) -> Arc<Pool>,
) -> Result<CognitoPools, String> {
    if arns.is_empty() {
        return Err("providerARNs must be specified for type COGNITO_USER_POOLS".into());
    }
    if arns.len() > MAX_POOLS {
        return Err(format!(
            "providerARNs: at most {MAX_POOLS} user pools per authorizer"
        ));
    }
    let mut issuers: Vec<Box<str>> = Vec::with_capacity(arns.len());
    let mut pools = Vec::with_capacity(arns.len());
    for arn in arns {
        let (region, pool_id) = parse_provider_arn(arn)?;
        let p = pool(region, pool_id);
        if issuers.iter().any(|i| **i == *p.issuer()) {
            continue;
        }
        issuers.push(p.issuer().into());
        pools.push(p);
    }
    Ok(CognitoPools {
        issuers: issuers.into(),
        pools: pools.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_arns() {
        assert_eq!(
            parse_provider_arn(
                "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC12"
            ),
            Ok(("us-east-1", "us-east-1_AbC12"))
        );
        for bad in [
            "arn:aws:cognito-idp:us-east-1:123456789012:pool/us-east-1_x",
            "arn:aws:cognito-identity:us-east-1:123456789012:userpool/us-east-1_x",
            "arn:aws:cognito-idp:us-east-1:12345678901x:userpool/us-east-1_x",
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/",
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/a/b",
            "us-east-1_x",
            "",
        ] {
            assert!(parse_provider_arn(bad).is_err(), "{bad}");
        }
        let e = parse_provider_arn(
            "arn:aws:cognito-idp:us-east-2:111122223333:userpool/${stageVariables.MyUserPool}",
        )
        .unwrap_err();
        assert!(e.contains("stage variables"), "{e}");
    }

    #[test]
    fn pools_are_compiled_with_their_issuers_and_shared() {
        let arns = vec![
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_one".to_string(),
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_two".to_string(),
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_two".to_string(),
        ];
        let c = compile_with(&arns, |r, p| {
            jwks::pool_at(&jwks::issuer(r, p), &format!("http://127.0.0.1:1/{p}"))
        })
        .unwrap();
        assert_eq!(
            &*c.issuers,
            &[
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_one".into(),
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_two".into(),
            ] as &[Box<str>]
        );
        assert_eq!(c.pools.len(), 2);
        assert!(compile(&[]).is_err());
    }
}
