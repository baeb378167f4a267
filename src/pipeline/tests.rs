//! The pipeline without sockets: each request goes through `local::serve_one` (route, the phases,
//! respond, the relay) against an in-memory backend, and each phase's continue and respond paths
//! are checked on the bytes a client would receive.

use super::local::serve_one;
use crate::core::metrics::MetricsHub;
use crate::core::{Core, WorkerConfig};
use crate::deploy::compile::{build_snapshot, compile_stage, UpstreamInterner};
use crate::deploy::import::{import_document, ImportOptions};
use crate::deploy::model::Stage;
use crate::deploy::publish::SnapshotCell;
use crate::deploy::snapshot::ApiRuntime;
use crate::deploy::Snapshot;
use crate::http::Limits;
use crate::net::stream::{AtEnd, MemoryStream};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

const API: &str = r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{
 "/mock":{"get":{
   "responses":{"200":{"description":"ok","headers":{"X-Mock":{"schema":{"type":"string"}}}}},
   "x-amazon-apigateway-integration":{"type":"mock",
     "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
     "responses":{"default":{"statusCode":"200",
       "responseParameters":{"method.response.header.X-Mock":"'yes'"},
       "responseTemplates":{"application/json":"{\"mock\":\"ok\"}"}}}}}},
 "/mapped":{"post":{
   "responses":{"200":{"description":"ok","headers":{"X-Up":{"schema":{"type":"string"}},
       "Content-Type":{"schema":{"type":"string"}}}},"404":{"description":"nf"}},
   "x-amazon-apigateway-integration":{"type":"http","httpMethod":"PUT",
     "uri":"http://backend.test:8080/put","passthroughBehavior":"never",
     "requestTemplates":{"application/json":"$input.body"},
     "responses":{"404":{"statusCode":"404","responseTemplates":{"application/json":"{\"missing\":true}"}},
       "default":{"statusCode":"200","responseParameters":{
         "method.response.header.X-Up":"integration.response.header.X-Backend",
         "method.response.header.Content-Type":"'text/plain'"}}}}}},
 "/fn/{id}":{"x-amazon-apigateway-any-method":{
   "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
   "x-amazon-apigateway-integration":{"type":"aws_proxy","httpMethod":"POST",
     "uri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"}}},
 "/calc":{"post":{
   "responses":{"200":{"description":"ok"},"400":{"description":"bad"}},
   "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST",
     "uri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:calc/invocations",
     "passthroughBehavior":"when_no_templates",
     "requestTemplates":{"application/json":"{\"a\": $input.json('$.a'), \"b\": $input.json('$.b'), \"op\": \"$input.params('op')\"}"},
     "responses":{
       "default":{"statusCode":"200","responseTemplates":{"application/json":"{\"result\": $input.json('$.sum')}"}},
       ".*invalid.*":{"statusCode":"400","responseTemplates":{"application/json":"{\"error\": \"$input.path('$.errorMessage')\"}"}}}}}},
 "/sqs":{"post":{
   "responses":{"200":{"description":"ok"}},
   "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST",
     "uri":"arn:aws:apigateway:eu-west-1:sqs:action/SendMessage",
     "requestParameters":{"integration.request.header.Content-Type":"'application/x-www-form-urlencoded'",
       "integration.request.querystring.QueueUrl":"'https://sqs.example/1/q'"},
     "requestTemplates":{"application/json":"MessageBody=$util.urlEncode($input.body)"},
     "responses":{"default":{"statusCode":"200"}}}}},
 "/sqs-role":{"post":{
   "responses":{"200":{"description":"ok"}},
   "x-amazon-apigateway-integration":{"type":"aws","httpMethod":"POST","timeoutInMillis":300,
     "uri":"arn:aws:apigateway:eu-west-1:sqs:action/SendMessage",
     "credentials":"arn:aws:iam::123456789012:role/pipeline-test",
     "requestTemplates":{"application/json":"MessageBody=x"},
     "responses":{"default":{"statusCode":"200"}}}}},
 "/keyed":{"get":{
   "security":[{"api_key":[]}],
   "responses":{"200":{"description":"ok"}},
   "x-amazon-apigateway-integration":{"type":"mock",
     "requestTemplates":{"application/json":"{\"statusCode\": 200}"},
     "responses":{"default":{"statusCode":"200",
       "responseTemplates":{"application/json":"{\"id\":\"$context.identity.apiKeyId\",\"key\":\"$context.identity.apiKey\"}"}}}}}},
 "/proxy/{p+}":{"x-amazon-apigateway-any-method":{
   "parameters":[{"name":"p","in":"path","required":true,"schema":{"type":"string"}}],
   "x-amazon-apigateway-integration":{"type":"http_proxy","httpMethod":"ANY",
     "uri":"http://backend.test:8080/{p}","timeoutInMillis":200,
     "requestParameters":{"integration.request.path.p":"method.request.path.p",
       "integration.request.header.X-Trace":"'gw'"}}}}
},
 "components":{"securitySchemes":{"api_key":{"type":"apiKey","name":"x-api-key","in":"header"}}}
}"#;

