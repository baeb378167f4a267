//! STS `AssumeRole`, as the role refresher (`roles`) calls it: a signed POST form to the STS
//! endpoint (`AWS_ENDPOINT_URL_STS`, `[aws.endpoints] sts`, else `https://sts.{region}.amazonaws.com`)
//! with the gateway's own credentials, on the refresher's thread (blocking I/O is fine there;
//! `ureq` is the client, with the system's trust store like the HTTPS backends).
//!
//! The answer is STS's query-protocol XML: `AssumeRoleResult/Credentials` on success, or
//! `ErrorResponse/Error/{Code,Message}`; `parse` reads either and never panics (it is fuzzed).

use std::time::Duration;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::roles::{Issued, DURATION_SECONDS, SESSION_NAME};
use super::sigv4::sign::{sign_into, Credentials, KeyCache, Outbound};

/// The longest one AssumeRole may take.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The form body of an AssumeRole for `arn`.
pub fn form(arn: &str) -> String {
    format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName={SESSION_NAME}&DurationSeconds={DURATION_SECONDS}",
        super::sigv4::uri_encode(arn)
    )
}

/// `host[:port]` as sent in `Host` for `url` (the default port left out, as HTTP clients do).
fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    let default = match scheme {
        "https" => ":443",
        _ => ":80",
    };
    Some(
        authority
            .strip_suffix(default)
            .unwrap_or(authority)
            .to_string(),
    )
}

/// Assumes `arn` with the process's AWS environment (`super::env()`).
pub fn assume_role(arn: &str) -> Result<Issued, String> {
    let env = super::env();
    let own = env
        .credentials
        .as_ref()
        .ok_or_else(|| super::credentials::missing_message().to_string())?;
    let endpoint = env.endpoints.resolve("sts", &env.region);
    call(
        &agent(),
        &endpoint,
        &env.region,
        own,
        arn,
        super::roles::unix_now(),
    )
}

pub(crate) fn agent() -> ureq::Agent {
    let roots: Vec<ureq::tls::Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .tls_config(tls)
        .build()
        .into()
}

/// One signed AssumeRole to `endpoint`.
pub fn call(
    agent: &ureq::Agent,
    endpoint: &str,
    region: &str,
    own: &Credentials,
    arn: &str,
    now_secs: u64,
) -> Result<Issued, String> {
    let base = endpoint.trim_end_matches('/');
    let host = host_of(base).ok_or_else(|| format!("invalid STS endpoint URL '{endpoint}'"))?;
    let body = form(arn);
    let mut signed = Vec::new();
    let req = Outbound {
        method: "POST",
        path: "/",
        query: "",
        host: &host,
        headers: &[("content-type", CONTENT_TYPE)],
        payload: body.as_bytes(),
    };
    sign_into(
        own,
        region,
        "sts",
        &req,
        now_secs,
        &mut KeyCache::default(),
        &mut signed,
    );
    let mut request = agent
        .post(format!("{base}/"))
        .header("Content-Type", CONTENT_TYPE);
    for line in String::from_utf8_lossy(&signed).split("\r\n") {
        if let Some((name, value)) = line.split_once(": ") {
            request = request.header(name, value);
        }
    }
    let mut response = request
        .send(body.as_bytes())
        .map_err(|e| format!("STS at {base} did not answer: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .map_err(|e| format!("reading STS's answer: {e}"))?;
    parse(status, &text)
}

/// STS's answer: the credentials, or its error code and message.
pub fn parse(status: u16, body: &[u8]) -> Result<Issued, String> {
    let mut fields = Fields::default();
    let mut reader = Reader::from_reader(body);
    let mut current: Option<&'static str> = None;
    // An element's text arrives in pieces (text, entity references): joined, then unescaped.
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                text.clear();
                current = Fields::NAMES
                    .iter()
                    .find(|n| n.as_bytes() == e.local_name().as_ref())
                    .copied();
            }
            Ok(Event::Text(t)) if current.is_some() => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Ok(Event::GeneralRef(r)) if current.is_some() => {
                text.push('&');
                text.push_str(&String::from_utf8_lossy(&r));
                text.push(';');
            }
            Ok(Event::End(_)) => {
                if let Some(name) = current.take() {
                    let value = quick_xml::escape::unescape(&text)
                        .map(|c| c.into_owned())
                        .unwrap_or_else(|_| text.clone());
                    fields.set(name, value.trim());
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "STS answered {status} with a body that is not XML ({e})"
                ))
            }
        }
        buf.clear();
    }
    if !(200..300).contains(&status) {
        return Err(match (fields.code, fields.message) {
            (Some(c), Some(m)) => format!("STS answered {status} {c}: {m}"),
            (Some(c), None) => format!("STS answered {status} {c}"),
            _ => format!("STS answered {status}"),
        });
    }
    let (Some(id), Some(secret), Some(expiration)) =
        (fields.access_key_id, fields.secret, fields.expiration)
    else {
        return Err("STS's AssumeRole answer has no credentials".into());
    };
    let expires =
        time::OffsetDateTime::parse(&expiration, &time::format_description::well_known::Rfc3339)
            .map_err(|_| format!("STS's credentials expire at '{expiration}', not a date"))?
            .unix_timestamp();
    Ok(Issued {
        credentials: Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: fields.token,
        },
        expires: u64::try_from(expires).unwrap_or(0),
    })
}

