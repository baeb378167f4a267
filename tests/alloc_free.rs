//! Proves the steady-state request path allocates nothing: a counting global allocator watches a
//! real worker (in this process) answer thousands of keep-alive requests — to an HTTP_PROXY
//! route, to one with `apiKeyRequired` (the key checked against the published key table), to one
//! over a VPC link, to a MOCK route, and with a gateway error (403 Missing Authentication Token,
//! rendered through a customised DEFAULT_4XX gateway response: a header from the request, a
//! template), and with a Cognito ID token already verified on this core (cache hit).
//!
//! And through a Lambda TOKEN authorizer whose answer is cached: the function (a fake Lambda
//! endpoint here) is invoked once, before the measured window, and every later request is
//! authorized from the per-core cache, its principal mapped into a backend header.
//!
//! And with the stage's access log on: each line rendered into the core's reused buffers and
//! handed to the writer thread (in this process too, so its steady state is counted as well).
//!
//! And from the stage cache: the first GET fills it, every later one is a hit (the stored
//! response written with this request's Date and request id), the backend not called.
//!
//! And through a ten-rule AWS WAF web ACL (IP set, byte match, regex, regex pattern set, size,
//! SQL injection on the query's arguments, XSS on the query, rate-based, and/not, count) in
//! front of the proxied route: a request every rule inspects and lets through, and one each the
//! XSS and SQL injection rules block (WAF_FILTERED).
//!
//! The client and the backend here use only fixed buffers, so every allocation counted during the
//! measured window belongs to the gateway. Each case runs once per driver.

use std::io::{Read, Write};
use std::net::TcpStream;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
#[path = "support/fixed_peers.rs"]
mod fixed_peers;
#[path = "support/scripted_lambda.rs"]
mod scripted_lambda;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