/// A core over the test API whose backend connections come from `backends`, in order.
pub(crate) struct Harness {
    hub: Arc<MetricsHub>,
    cell: Arc<SnapshotCell>,
    core: Core,
    snap: Arc<Snapshot>,
    backends: Rc<RefCell<VecDeque<MemoryStream>>>,
    connects: Rc<Cell<usize>>,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(API)
    }

    /// A core over `doc` (an OpenAPI document) deployed as `testapi001` to `prod`.
    pub(crate) fn with(doc: &str) -> Harness {
        let mut api = import_document(doc.as_bytes(), &ImportOptions::default()).unwrap();
        api.id = "testapi001".into();
        let stage = Stage {
            stage_name: "prod".into(),
            deployment_id: "d1".into(),
            ..Stage::default()
        };
        let mut interner = UpstreamInterner::default();
        let compiled = compile_stage(&api, &stage, &mut interner).unwrap();
        let runtime = ApiRuntime {
            endpoint_type: crate::deploy::snapshot::endpoint_type(
                api.endpoint_configuration.as_ref(),
            ),
            id: api.id.as_str().into(),
            name: api.name.as_str().into(),
            stages: vec![compiled],
        };
        let cell = Arc::new(SnapshotCell::default());
        cell.publish(build_snapshot(vec![runtime], &interner));
        let config = WorkerConfig {
            limits: Limits::default(),
            header_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            pool_idle_per_upstream: 4,
            workers: 1,
        };
        let hub = Arc::new(MetricsHub::default());
        let draining = Arc::new(AtomicBool::new(false));
        let addrs = Arc::new(crate::core::addrs::AddrBook::unserved());
        let mut core = Core::new(0, config, cell.clone(), hub.new_core(), draining, addrs);
        let backends: Rc<RefCell<VecDeque<MemoryStream>>> = Rc::default();
        let connects: Rc<Cell<usize>> = Rc::default();
        let (queue, count) = (backends.clone(), connects.clone());
        core.upstream.use_fake_backend(Rc::new(move |_| {
            count.set(count.get() + 1);
            queue
                .borrow_mut()
                .pop_front()
                .ok_or_else(|| std::io::ErrorKind::ConnectionRefused.into())
        }));
        let snap = core.current();
        Harness {
            hub,
            cell,
            core,
            snap,
            backends,
            connects,
        }
    }

    /// Queues a backend connection answering `response`; returns what the gateway writes to it.
    pub(crate) fn backend(&self, stream: MemoryStream) -> Rc<RefCell<Vec<u8>>> {
        let written = stream.written();
        self.backends.borrow_mut().push_back(stream);
        written
    }

    pub(crate) fn call(&self, request: &str) -> Answer {
        let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()
            .unwrap();
        let peer = "192.0.2.7".parse().unwrap();
        let raw = rt
            .block_on(serve_one(&self.core, &self.snap, request.as_bytes(), peer))
            .unwrap();
        Answer::parse(&raw)
    }
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    fn parse(raw: &[u8]) -> Answer {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8(raw[..end].to_vec()).unwrap();
        let status = head[9..12].parse().unwrap();
        let mut body = raw[end..].to_vec();
        let mut a = Answer {
            status,
            head,
            body: Vec::new(),
        };
        if a.header("transfer-encoding") == Some("chunked") {
            let mut out = Vec::new();
            let mut rest = &body[..];
            loop {
                let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
                let size = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap(), 16);
                let size = size.unwrap();
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
                rest = &rest[nl + 4 + size..];
            }
            body = out;
        }
        a.body = body;
        a
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