#[derive(Default)]
struct Fields {
    access_key_id: Option<String>,
    secret: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

impl Fields {
    const NAMES: &'static [&'static str] = &[
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
        "Code",
        "Message",
    ];

    fn set(&mut self, name: &str, text: &str) {
        let slot = match name {
            "AccessKeyId" => &mut self.access_key_id,
            "SecretAccessKey" => &mut self.secret,
            "SessionToken" => &mut self.token,
            "Expiration" => &mut self.expiration,
            "Code" => &mut self.code,
            _ => &mut self.message,
        };
        *slot = Some(text.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of AWS's documented AssumeRole response.
    const OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/tollgate-integration</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:tollgate-integration</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;bNrC</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2026-11-27T05:00:00Z</Expiration>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>"#;

    #[test]
    fn credentials_and_expiry_are_read() {
        let issued = parse(200, OK.as_bytes()).unwrap();
        assert_eq!(issued.credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(
            issued.credentials.secret_access_key,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        );
        assert_eq!(
            issued.credentials.session_token.as_deref(),
            Some("AQoDYXdzEPT//////////wEXAMPLEtc764&bNrC")
        );
        assert_eq!(issued.expires, 1_795_755_600);
    }

    #[test]
    fn sts_errors_carry_code_and_message() {
        let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code>
  <Message>User: arn:aws:iam::123456789012:user/gw is not authorized to perform: sts:AssumeRole</Message></Error>
  <RequestId>c6104cbe</RequestId></ErrorResponse>"#;
        let e = parse(403, body.as_bytes()).unwrap_err();
        assert!(e.starts_with("STS answered 403 AccessDenied: User: arn:aws:iam::123456789012:user/gw is not authorized"), "{e}");
        assert_eq!(parse(500, b"").unwrap_err(), "STS answered 500");
        assert!(parse(200, b"<a><b>").is_err());
        assert!(parse(200, b"\xff\xfe<").is_err());
    }

    #[test]
    fn the_form_is_encoded_and_the_host_has_no_default_port() {
        assert_eq!(
            form("arn:aws:iam::123456789012:role/a+b"),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa%2Bb&RoleSessionName=tollgate-integration&DurationSeconds=3600"
        );
        assert_eq!(
            host_of("https://sts.us-east-1.amazonaws.com").as_deref(),
            Some("sts.us-east-1.amazonaws.com")
        );
        assert_eq!(
            host_of("http://127.0.0.1:5000/").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(host_of("https://h:443").as_deref(), Some("h"));
    }
}