fn api_doc(port: u16) -> String {
    format!(
        r##"{{"openapi":"3.0.1","info":{{"title":"alloc","version":"1"}},
        "paths":{{"/items/{{id}}":{{"get":{{
          "parameters":[{{"name":"id","in":"path","required":true,"schema":{{"type":"string"}}}}],
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://127.0.0.1:{port}/items/{{id}}",
            "requestParameters":{{"integration.request.path.id":"method.request.path.id"}}}}}}}},
        "/files/{{proxy+}}":{{"get":{{
          "parameters":[{{"name":"proxy","in":"path","required":true,"schema":{{"type":"string"}}}},
            {{"name":"q","in":"query","schema":{{"type":"string"}}}},
            {{"name":"m","in":"query","schema":{{"type":"string"}}}},
            {{"name":"X-H","in":"header","schema":{{"type":"string"}}}}],
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://127.0.0.1:{port}/static/{{proxy}}",
            "requestParameters":{{"integration.request.path.proxy":"method.request.path.proxy",
              "integration.request.querystring.q":"method.request.querystring.q",
              "integration.request.querystring.h":"method.request.header.X-H",
              "integration.request.querystring.m":"method.request.multivaluequerystring.m",
              "integration.request.header.X-Q":"method.request.querystring.q"}}}}}}}},
        "/pets":{{"post":{{
          "x-amazon-apigateway-request-validator":"body",
          "requestBody":{{"content":{{"application/json":{{"schema":{{"$ref":"#/components/schemas/Pet"}}}}}}}},
          "responses":{{"200":{{"description":"ok"}}}},
          "x-amazon-apigateway-integration":{{"type":"http","httpMethod":"POST",
            "uri":"http://127.0.0.1:{port}/pets","passthroughBehavior":"never",
            "requestTemplates":{{"application/json":"#set($pet = $input.path('$'))\n{{\"petType\": \"$pet.type\", \"price\": $pet.price, \"name\": \"$util.escapeJavaScript($pet.name)\", \"owner\": $input.json('$.owner'), \"tags\": [#foreach($t in $pet.tags)\"$t\"#if($foreach.hasNext),#end#end], \"stage\": \"$context.stage\", \"requestId\": \"$context.requestId\"}}"}},
            "responses":{{"default":{{"statusCode":"200"}}}}}}}}}},
        "/linked":{{"get":{{
          "responses":{{"200":{{"description":"ok"}}}},
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://backend.internal/linked","connectionType":"VPC_LINK","connectionId":"alloclink"}}}}}},
        "/keyed/{{id}}":{{"get":{{
          "security":[{{"api_key":[]}}],
          "parameters":[{{"name":"id","in":"path","required":true,"schema":{{"type":"string"}}}}],
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://127.0.0.1:{port}/items/{{id}}",
            "requestParameters":{{"integration.request.path.id":"method.request.path.id",
              "integration.request.header.X-Key-Id":"context.identity.apiKeyId"}}}}}}}},
        "/cognito":{{"get":{{
          "security":[{{"pool":[]}}],
          "responses":{{"200":{{"description":"ok"}}}},
          "x-amazon-apigateway-integration":{{"type":"mock",
            "requestTemplates":{{"application/json":"{{\"statusCode\": 200}}"}},
            "responses":{{"default":{{"statusCode":"200",
              "responseTemplates":{{"application/json":"{{\"cognito\":true}}"}}}}}}}}}}}},
        "/authz":{{"get":{{
          "security":[{{"tok":[]}}],
          "x-amazon-apigateway-integration":{{"type":"http_proxy","httpMethod":"GET",
            "uri":"http://127.0.0.1:{port}/items/authz",
            "requestParameters":{{"integration.request.header.X-Principal":"context.authorizer.principalId"}}}}}}}},
        "/mock":{{"get":{{
          "responses":{{"200":{{"description":"ok"}}}},
          "x-amazon-apigateway-integration":{{"type":"mock",
            "requestTemplates":{{"application/json":"{{\"statusCode\": 200}}"}},
            "responses":{{"default":{{"statusCode":"200",
              "responseTemplates":{{"application/json":"{{\"mock\":true}}"}}}}}}}}}}}}}},
        "x-amazon-apigateway-request-validators":{{"body":{{"validateRequestBody":true}}}},
        "components":{{"securitySchemes":{{"api_key":{{"type":"apiKey","name":"x-api-key","in":"header"}},
          "pool":{{"type":"apiKey","name":"Authorization","in":"header",
            "x-amazon-apigateway-authtype":"cognito_user_pools",
            "x-amazon-apigateway-authorizer":{{"type":"cognito_user_pools",
              "providerARNs":["arn:aws:cognito-idp:us-east-1:123456789012:userpool/{COGNITO_POOL}"]}}}},
          "tok":{{"type":"apiKey","name":"Authorization","in":"header","x-amazon-apigateway-authtype":"custom",
            "x-amazon-apigateway-authorizer":{{"type":"token","authorizerResultTtlInSeconds":3600,
              "authorizerUri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:authz/invocations"}}}}}},
          "schemas":{{"Pet":{{"type":"object","required":["type","price"],
          "properties":{{"type":{{"type":"string","enum":["dog","cat"]}},"price":{{"type":"number","minimum":0}},
            "name":{{"type":"string","maxLength":64}},"tags":{{"type":"array","items":{{"type":"string"}}}},
            "owner":{{"type":"object","properties":{{"id":{{"type":"integer"}}}}}}}}}}}}}},
        "x-amazon-apigateway-gateway-responses":{{"DEFAULT_4XX":{{
          "responseParameters":{{"gatewayresponse.header.Access-Control-Allow-Origin":"'*'",
            "gatewayresponse.header.X-Agent":"method.request.header.User-Agent"}},
          "responseTemplates":{{"application/json":
            "{{\"message\":$context.error.messageString,\"type\":\"$context.error.responseType\"}}"}}}}}}}}"##
    )
}

/// A Lambda endpoint that answers every Invoke with an Allow on everything, set as the process's
/// Lambda endpoint (with credentials to sign with) before any test reads the AWS environment.
/// Its allocations happen before the measured windows: the authorizer's answer is cached.
fn fake_lambda() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        const REPLY: &str = r#"{"principalId":"alloc-user","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"tier":"gold"}}"#;
        let addr = scripted_lambda::start(|_, _| scripted_lambda::Answer {
            status: 200,
            headers: Vec::new(),
            body: REPLY.into(),
        });
        std::env::set_var("AWS_ENDPOINT_URL_LAMBDA", format!("http://{addr}"));
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDALLOCTEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "alloc-test-secret");
        std::env::set_var("AWS_REGION", "us-east-1");
    });
}