#[test]
fn route_miss_is_403_missing_authentication_token() {
    let h = Harness::new();
    for path in ["/prod/nope", "/dev/mock", "/", "/prod"] {
        let a = h.call(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_eq!(a.status, 403, "{path}");
        assert_eq!(
            a.header("x-amzn-ErrorType"),
            Some("MissingAuthenticationTokenException")
        );
        assert!(a.text().contains("Missing Authentication Token"));
    }
    // The method is part of the route: POST /mock is not declared.
    let a = h.call("POST /prod/mock HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(a.status, 403);
    assert_eq!(h.connects.get(), 0);
}

#[test]
fn mock_answers_from_its_integration_response_without_a_backend() {
    let h = Harness::new();
    let a = h.call("GET /prod/mock HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.text(), r#"{"mock":"ok"}"#);
    assert_eq!(a.header("X-Mock"), Some("yes"));
    assert_eq!(a.header("Content-Type"), Some("application/json"));
    assert_eq!(a.header("x-amzn-RequestId").map(str::len), Some(36));
    assert_eq!(h.connects.get(), 0);
}

#[test]
fn the_core_clock_drives_the_date_header() {
    let h = Harness::new();
    h.core.clock.set(Instant::now(), 784_111_777_000);
    let a = h.call("GET /prod/mock HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.header("Date"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
}

#[test]
fn http_maps_the_backend_response_and_pools_the_connection() {
    let h = Harness::new();
    let sent = h.backend(
        MemoryStream::new(
            "HTTP/1.1 200 OK\r\nX-Backend: b1\r\nTransfer-Encoding: chunked\r\n\r\n\
             3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
            AtEnd::Stall,
        )
        .read_size(9),
    );
    let a = h.call(
        "POST /prod/mapped HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 7\r\n\r\n{\"a\":1}",
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.text(), "hello");
    assert_eq!(a.header("X-Up"), Some("b1"));
    assert_eq!(a.header("Content-Type"), Some("text/plain"));
    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    assert!(sent.starts_with("PUT /put HTTP/1.1\r\n"), "{sent}");
    assert!(
        sent.contains("User-Agent: AmazonAPIGateway_testapi001\r\n"),
        "{sent}"
    );
    assert!(sent.ends_with("\r\n\r\n{\"a\":1}"), "{sent}");
    assert_eq!(
        h.core.upstream.idle_count(),
        1,
        "the drained connection is pooled"
    );
}

#[test]
fn http_selects_the_integration_response_by_backend_status() {
    let h = Harness::new();
    h.backend(MemoryStream::new(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
        AtEnd::Stall,
    ));
    let a = h.call(
        "POST /prod/mapped HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\n\r\n{}",
    );
    assert_eq!(a.status, 404);
    assert_eq!(a.text(), r#"{"missing":true}"#);
    assert_eq!(a.header("Content-Type"), Some("application/json"));
}

#[test]
fn passthrough_never_refuses_an_unmapped_content_type_with_415() {
    let h = Harness::new();
    let a = h.call(
        "POST /prod/mapped HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n\
         Content-Length: 3\r\n\r\n<a/>",
    );
    assert_eq!(a.status, 415);
    assert_eq!(
        a.header("x-amzn-ErrorType"),
        Some("UnsupportedMediaTypeException")
    );
    assert_eq!(h.connects.get(), 0, "refused before the integration");
}

#[test]
fn http_proxy_streams_the_backend_head_and_body() {
    let h = Harness::new();
    let sent = h.backend(
        MemoryStream::new(
            "HTTP/1.1 200 OK\r\nServer: be\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            AtEnd::Stall,
        )
        .read_size(7),
    );
    let a = h.call("GET /prod/proxy/a/b?x=1 HTTP/1.1\r\nHost: x\r\nX-Client: c\r\n\r\n");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(a.text(), "hello world");
    assert_eq!(a.header("x-amzn-Remapped-Server"), Some("be"));
    assert_eq!(a.header("X-A"), Some("1"));
    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    assert!(sent.starts_with("GET /a/b?x=1 HTTP/1.1\r\n"), "{sent}");
    assert!(sent.contains("X-Client: c\r\n") && sent.contains("X-Forwarded-For: 192.0.2.7\r\n"));
    assert_eq!(h.core.upstream.idle_count(), 1);

    // An HTTP/1.0 client gets the body decoded, ended by the close.
    let h10 = Harness::new();
    h10.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        AtEnd::Stall,
    ));
    let a = h10.call("GET /prod/proxy/z HTTP/1.0\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("Transfer-Encoding"), None);
    assert_eq!(a.header("Connection"), Some("close"));
    assert_eq!(a.text(), "ok");
}

#[test]
fn http_proxy_truncation_stays_visible_and_the_connection_is_not_reused() {
    let h = Harness::new();
    h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd",
        AtEnd::Eof,
    ));
    let a = h.call("GET /prod/proxy/t HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("Content-Length"), Some("10"));
    assert_eq!(a.text(), "abcd");
    assert_eq!(h.core.upstream.idle_count(), 0);

    // Bytes the backend sent beyond the response make its connection unfit for reuse.
    let h = Harness::new();
    h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
        AtEnd::Stall,
    ));
    let a = h.call("GET /prod/proxy/t HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.text(), "ok");
    assert_eq!(h.core.upstream.idle_count(), 0);
}

#[test]
fn backend_failures_are_502() {
    let h = Harness::new();
    // No backend: the connection is refused.
    let a = h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 502);
    assert_eq!(a.text(), r#"{"message":"Internal server error"}"#);
    for response in [
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        // A 1xx other than 100 was never asked for (the gateway sends no Upgrade or Expect).
        "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "",
    ] {
        h.backend(MemoryStream::new(response, AtEnd::Eof));
        let a = h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(a.status, 502, "{response:?}");
    }
    assert_eq!(h.core.upstream.idle_count(), 0);
}

#[test]
fn client_headers_cannot_shadow_gateway_set_ones() {
    let h = Harness::new();
    let sent = h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        AtEnd::Stall,
    ));
    let a = h.call(
        "GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\nX_Forwarded_For: 10.0.0.1\r\n\
         x_forwarded_PROTO: https\r\nX_TRACE: client\r\nx-trace: client2\r\n\
         Transfer_Encoding: chunked\r\nContent_Length: 5\r\nHOST_: h\r\nProxy_Connection: a\r\n\
         X_Custom: kept\r\nX-Under_Score: kept2\r\n\r\n",
    );
    assert_eq!(a.status, 200);
    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    let names: Vec<&str> = sent
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(n, _)| n))
        .collect();
    assert_eq!(
        names,
        [
            "Host",
            "HOST_",
            "X_Custom",
            "X-Under_Score",
            "X-Trace",
            "X-Forwarded-For",
            "X-Forwarded-Proto"
        ],
        "{sent}"
    );
    assert!(sent.contains("X-Trace: gw\r\n") && sent.contains("X-Forwarded-For: 192.0.2.7\r\n"));
}

