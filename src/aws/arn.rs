//! What an `AWS` / `AWS_PROXY` integration URI names:
//! `arn:{partition}:apigateway:{region}:{service}:path/{path}` or `…:{service}:action/{Action}`,
//! and for Lambda `…:lambda:path/2015-03-31/functions/{function ARN or name}/invocations`.
//!
//! Lambda's Invoke takes a function name, a partial ARN or a full ARN in its path. Tollgate sends
//! the bare name (with its qualifier) when the function's region and account are the gateway's
//! own, and the full ARN otherwise: the local Invoke emulators answer a bare name only, and the
//! real service treats both alike for the caller's own functions.

/// A parsed integration URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsUri {
    /// Lambda Invoke of `function`.
    Lambda { region: String, function: Function },
    /// Any other service, by action or by path (not served by this version).
    Service {
        region: String,
        service: String,
        action_or_path: String,
    },
}

/// A Lambda function as the URI names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, or just the name.
    pub text: String,
    pub region: Option<String>,
    pub account: Option<String>,
    pub name: String,
    pub qualifier: Option<String>,
}

const LAMBDA_PREFIX: &str = "path/2015-03-31/functions/";
const LAMBDA_SUFFIX: &str = "/invocations";

/// Any ARN's six parts, `arn:{partition}:{service}:{region}:{account}:{resource}` (the resource
/// keeps its own colons); `None` unless it starts with `arn:` and has all six.
pub fn parts(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    let p = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    (p[0] == "arn").then_some(p)
}

/// Parses `uri`; the error is the message the import reports.
pub fn parse(uri: &str) -> Result<AwsUri, String> {
    let invalid = || format!("Invalid ARN specified in the request: {uri}");
    let parts: Vec<&str> = uri.splitn(6, ':').collect();
    let [arn, partition, apigateway, region, service, rest] = parts[..] else {
        return Err(invalid());
    };
    if arn != "arn" || !partition.starts_with("aws") || apigateway != "apigateway" {
        return Err(invalid());
    }
    if !valid_region(region) {
        return Err(format!("Invalid region in integration URI: '{region}'"));
    }
    if service.is_empty()
        || !service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(invalid());
    }
    if !(rest.starts_with("path/") || rest.starts_with("action/")) {
        return Err("AWS ARN for integration must contain path or action".into());
    }
    if service != "lambda" {
        return Ok(AwsUri::Service {
            region: region.into(),
            service: service.into(),
            action_or_path: rest.into(),
        });
    }
    let function = rest
        .strip_prefix(LAMBDA_PREFIX)
        .and_then(|f| f.strip_suffix(LAMBDA_SUFFIX))
        .filter(|f| !f.is_empty())
        .ok_or_else(|| {
            format!(
                "Lambda integration URI must be arn:aws:apigateway:{region}:lambda:{LAMBDA_PREFIX}{{function ARN}}{LAMBDA_SUFFIX}"
            )
        })?;
    Ok(AwsUri::Lambda {
        region: region.into(),
        function: parse_function(function)?,
    })
}

fn valid_region(r: &str) -> bool {
    !r.is_empty()
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 140
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, `ACCOUNT:function:NAME` (partial)
/// or `NAME[:QUALIFIER]`.
fn parse_function(f: &str) -> Result<Function, String> {
    let bad = || format!("Invalid Lambda function ARN or name in integration URI: '{f}'");
    let p: Vec<&str> = f.split(':').collect();
    let (region, account, name, qualifier) = match p[..] {
        ["arn", partition, "lambda", region, account, "function", name]
            if partition.starts_with("aws") =>
        {
            (Some(region), Some(account), name, None)
        }
        ["arn", partition, "lambda", region, account, "function", name, q]
            if partition.starts_with("aws") =>
        {
            (Some(region), Some(account), name, Some(q))
        }
        [account, "function", name] => (None, Some(account), name, None),
        [account, "function", name, q] => (None, Some(account), name, Some(q)),
        [name] => (None, None, name, None),
        [name, q] => (None, None, name, Some(q)),
        _ => return Err(bad()),
    };
    if !valid_name(name) || qualifier.is_some_and(|q| !valid_name(q) && q != "$LATEST") {
        return Err(bad());
    }
    if region.is_some_and(|r| !valid_region(r))
        || account.is_some_and(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(Function {
        text: f.into(),
        region: region.map(Into::into),
        account: account.map(Into::into),
        name: name.into(),
        qualifier: qualifier.map(Into::into),
    })
}

impl Function {
    /// The Invoke path, percent-encoded: the bare name (and qualifier) for the gateway's own
    /// region and account, else the ARN as written.
    pub fn invoke_path(&self, own_region: &str, own_account: &str) -> String {
        let own = self.region.as_deref().is_none_or(|r| r == own_region)
            && self.account.as_deref().is_none_or(|a| a == own_account);
        let id = if own {
            match &self.qualifier {
                Some(q) => format!("{}:{q}", self.name),
                None => self.name.clone(),
            }
        } else {
            self.text.clone()
        };
        let mut path = String::from("/2015-03-31/functions/");
        for b in id.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                path.push(char::from(b));
            } else {
                path.push_str(&format!("%{b:02X}"));
            }
        }
        path.push_str(LAMBDA_SUFFIX);
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-fn/invocations";

    #[test]
    fn lambda_uris() {
        let AwsUri::Lambda { region, function } = parse(URI).unwrap() else {
            panic!()
        };
        assert_eq!(region, "us-east-1");
        assert_eq!(function.name, "my-fn");
        assert_eq!(
            function.invoke_path("us-east-1", "123456789012"),
            "/2015-03-31/functions/my-fn/invocations"
        );
        assert_eq!(
            function.invoke_path("us-east-1", "000000000000"),
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations"
        );
        let aliased = URI.replace("my-fn/", "my-fn:live/");
        let AwsUri::Lambda { function, .. } = parse(&aliased).unwrap() else {
            panic!()
        };
        assert_eq!(
            function.invoke_path("us-east-1", "123456789012"),
            "/2015-03-31/functions/my-fn%3Alive/invocations"
        );
        let bare = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/echo/invocations";
        let AwsUri::Lambda { function, .. } = parse(bare).unwrap() else {
            panic!()
        };
        assert_eq!(
            function.invoke_path("x", "y"),
            "/2015-03-31/functions/echo/invocations"
        );
    }

    #[test]
    fn services_and_bad_uris() {
        assert!(matches!(
            parse("arn:aws:apigateway:us-east-1:sqs:path/123456789012/q").unwrap(),
            AwsUri::Service { .. }
        ));
        for bad in [
            "http://example.com",
            "arn:aws:apigateway:us-east-1:lambda",
            "arn:aws:apigateway:US:lambda:path/x",
            "arn:aws:apigateway:us-east-1:lambda:foo/x",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions//invocations",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/a b/invocations",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:12:function:f/invocations",
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