/// The counter is process-wide: the two driver tests must not overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Sends `request` over one keep-alive connection thousands of times; each answer must start
/// with `status`.
fn run_driver(driver: tollgate::settings::DriverChoice, request: &[u8], status: &str) {
    run_api(
        driver,
        "allocapi01",
        request,
        status,
        Default::default(),
        &|_| {},
    )
}

/// `run_driver` with the stage passed through `edit` before it is served.
fn run_driver_edited(
    driver: tollgate::settings::DriverChoice,
    request: &[u8],
    status: &str,
    edit: &dyn Fn(&mut tollgate::deploy::snapshot::StageRuntime),
) {
    run_api(
        driver,
        "allocapi01",
        request,
        status,
        Default::default(),
        edit,
    )
}

fn run_driver_staged(
    driver: tollgate::settings::DriverChoice,
    request: &[u8],
    status: &str,
    stage: serde_json::Map<String, serde_json::Value>,
) {
    run_api(driver, "allocapi01", request, status, stage, &|_| {})
}

/// `api` is the API's id (`cached…` turns the stage cache on); `stage` the stage's `extra`
/// members; `edit` changes the compiled stage before it is served.
fn run_api(
    driver: tollgate::settings::DriverChoice,
    api: &str,
    request: &[u8],
    status: &str,
    stage: serde_json::Map<String, serde_json::Value>,
    edit: &dyn Fn(&mut tollgate::deploy::snapshot::StageRuntime),
) {
    fake_lambda();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let port = fixed_peers::start_backend();
    // Two targets (the same backend twice), so requests to the VPC link alternate between
    // them and each target's pooled connections are reused. The only health probe runs at start.
    let link = format!(
        "[[vpc_links]]\nid = \"alloclink\"\ntargets = [\"127.0.0.1:{port}\", \"localhost:{port}\"]\n\
         health_check = {{ interval_ms = 3600000 }}\n"
    );
    let stage = tollgate::deploy::model::Stage {
        stage_name: "prod".into(),
        deployment_id: "d1".into(),
        extra: stage,
        ..Default::default()
    };
    let workers =
        fixed_peers::start_worker_staged(driver, &[(api, &api_doc(port))], &link, &stage, edit);

    let mut client = TcpStream::connect(workers.listen).unwrap();
    client.set_nodelay(true).unwrap();
    // The first response tells the (constant) response length: Date and request id are fixed width.
    client.write_all(request).unwrap();
    let mut resp = [0u8; 4096];
    let (head, total) = fixed_peers::read_response(&mut client, &mut resp);
    assert!(head.starts_with(status), "{head}");
    if status.ends_with("403") {
        // Rendered through the customised DEFAULT_4XX, not a fixed default body.
        assert!(head.contains("\r\nX-Agent: alloc-test"), "{head}");
        assert!(head.contains("Access-Control-Allow-Origin: *"), "{head}");
    }
    let mut exchange = |n: usize| {
        for _ in 0..n {
            client.write_all(request).unwrap();
            client.read_exact(&mut resp[..total]).unwrap();
        }
    };
    exchange(2_000);
    let backend_before = fixed_peers::BACKEND_REQUESTS.load(std::sync::atomic::Ordering::SeqCst);
    let before = counting_alloc::allocations();
    if std::env::var_os("TOLLGATE_ALLOC_TRACE").is_some() {
        counting_alloc::trace(12);
    }
    exchange(5_000);
    let after = counting_alloc::allocations();
    if api.starts_with("cached") {
        let backend = fixed_peers::BACKEND_REQUESTS.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            backend, backend_before,
            "{driver:?}: cache hits reached the backend"
        );
    }
    assert_eq!(
        after - before,
        0,
        "{driver:?}: {} heap allocations over 5000 requests answered {status}",
        after - before
    );
}