#[test]
fn an_integration_head_over_the_limit_is_413_and_nothing_is_sent() {
    let mut h = Harness::new();
    h.core.config.limits.max_integration_head = 200;
    // What the gateway adds around X-Big for this request.
    let frame = "GET /x HTTP/1.1\r\nHost: backend.test:8080\r\nX-Big: \r\nX-Trace: gw\r\n\
                 X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n\r\n"
        .len();
    let request = |n: usize| {
        format!(
            "GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "b".repeat(n)
        )
    };
    let a = h.call(&request(200 - frame + 1));
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(a.text(), r#"{"message":"Request Too Long"}"#);
    assert_eq!(
        a.header("Connection"),
        None,
        "the client connection stays usable"
    );
    assert_eq!(h.connects.get(), 0, "the backend sees nothing");

    let sent = h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        AtEnd::Stall,
    ));
    let a = h.call(&request(200 - frame));
    assert_eq!(a.status, 200);
    assert_eq!(sent.borrow().len(), 200, "exactly at the limit passes");
}

#[test]
fn a_backend_100_continue_is_skipped_as_interim() {
    let h = Harness::new();
    h.backend(MemoryStream::new(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        AtEnd::Stall,
    ));
    let a = h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!((a.status, a.text()), (200, "ok"));
    assert_eq!(h.core.upstream.idle_count(), 1);
}

