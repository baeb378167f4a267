//! The `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header,
//! split into its parts without judging them (scope and signature checks live in `verify`).
//!
//! Invariant: parsing never allocates more than the header's own size and never panics; every
//! structural problem is an `Incomplete` error worded as AWS words it, ending in
//! `Authorization=<header>` as AWS's messages do.

use super::SigV4Error;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of a SigV4 Authorization header, borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    /// `YYYYMMDD` from the credential scope.
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
    /// The `SignedHeaders` value as given (`;`-separated); see [`Authorization::signed_headers`].
    pub signed: &'a str,
    pub signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// The signed header names, trimmed, in the order given (compare case-insensitively: the
    /// canonical request lower-cases them).
    pub fn signed_headers(&self) -> impl Iterator<Item = &'a str> {
        self.signed.split(';').map(str::trim)
    }
}

/// `AccessKeyId/YYYYMMDD/region/service/aws4_request` split into its five parts.
pub(super) fn split_credential(credential: &str) -> Option<[&str; 5]> {
    let mut parts = credential.splitn(6, '/');
    let mut out = [""; 5];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(out)
}

/// What is wrong with a `SignedHeaders` list, worded as AWS words it (`None`: nothing).
pub(super) fn signed_headers_problem(signed: &str) -> Option<String> {
    let mut names = signed.split(';').map(str::trim);
    if names.clone().any(str::is_empty) {
        return Some(format!(
            "SignedHeaders '{signed}' has an empty header name. "
        ));
    }
    if !names.any(|h| h.eq_ignore_ascii_case("host")) {
        return Some(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization. ".into(),
        );
    }
    None
}

/// Splits `header`; `has_date` says whether the request carries an `X-Amz-Date` header, because
/// AWS reports a missing date together with missing parameters, in one message.
pub fn parse_authorization(header: &str, has_date: bool) -> Result<Authorization<'_>, SigV4Error> {
    let incomplete = |what: String| SigV4Error::Incomplete(format!("{what}Authorization={header}"));
    let (algorithm, params) = header
        .trim()
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header.trim(), ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'; use '{ALGORITHM}'. "
        )));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "Invalid key=value pair (missing equal-sign) in Authorization header: '{part}'. "
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            // AWS ignores parameters it does not know.
            _ => continue,
        };
        slot.get_or_insert(value.trim());
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if value.is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if !missing.is_empty() {
        return Err(incomplete(missing));
    }
    let (credential, signed, signature) = (
        credential.unwrap_or_default(),
        signed.unwrap_or_default(),
        signature.unwrap_or_default(),
    );
    let Some([access_key_id, date, region, service, terminator]) = split_credential(credential)
    else {
        return Err(incomplete(format!(
            "Credential '{credential}' is not of the form \
             'AccessKeyId/YYYYMMDD/region/service/aws4_request'. "
        )));
    };
    if access_key_id.is_empty() {
        return Err(incomplete(
            "Authorization header requires 'Credential' parameter. ".into(),
        ));
    }
    if let Some(problem) = signed_headers_problem(signed) {
        return Err(incomplete(problem));
    }
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn message(header: &str, has_date: bool) -> String {
        match parse_authorization(header, has_date) {
            Err(SigV4Error::Incomplete(m)) => m,
            other => panic!("{header:?}: {other:?}"),
        }
    }

    #[test]
    fn splits_a_botocore_header() {
        let a = parse_authorization(GOOD, true).unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(
            (a.date, a.region, a.service, a.terminator),
            ("20150830", "us-east-1", "service", "aws4_request")
        );
        assert!(a.signed_headers().eq(["host", "x-amz-date"]));
        assert_eq!(a.signature.len(), 64);
    }

    #[test]
    fn tolerates_spacing_order_and_case_of_names() {
        let h = "AWS4-HMAC-SHA256   Signature=ab ,SignedHeaders=Host;X-Amz-Date,Credential=K/20150830/r/s/aws4_request,Extra=1";
        let a = parse_authorization(h, true).unwrap();
        assert!(a.signed_headers().eq(["Host", "X-Amz-Date"]));
        assert_eq!((a.access_key_id, a.signature), ("K", "ab"));
    }

    #[test]
    fn missing_parts_are_listed_as_aws_lists_them() {
        assert_eq!(
            message(
                "AWS4-HMAC-SHA256 Credential=K/20150830/r/s/aws4_request",
                false
            ),
            "Authorization header requires 'Signature' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization header requires existence of either a \
             'X-Amz-Date' or a 'Date' header. \
             Authorization=AWS4-HMAC-SHA256 Credential=K/20150830/r/s/aws4_request"
        );
        assert!(message("AWS4-HMAC-SHA256", true).starts_with(
            "Authorization header requires 'Credential' parameter. Authorization header requires \
             'Signature' parameter."
        ));
    }

    #[test]
    fn malformed_headers_are_incomplete() {
        for (header, start) in [
            ("Bearer abc", "Unsupported AWS 'algorithm': 'Bearer'"),
            ("", "Unsupported AWS 'algorithm': ''"),
            ("AWS4-HMAC-SHA256 Credential", "Invalid key=value pair"),
            (
                "AWS4-HMAC-SHA256 Credential=K/20150830/r, SignedHeaders=host, Signature=a",
                "Credential 'K/20150830/r' is not of the form",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/1/2/3/4/5, SignedHeaders=host, Signature=a",
                "Credential 'K/1/2/3/4/5' is not of the form",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=/1/2/3/4, SignedHeaders=host, Signature=a",
                "Authorization header requires 'Credential' parameter.",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/1/2/3/4, SignedHeaders=x-amz-date, Signature=a",
                "'Host' or ':authority' must be a 'SignedHeader'",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/1/2/3/4, SignedHeaders=host;;a, Signature=a",
                "SignedHeaders 'host;;a' has an empty header name.",
            ),
        ] {
            let m = message(header, true);
            assert!(m.starts_with(start), "{header:?} gave {m:?}");
            assert!(m.ends_with(&format!("Authorization={header}")), "{m:?}");
        }
    }
}