const PROXIED: &[u8] =
    b"GET /prod/items/42?x=1 HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";
/// An `apiKeyRequired` route: the key checked against the published table, its id mapped to a
/// backend header.
const KEYED: &[u8] =
    b"GET /prod/keyed/7 HTTP/1.1\r\nHost: gw.local\r\nx-api-key: alloc-test-key-0123456789\r\n\r\n";
/// A flood of made-up keys: each refused with 403 (the refusal logged at most once a second),
/// with no allocation and nothing kept.
const UNKNOWN_KEY: &[u8] =
    b"GET /prod/keyed/7 HTTP/1.1\r\nHost: gw.local\r\nx-api-key: made-up-key-00000000000\r\nUser-Agent: alloc-test\r\n\r\n";
const MOCK: &[u8] = b"GET /prod/mock HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";
/// No such resource: 403 Missing Authentication Token, on a kept-alive connection.
const UNROUTED: &[u8] =
    b"GET /prod/nothing/here HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

use tollgate::settings::DriverChoice::{Epoll, Uring};

/// A CUSTOM method whose TOKEN authorizer's answer is cached (TTL 3600): authorized from the
/// per-core cache, the principal mapped into a backend header.
const AUTHORIZED: &[u8] =
    b"GET /prod/authz HTTP/1.1\r\nHost: gw.local\r\nAuthorization: alloc-token\r\n\r\n";

#[test]
fn stage_cache_hits_do_not_allocate_io_uring() {
    run_api(
        Uring,
        "cachedapi1",
        PROXIED,
        "HTTP/1.1 200",
        Default::default(),
        &|_| {},
    );
}

#[test]
fn stage_cache_hits_do_not_allocate_epoll() {
    run_api(
        Epoll,
        "cachedapi1",
        PROXIED,
        "HTTP/1.1 200",
        Default::default(),
        &|_| {},
    );
}

#[test]
fn cached_authorizer_requests_do_not_allocate_io_uring() {
    run_driver(Uring, AUTHORIZED, "HTTP/1.1 200");
}

#[test]
fn cached_authorizer_requests_do_not_allocate_epoll() {
    run_driver(Epoll, AUTHORIZED, "HTTP/1.1 200");
}

#[test]
fn proxied_requests_do_not_allocate_io_uring() {
    run_driver(Uring, PROXIED, "HTTP/1.1 200");
}

#[test]
fn proxied_requests_do_not_allocate_epoll() {
    run_driver(Epoll, PROXIED, "HTTP/1.1 200");
}

#[test]
fn keyed_requests_do_not_allocate_io_uring() {
    run_driver(Uring, KEYED, "HTTP/1.1 200");
}

#[test]
fn keyed_requests_do_not_allocate_epoll() {
    run_driver(Epoll, KEYED, "HTTP/1.1 200");
}

#[test]
fn unknown_keys_do_not_allocate_io_uring() {
    run_driver(Uring, UNKNOWN_KEY, "HTTP/1.1 403");
}

#[test]
fn unknown_keys_do_not_allocate_epoll() {
    run_driver(Epoll, UNKNOWN_KEY, "HTTP/1.1 403");
}

/// An HTTP_PROXY route over a VPC link with two targets (round robin, a pool per target).
const LINKED: &[u8] =
    b"GET /prod/linked HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

#[test]
fn vpc_link_requests_do_not_allocate_io_uring() {
    run_driver(Uring, LINKED, "HTTP/1.1 200");
}

#[test]
fn vpc_link_requests_do_not_allocate_epoll() {
    run_driver(Epoll, LINKED, "HTTP/1.1 200");
}

/// An HTTP_PROXY route whose greedy path, query and header mappings all decode and re-encode.
const MAPPED: &[u8] =
    b"GET /prod/files/a%20b/c%2Fd?q=x%26y+z&m=1&m=2 HTTP/1.1\r\nHost: gw.local\r\nX-H: 1&2\r\n\r\n";

#[test]
fn mapped_requests_do_not_allocate_io_uring() {
    run_driver(Uring, MAPPED, "HTTP/1.1 200");
}