#[test]
fn a_silent_backend_is_504_after_the_integration_timeout() {
    let h = Harness::new();
    h.backend(MemoryStream::new("", AtEnd::Stall));
    let started = Instant::now();
    let a = h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 504);
    assert_eq!(a.text(), r#"{"message":"Endpoint request timed out"}"#);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn a_pooled_connection_times_out_on_its_next_exchange() {
    // The connection's timer is re-armed per exchange: the second exchange on the pooled
    // connection (on a new runtime here) still ends at its own deadline.
    let h = Harness::new();
    h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        AtEnd::Stall,
    ));
    let a = h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 200);
    assert_eq!(h.core.upstream.idle_count(), 1);
    let started = Instant::now();
    let a = h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 504);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(h.connects.get(), 1);
}

#[test]
fn metrics_count_each_routed_request_once_its_response_is_out() {
    let h = Harness::new();
    h.call("GET /prod/mock HTTP/1.1\r\nHost: x\r\n\r\n");
    h.call("GET /prod/mock HTTP/1.1\r\nHost: x\r\n\r\n");
    h.call("GET /prod/proxy/x HTTP/1.1\r\nHost: x\r\n\r\n");
    h.call("GET /prod/nope HTTP/1.1\r\nHost: x\r\n\r\n");
    h.core.metrics.publish();
    let text = h.hub.render();
    let series = |name: &str, resource: &str, method: &str| {
        let key = format!("resource=\"{resource}\",method=\"{method}\"}}");
        text.lines()
            .find(|l| l.starts_with(name) && l.contains(&key))
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_string)
    };
    assert_eq!(
        series("tollgate_count{", "/mock", "GET").as_deref(),
        Some("2"),
        "{text}"
    );
    assert_eq!(
        series("tollgate_count{", "/proxy/{p+}", "ANY").as_deref(),
        Some("1")
    );
    assert_eq!(
        series("tollgate_5xxerror{", "/proxy/{p+}", "ANY").as_deref(),
        Some("1")
    );
}

/// The values the phases hand on by value stay small: a move of more than 128 bytes is a
/// `memcpy` call, and a request makes a dozen such moves (issue 6's per-request budget).
#[test]
fn values_handed_between_phases_stay_small() {
    use std::mem::size_of;
    let sizes = [
        (
            "BodyStream",
            size_of::<crate::net::upstream::BodyStream>(),
            64,
        ),
        ("Relay", size_of::<crate::net::relay::Relay>(), 128),
        (
            "IntegrationResponse",
            size_of::<super::IntegrationResponse>(),
            128,
        ),
        ("Outcome", size_of::<super::Outcome>(), 128),
    ];
    for (name, size, max) in sizes {
        eprintln!("{name}: {size} bytes");
        assert!(size <= max, "{name} is {size} bytes, over {max}");
    }
}

/// The Invoke response carrying `reply` (a Lambda proxy reply's JSON), with extra head lines.
pub(crate) fn invoke_response(status: &str, extra: &str, reply: &str) -> MemoryStream {
    MemoryStream::new(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{reply}",
            reply.len()
        ),
        AtEnd::Stall,
    )
}

#[test]
fn lambda_proxy_sends_the_event_signed_and_answers_with_the_reply() {
    let h = Harness::new();
    let sent = h.backend(invoke_response(
        "200 OK",
        "",
        r#"{"statusCode":201,"headers":{"X-One":"1","Content-Type":"text/plain","Content-Length":"99"},"multiValueHeaders":{"X-Many":["a","b"],"X-One":["m"]},"body":"made","isBase64Encoded":false}"#,
    ));
    let a = h.call(
        "POST /prod/fn/a%20b?q=1&q=2&e=x%26y HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: t/1\r\nX-Dup: 1\r\nx-dup: 2\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"k\":\"v\"}",
    );
    assert_eq!(a.status, 201, "{}", a.text());
    assert_eq!(a.text(), "made");
    assert_eq!(a.header("Content-Type"), Some("text/plain"));
    assert_eq!(a.header("Content-Length"), Some("4"));
    assert!(a.head.contains("X-Many: a\r\nX-Many: b\r\n"), "{}", a.head);
    // A name in both lists keeps only its multi-value values.
    assert!(
        a.head.contains("X-One: m\r\n") && !a.head.contains("X-One: 1"),
        "{}",
        a.head
    );

    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    let (head, body) = sent.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{head}"
    );
    assert!(
        head.contains("/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature="),
        "{head}"
    );
    let e: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(e["resource"], "/fn/{id}");
    assert_eq!(e["path"], "/fn/a%20b");
    assert_eq!(e["httpMethod"], "POST");
    assert_eq!(e["headers"]["X-Dup"], "2");
    assert_eq!(
        e["multiValueHeaders"]["X-Dup"],
        serde_json::json!(["1", "2"])
    );
    assert_eq!(e["headers"]["User-Agent"], "t/1");
    assert_eq!(
        e["queryStringParameters"],
        serde_json::json!({"q": "2", "e": "x&y"})
    );
    assert_eq!(
        e["multiValueQueryStringParameters"]["q"],
        serde_json::json!(["1", "2"])
    );
    assert_eq!(e["pathParameters"], serde_json::json!({"id": "a b"}));
    assert_eq!(e["stageVariables"], serde_json::Value::Null);
    assert_eq!(e["body"], "{\"k\":\"v\"}");
    assert_eq!(e["isBase64Encoded"], false);
    let rc = &e["requestContext"];
    assert_eq!(rc["stage"], "prod");
    assert_eq!(rc["path"], "/prod/fn/a%20b");
    assert_eq!(rc["resourcePath"], "/fn/{id}");
    assert_eq!(rc["apiId"], "testapi001");
    assert_eq!(rc["deploymentId"], "d1");
    assert_eq!(rc["identity"]["sourceIp"], "192.0.2.7");
    assert_eq!(rc["identity"]["userAgent"], "t/1");
    assert_eq!(rc["identity"]["user"], serde_json::Value::Null);
    assert_eq!(rc["domainName"], "api.example.com");
    assert_eq!(rc["domainPrefix"], "api");
    assert!(rc["requestTimeEpoch"].is_u64());
    assert_eq!(rc["requestId"].as_str().map(str::len), Some(36));
}