#[test]
fn mapped_requests_do_not_allocate_epoll() {
    run_driver(Epoll, MAPPED, "HTTP/1.1 200");
}

/// A JSON body validated against a model and reshaped by a request template (`$input.path`,
/// `$input.json`, `#foreach`, `$util`, `$context`) into an HTTP integration request: the body is
/// parsed once into the core's pooled tape and every value is read in place.
const TEMPLATED: &[u8] = b"POST /prod/pets HTTP/1.1\r\nHost: gw.local\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":\"dog\",\"price\":249.99,\"name\":\"Rex\",\"tags\":[\"good\",\"small\"],\"owner\":{\"id\":7,\"email\":\"a@x.io\"}}";

#[test]
fn templated_requests_do_not_allocate_io_uring() {
    run_driver(Uring, TEMPLATED, "HTTP/1.1 200");
}

#[test]
fn templated_requests_do_not_allocate_epoll() {
    run_driver(Epoll, TEMPLATED, "HTTP/1.1 200");
}

#[test]
fn mock_requests_do_not_allocate_io_uring() {
    run_driver(Uring, MOCK, "HTTP/1.1 200");
}

#[test]
fn mock_requests_do_not_allocate_epoll() {
    run_driver(Epoll, MOCK, "HTTP/1.1 200");
}

#[test]
fn gateway_errors_do_not_allocate_io_uring() {
    run_driver(Uring, UNROUTED, "HTTP/1.1 403");
}

#[test]
fn gateway_errors_do_not_allocate_epoll() {
    run_driver(Epoll, UNROUTED, "HTTP/1.1 403");
}

const COGNITO_POOL: &str = "us-east-1_allocfree";

/// A Cognito ID token for `COGNITO_POOL`, signed with the test key, whose JWKS the pool is given
/// directly (the key refresher does not run in this process): the first request verifies it
/// (RSA), every later one is a hit in the core's token cache. (The response template does not
/// read `$context.authorizer`: rendering it builds a map of the claims per request, which is
/// the template consumer's cost, not the authorizer's.)
fn cognito_request() -> Vec<u8> {
    use tollgate::aws::{jwks, jwt};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let pool = jwks::pool("us-east-1", COGNITO_POOL);
    pool.set(jwks::KeyState {
        keys: jwt::parse_jwks(include_bytes!("../src/aws/testdata/jwks.json")).unwrap(),
        fetched: now,
        attempted: now,
        generation: 1,
        ..jwks::KeyState::default()
    });
    // The registry holds pools weakly: this one must outlive the deployment compiled below.
    std::mem::forget(pool);
    let b64 = |v: serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let signed = format!(
        "{}.{}",
        b64(serde_json::json!({"alg": "RS256", "kid": "test-key-1"})),
        b64(serde_json::json!({
            "sub": "alloc-user", "aud": "client", "token_use": "id",
            "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{COGNITO_POOL}"),
            "cognito:username": "alloc", "iat": now, "exp": now + 3600,
        }))
    );
    let sig = jsonwebtoken::crypto::sign(
        signed.as_bytes(),
        &jsonwebtoken::EncodingKey::from_rsa_der(include_bytes!(
            "../src/aws/testdata/jwt_rsa_private.der"
        )),
        jsonwebtoken::Algorithm::RS256,
    )
    .unwrap();
    format!(
        "GET /prod/cognito HTTP/1.1\r\nHost: gw.local\r\nAuthorization: Bearer {signed}.{sig}\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn cached_cognito_tokens_do_not_allocate_io_uring() {
    run_driver(Uring, &cognito_request(), "HTTP/1.1 200");
}

#[test]
fn cached_cognito_tokens_do_not_allocate_epoll() {
    run_driver(Epoll, &cognito_request(), "HTTP/1.1 200");
}

static LOG_DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Every request measured so far has its line in the file, or counted as dropped.
fn assert_logged(at_least: usize) {
    // Reading the file allocates: not while another case is in its measured window.
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let file = LOG_DIR.get().unwrap().join("logs/alloc.log");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let lines = std::fs::read(&file)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0);
        let dropped = tollgate::runtime::access_log::dropped_total() as usize;
        if lines + dropped >= at_least {
            assert!(lines > 0);
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{lines} lines written, {dropped} dropped, of {at_least}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The stage with access logging on (the console's JSON format plus the latency, error,
/// authorizer and integration variables), written by the log writer thread to a file in a temporary folder.
fn access_logged() -> serde_json::Map<String, serde_json::Value> {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("tollgate-alloc-log-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        tollgate::runtime::access_log::install(&Default::default(), &d).unwrap();
        d
    });
    LOG_DIR.get_or_init(|| dir.clone());
    let format = r#"{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength", "latency":$context.responseLatency, "integrationLatency":"$context.integrationLatency", "ua":"$context.identity.userAgent", "error":$context.error.messageString, "authorizer":"$context.authorizer.status $context.authorizer.latency $context.authorizer.integrationStatus $context.authorizer.integrationLatency $context.authorizer.requestId $context.authorizer.error", "authenticate":"$context.authenticate.status $context.authenticate.latency", "authorize":"$context.authorize.status $context.authorize.latency $context.authorize.error", "integrationError":"$context.integration.error", "integrationRequestId":"$context.integration.requestId", "validation":"$context.error.validationErrorString", "webacl":"$context.webaclArn", "endpointType":"$context.endpointType" }"#;
    let mut m = serde_json::Map::new();
    m.insert(
        "accessLogSettings".into(),
        serde_json::json!({
            "format": format,
            "destinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:alloc"
        }),
    );
    m
}

#[test]
fn access_logged_requests_do_not_allocate_io_uring() {
    run_driver_staged(Uring, PROXIED, "HTTP/1.1 200", access_logged());
    assert_logged(7_001);
}

#[test]
fn access_logged_requests_do_not_allocate_epoll() {
    run_driver_staged(Epoll, PROXIED, "HTTP/1.1 200", access_logged());
    assert_logged(7_001);
}

/// An unrouted request (403) on the logged stage: logged there too.
#[test]
fn unrouted_logged_requests_do_not_allocate_io_uring() {
    run_driver_staged(Uring, UNROUTED, "HTTP/1.1 403", access_logged());
    assert_logged(7_001);
}

#[test]
fn unrouted_logged_requests_do_not_allocate_epoll() {
    run_driver_staged(Epoll, UNROUTED, "HTTP/1.1 403", access_logged());
    assert_logged(7_001);
}

/// The authorizer's steps timed and logged from the cached answer.
#[test]
fn access_logged_authorized_requests_do_not_allocate_io_uring() {
    run_driver_staged(Uring, AUTHORIZED, "HTTP/1.1 200", access_logged());
    assert_logged(7_001);
}

#[test]
fn access_logged_authorized_requests_do_not_allocate_epoll() {
    run_driver_staged(Epoll, AUTHORIZED, "HTTP/1.1 200", access_logged());
    assert_logged(7_001);
}

/// The ten-rule web ACL (`bench/wrk/waf_setup.py` builds the same shape through the admin API).
fn with_waf(stage: &mut tollgate::deploy::snapshot::StageRuntime) {
    use tollgate::deploy::waf::{compile, Catalog};
    let ip = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/bad/ip1";
    let re = "arn:aws:wafv2:us-east-1:000000000000:regional/regexpatternset/paths/re1";
    let mut catalog = Catalog::default();
    catalog.add_ip_set(
        ip,
        Catalog::parse_addresses("IPV4", &["203.0.113.0/24".into(), "198.51.100.0/24".into()])
            .unwrap(),
    );
    catalog.add_regex_set(
        re,
        Catalog::compile_patterns(&["^/prod/admin".into(), "(?i)wp-login".into()]).unwrap(),
    );
    let tx = |t: &str| serde_json::json!([{"Priority": 0, "Type": t}]);
    let vis = serde_json::json!({"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"});
    let statements = [
        serde_json::json!({"IPSetReferenceStatement": {"ARN": ip}}),
        serde_json::json!({"ByteMatchStatement": {"SearchString": "YmFkYm90", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
            "TextTransformations": tx("LOWERCASE"), "PositionalConstraint": "CONTAINS"}}),
        serde_json::json!({"RegexMatchStatement": {"RegexString": "\\.(php|asp)$", "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx("NONE")}}),
        serde_json::json!({"RegexPatternSetReferenceStatement": {"ARN": re, "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx("NONE")}}),
        serde_json::json!({"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "GT", "Size": 2048, "TextTransformations": tx("NONE")}}),
        // SQL injection through the patched libinjectionrs (vendor/libinjectionrs): its keyword
        // lookups, word merges and fingerprint check run on the stack.
        serde_json::json!({"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": tx("URL_DECODE")}}),
        serde_json::json!({"XssMatchStatement": {"FieldToMatch": {"QueryString": {}}, "TextTransformations": tx("URL_DECODE")}}),
        serde_json::json!({"RateBasedStatement": {"Limit": 2000000000, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}}),
        serde_json::json!({"AndStatement": {"Statements": [
            {"ByteMatchStatement": {"SearchString": "REVMRVRF", "FieldToMatch": {"Method": {}}, "TextTransformations": tx("NONE"), "PositionalConstraint": "EXACTLY"}},
            {"NotStatement": {"Statement": {"ByteMatchStatement": {"SearchString": "L3Byb2QvaXRlbXM=", "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx("NONE"), "PositionalConstraint": "STARTS_WITH"}}}}]}}),
        serde_json::json!({"ByteMatchStatement": {"SearchString": "Lw==", "FieldToMatch": {"UriPath": {}}, "TextTransformations": tx("NONE"), "PositionalConstraint": "STARTS_WITH"}}),
    ];
    let rules: Vec<_> = statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            // The last rule matches everything and only counts.
            let action = if i == 9 { serde_json::json!({"Count": {}}) } else { serde_json::json!({"Block": {}}) };
            serde_json::json!({"Name": format!("r{i}"), "Priority": i, "Action": action, "Statement": s, "VisibilityConfig": vis})
        })
        .collect();
    let acl = serde_json::json!({"Id": "allocacl", "ARN": "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/alloc/allocacl",
        "DefaultAction": {"Allow": {}}, "Rules": rules});
    stage.waf = Some(std::sync::Arc::new(compile(&acl, &catalog).unwrap()));
}

/// A request through the ten-rule web ACL, let through to the HTTP_PROXY route.
const WAF_ALLOWED: &[u8] = b"GET /prod/items/42?x=1&name=alice HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";
/// One its XSS rule blocks: 403 WAF_FILTERED through the customised DEFAULT_4XX.
const WAF_BLOCKED: &[u8] = b"GET /prod/items/42?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

#[test]
fn waf_inspected_requests_do_not_allocate_io_uring() {
    run_driver_edited(Uring, WAF_ALLOWED, "HTTP/1.1 200", &with_waf);
}

#[test]
fn waf_inspected_requests_do_not_allocate_epoll() {
    run_driver_edited(Epoll, WAF_ALLOWED, "HTTP/1.1 200", &with_waf);
}

#[test]
fn waf_blocked_requests_do_not_allocate_io_uring() {
    run_driver_edited(Uring, WAF_BLOCKED, "HTTP/1.1 403", &with_waf);
}

#[test]
fn waf_blocked_requests_do_not_allocate_epoll() {
    run_driver_edited(Epoll, WAF_BLOCKED, "HTTP/1.1 403", &with_waf);
}

/// One its SQL injection rule blocks (a `UNION ALL` the tokenizer folds into one keyword).
const WAF_SQLI: &[u8] = b"GET /prod/items/42?id=1%27%20union%20all%20select%20null%2Cpassword%20from%20users--&name=bob HTTP/1.1\r\nHost: gw.local\r\nUser-Agent: alloc-test\r\n\r\n";

#[test]
fn waf_sqli_blocked_requests_do_not_allocate_io_uring() {
    run_driver_edited(Uring, WAF_SQLI, "HTTP/1.1 403", &with_waf);
}

#[test]
fn waf_sqli_blocked_requests_do_not_allocate_epoll() {
    run_driver_edited(Epoll, WAF_SQLI, "HTTP/1.1 403", &with_waf);
}