#[test]
fn lambda_proxy_failures_answer_as_api_gateway_does() {
    let get = "GET /prod/fn/1 HTTP/1.1\r\nHost: x\r\n\r\n";
    let cases = [
        // A function error reported as Invoke does it.
        (
            invoke_response(
                "200 OK",
                "X-Amz-Function-Error: Unhandled\r\n",
                r#"{"errorMessage":"boom","errorType":"Error"}"#,
            ),
            502,
        ),
        // The local emulators' function error: a 5xx with an errorMessage and no error type.
        (
            invoke_response(
                "500 Internal Server Error",
                "",
                r#"{"errorMessage":"boom","errorType":"Error"}"#,
            ),
            502,
        ),
        // Invoke itself failed: no such function, throttled.
        (
            invoke_response(
                "404 Not Found",
                "x-amzn-ErrorType: ResourceNotFoundException\r\n",
                r#"{"Type":"User","message":"Function not found"}"#,
            ),
            500,
        ),
        (
            invoke_response(
                "429 Too Many Requests",
                "x-amzn-ErrorType: TooManyRequestsException\r\n",
                r#"{"message":"Rate exceeded"}"#,
            ),
            500,
        ),
        // Malformed replies.
        (invoke_response("200 OK", "", r#""just a string""#), 502),
        (
            invoke_response("200 OK", "", r#"{"body":"no status"}"#),
            502,
        ),
        (
            invoke_response(
                "200 OK",
                "",
                r#"{"statusCode":200,"body":{"not":"a string"}}"#,
            ),
            502,
        ),
        (invoke_response("200 OK", "", "not json"), 502),
    ];
    for (stream, want) in cases {
        let h = Harness::new();
        h.backend(stream);
        let a = h.call(get);
        assert_eq!(a.status, want, "{}", a.text());
        assert_eq!(a.text(), r#"{"message":"Internal server error"}"#);
    }
}

#[test]
fn lambda_proxy_base64_replies_stay_text_without_binary_media_types() {
    let h = Harness::new();
    h.backend(invoke_response(
        "200 OK",
        "",
        r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#,
    ));
    // The API has no binary media types: the text goes out as the function wrote it.
    let a = h.call("GET /prod/fn/1 HTTP/1.1\r\nHost: x\r\nAccept: image/png\r\n\r\n");
    assert_eq!(a.text(), "aGk=");
}

#[test]
fn lambda_custom_renders_the_payload_and_maps_results_and_errors() {
    let post = "POST /prod/calc?op=add HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":1,\"b\":2}";
    let h = Harness::new();
    let sent = h.backend(invoke_response("200 OK", "", r#"{"sum":3}"#));
    let a = h.call(post);
    assert_eq!((a.status, a.text()), (200, r#"{"result": 3}"#));
    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    let (head, body) = sent.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("POST /2015-03-31/functions/calc/invocations HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("X-Amz-Invocation-Type: RequestResponse\r\n"),
        "{head}"
    );
    assert_eq!(body, r#"{"a": 1, "b": 2, "op": "add"}"#);

    // A function error selects by its errorMessage.
    let h = Harness::new();
    h.backend(invoke_response(
        "200 OK",
        "X-Amz-Function-Error: Unhandled\r\n",
        r#"{"errorMessage":"invalid operand","errorType":"Error"}"#,
    ));
    let a = h.call(post);
    assert_eq!(
        (a.status, a.text()),
        (400, r#"{"error": "invalid operand"}"#)
    );
    // One no pattern matches takes the default response, as on AWS.
    let h = Harness::new();
    h.backend(invoke_response(
        "500 Internal Server Error",
        "",
        r#"{"errorMessage":"boom","errorType":"Error"}"#,
    ));
    let a = h.call(post);
    assert_eq!(a.status, 200, "{}", a.text());
    // Invoke itself failing is 500.
    let h = Harness::new();
    h.backend(invoke_response(
        "404 Not Found",
        "x-amzn-ErrorType: ResourceNotFoundException\r\n",
        r#"{"message":"Function not found"}"#,
    ));
    assert_eq!(h.call(post).status, 500);
}

#[test]
fn aws_service_calls_are_built_as_http_and_signed_for_their_service() {
    let h = Harness::new();
    let sent = h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 13\r\n\r\n<ok>sent</ok>",
        AtEnd::Stall,
    ));
    let a = h.call("POST /prod/sqs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    assert_eq!((a.status, a.text()), (200, "<ok>sent</ok>"));
    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    let (head, body) = sent.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("POST /?Action=SendMessage&QueueUrl=https://sqs.example/1/q HTTP/1.1\r\n"),
        "{head}"
    );
    assert_eq!(body, "MessageBody=%7B%22a%22%3A1%7D");
    // The mapped Content-Type replaces the template's: one header, signed.
    assert_eq!(head.matches("Content-Type:").count(), 1, "{head}");
    assert!(
        head.contains("Content-Type: application/x-www-form-urlencoded\r\n"),
        "{head}"
    );
    assert!(
        head.contains(
            "/eu-west-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
        ),
        "{head}"
    );
}

#[test]
fn an_integration_role_signs_with_the_assumed_credentials_and_fails_closed_without_them() {
    use crate::aws::roles::{self, State};
    let h = Harness::new();
    let post = "POST /prod/sqs-role HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    let role = roles::role("arn:aws:iam::123456789012:role/pipeline-test");
    // Still being assumed (no refresher here): waited for up to the timeout, then 500, and the
    // gateway's own credentials are never used in its place.
    let started = Instant::now();
    assert_eq!(h.call(post).status, 500);
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(h.connects.get(), 0);
    role.set(State::Failed {
        reason: "STS answered 403 AccessDenied".into(),
        at: 0,
    });
    assert_eq!(h.call(post).status, 500);
    assert_eq!(h.connects.get(), 0);

    role.set(State::Ready {
        credentials: crate::aws::credentials::Credentials {
            access_key_id: "ASIAROLETEST".into(),
            secret_access_key: "role-secret".into(),
            session_token: Some("role-token".into()),
        },
        expires: u64::MAX,
        last_error: None,
        retry_at: 0,
    });
    let sent = h.backend(MemoryStream::new(
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        AtEnd::Stall,
    ));
    assert_eq!(h.call(post).status, 200);
    let sent = String::from_utf8(sent.borrow().clone()).unwrap();
    let head = sent.split_once("\r\n\r\n").unwrap().0;
    assert!(
        head.contains("\r\nX-Amz-Security-Token: role-token\r\n"),
        "{head}"
    );
    assert!(
        head.contains("Credential=ASIAROLETEST/") && head.contains("x-amz-security-token"),
        "{head}"
    );
    assert!(!head.contains("AKIDEXAMPLE"), "{head}");
}

#[test]
fn a_lambda_reply_over_the_payload_limit_is_a_502_as_on_aws() {
    // API Gateway's 10 MB payload limit (`limits.max_body_bytes`): an Invoke response declaring
    // more is refused before a byte of it is read.
    let h = Harness::new();
    h.backend(MemoryStream::new(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
            10 * 1024 * 1024 + 1
        ),
        AtEnd::Stall,
    ));
    let a = h.call("GET /prod/fn/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(a.status, 502, "{}", a.text());
    assert_eq!(a.text(), r#"{"message":"Internal server error"}"#);
}

#[test]
fn key_required_methods_admit_only_a_key_in_a_plan_for_the_stage() {
    use crate::deploy::keys::KeyTable;
    use crate::store::{ApiKey, ApiStage, UsagePlan};
    let h = Harness::new();
    let get = |key: Option<&str>| {
        let header = key
            .map(|k| format!("x-api-key: {k}\r\n"))
            .unwrap_or_default();
        h.call(&format!(
            "GET /prod/keyed HTTP/1.1\r\nHost: x\r\n{header}\r\n"
        ))
    };
    // No table published yet: nobody passes.
    let a = get(Some("k-value-0123456789abc"));
    assert_eq!((a.status, a.text()), (403, r#"{"message":"Forbidden"}"#));
    let key = |id: &str, value: &str, enabled| ApiKey {
        id: id.into(),
        value: value.into(),
        enabled,
        ..ApiKey::default()
    };
    let plan = |stage: &str| UsagePlan {
        id: format!("plan-{stage}"),
        api_stages: vec![ApiStage {
            api_id: "testapi001".into(),
            stage: stage.into(),
            ..ApiStage::default()
        }],
        ..UsagePlan::default()
    };
    h.cell.publish_keys(KeyTable::build(
        &[
            key("key1", "k-value-0123456789abc", true),
            key("key2", "off-value-0123456789a", false),
            key("key3", "beta-value-0123456789", true),
        ],
        &[
            (plan("prod"), vec!["key1".into(), "key2".into()]),
            (plan("beta"), vec!["key3".into()]),
        ],
        &mut Default::default(),
    ));
    let a = get(Some("k-value-0123456789abc"));
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.text(), r#"{"id":"key1","key":"k-value-0123456789abc"}"#);
    for refused in [
        None,
        Some("nope"),
        Some("off-value-0123456789a"),
        Some("beta-value-0123456789"),
    ] {
        let a = get(refused);
        assert_eq!(
            (a.status, a.text()),
            (403, r#"{"message":"Forbidden"}"#),
            "{refused:?}"
        );
        assert_eq!(a.header("x-amzn-ErrorType"), Some("ForbiddenException"));
    }
    // Methods without apiKeyRequired ignore keys.
    assert_eq!(
        h.call("GET /prod/mock HTTP/1.1\r\nHost: x\r\n\r\n").status,
        200
    );
}
