//! Access logs, black-box: `accessLogSettings` set through UpdateStage, lines written off the
//! workers to the log group's destination and parsed back (the console's CLF, JSON, XML and CSV
//! formats), custom destinations (a file, stdout), SIGHUP reopening a renamed file, rotation by
//! size, bad input refused with nothing changed, an unwritable destination refused at
//! UpdateStage and counted at run time while requests go on, and the drop counter. Execution
//! logs (`methodSettings` logging) parsed from stderr. The authorize, validate and integrate
//! facts (`$context.authorizer.*`, `authenticate.*`, `authorize.*`, `integration.error`...)
//! through a scripted Lambda endpoint. Both drivers.

mod common;
#[path = "support/scripted_lambda.rs"]
mod scripted_lambda;
use common::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

const CLF: &str = r#"$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId"#;
const JSON: &str = r#"{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId","ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }"#;
const XML: &str = r#"<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>"#;
const CSV: &str = "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId";

/// A MOCK API: `GET /pets/{id}` answers 200 `{"id":"..."}`, `GET /fail` 500 with no method
/// response (API_CONFIGURATION_ERROR).
const DOC: &str = r#"{
  "openapi": "3.0.1",
  "info": {"title": "logged", "version": "1"},
  "paths": {
    "/pets/{id}": {"get": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "ok"}},
      "x-amazon-apigateway-integration": {
        "type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200",
          "responseTemplates": {"application/json": "{\"id\":\"$input.params('id')\"}"}}}}}},
    "/fail": {"get": {
      "responses": {"200": {"description": "ok"}},
      "x-amazon-apigateway-integration": {
        "type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "503"}}}}}
  }
}"#;

fn arn(group: &str) -> String {
    format!("arn:aws:logs:us-east-1:123456789012:log-group:{group}")
}

fn patch(gw: &Gateway, api: &str, ops: serde_json::Value) -> Response {
    let body = serde_json::json!({ "patchOperations": ops }).to_string();
    gw.admin(
        "PATCH",
        &format!("/restapis/{api}/stages/prod"),
        body.as_bytes(),
    )
}

fn set_logging(gw: &Gateway, api: &str, group: &str, format: &str) {
    let r = patch(
        gw,
        api,
        serde_json::json!([
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn(group)},
            {"op": "replace", "path": "/accessLogSettings/format", "value": format},
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

fn start(driver: &'static str, extra: &str) -> (Gateway, String) {
    let cfg = Config {
        extra: extra.to_string(),
        ..Config::default()
    };
    let gw = Gateway::start(Opts::new(driver).config(cfg));
    let api = gw.import(DOC);
    gw.deploy(&api, "prod", &[]);
    (gw, api)
}

/// The lines of `path` once it has at least `n`.
fn lines_of(path: &Path, n: usize) -> Vec<String> {
    wait_for(
        &format!("{n} lines in {}", path.display()),
        Duration::from_secs(5),
        || {
            let text = std::fs::read_to_string(path).ok()?;
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            (lines.len() >= n).then_some(lines)
        },
    )
}

fn log_file(gw: &Gateway, group: &str) -> PathBuf {
    gw.data_dir.join("logs").join(format!("{group}.log"))
}

fn get(gw: &Gateway, api: &str, target: &str) -> Response {
    gw.call_h(api, "GET", target, &[("User-Agent", "t\"ester")], b"")
}

fn request_id(r: &Response) -> String {
    r.header("x-amzn-RequestId").unwrap_or_default().to_string()
}

#[test]
fn every_console_format_is_written_and_parses_back() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "");
        for (name, format) in [("clf", CLF), ("json", JSON), ("xml", XML), ("csv", CSV)] {
            set_logging(&gw, &api, name, format);
            let ok = get(&gw, &api, "/prod/pets/7");
            assert_eq!(ok.status, 200, "{}", ok.text());
            let failed = get(&gw, &api, "/prod/fail");
            assert_eq!(failed.status, 500, "{}", failed.text());
            let lines = lines_of(&log_file(&gw, name), 2);
            assert_eq!(lines.len(), 2, "{name}: {lines:?}");
            for (line, r, status, len) in [
                (&lines[0], &ok, "200", ok.body.len()),
                (&lines[1], &failed, "500", failed.body.len()),
            ] {
                let path = if status == "200" {
                    "/pets/{id}"
                } else {
                    "/fail"
                };
                let fields = parse(name, line);
                let f = |k: &str| {
                    fields
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| panic!("{name}: no {k} in {line}"))
                };
                assert_eq!(f("requestId"), request_id(r), "{line}");
                assert_eq!(f("ip"), "127.0.0.1", "{line}");
                assert_eq!(f("caller"), "-", "{line}");
                assert_eq!(f("httpMethod"), "GET", "{line}");
                assert_eq!(f("resourcePath"), path, "{line}");
                assert_eq!(f("protocol"), "HTTP/1.1", "{line}");
                assert_eq!(f("status"), status, "{line}");
                assert_eq!(f("responseLength"), len.to_string(), "{line}");
                let time = f("requestTime");
                assert!(time.ends_with(" +0000") && time.len() == 26, "{time}");
            }
        }
    });
}

/// The named fields of one line in each console format.
fn parse(format: &str, line: &str) -> Vec<(String, String)> {
    let names = [
        "ip",
        "caller",
        "user",
        "requestTime",
        "httpMethod",
        "resourcePath",
        "protocol",
        "status",
        "responseLength",
        "requestId",
        "extendedRequestId",
    ];
    let zip = |values: Vec<String>| {
        assert_eq!(values.len(), names.len(), "{line}");
        names
            .iter()
            .map(|n| n.to_string())
            .zip(values)
            .collect::<Vec<_>>()
    };
    match format {
        "json" => {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        }
        "csv" => zip(line.split(',').map(str::to_string).collect()),
        "xml" => {
            let mut out = vec![(
                "requestId".to_string(),
                between(line, "<request id=\"", "\">").to_string(),
            )];
            for n in names {
                if n == "requestId" {
                    continue;
                }
                let v = between(line, &format!("<{n}>"), &format!("</{n}>"));
                out.push((n.to_string(), v.replace("&quot;", "\"")));
            }
            out
        }
        _ => {
            // ip caller user [time] "method path protocol" status length id extended
            let (head, rest) = line.split_once(" [").unwrap();
            let (time, rest) = rest.split_once("] \"").unwrap();
            let (request, tail) = rest.split_once("\" ").unwrap();
            let mut v: Vec<String> = head.split(' ').map(str::to_string).collect();
            v.push(time.to_string());
            v.extend(request.split(' ').map(str::to_string));
            v.extend(tail.split(' ').map(str::to_string));
            zip(v)
        }
    }
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap_or_else(|| panic!("no {open} in {s}")) + open.len();
    let end = s[start..].find(close).unwrap() + start;
    &s[start..end]
}

#[test]
fn values_are_escaped_in_json_and_latency_is_the_whole_response() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "");
        let format = r#"{"id":"$context.requestId","ua":"$context.identity.userAgent","latency":$context.responseLatency,"type":"$context.error.responseType","msg":$context.error.messageString,"canary":"$context.isCanaryRequest","waf":"$context.wafResponseCode"}"#;
        set_logging(&gw, &api, "escaped", format);
        assert_eq!(get(&gw, &api, "/prod/fail").status, 500);
        let line = &lines_of(&log_file(&gw, "escaped"), 1)[0];
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(v["ua"], "t\"ester", "{line}");
        assert!(v["latency"].as_u64().is_some(), "{line}");
        assert_eq!(v["type"], "API_CONFIGURATION_ERROR", "{line}");
        assert_eq!(v["msg"], "Internal server error", "{line}");
        assert_eq!(v["canary"], "-", "{line}");
        assert_eq!(v["waf"], "-", "{line}");
    });
}

#[test]
fn a_request_no_resource_matches_is_logged_on_its_stage() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "");
        let format = r#"{"id":"$context.requestId","api":"$context.apiId","stage":"$context.stage","method":"$context.httpMethod","path":"$context.path","resourcePath":"$context.resourcePath","status":$context.status,"type":"$context.error.responseType","msg":$context.error.messageString,"deployment":"$context.deploymentId"}"#;
        set_logging(&gw, &api, "unrouted", format);
        // An unknown resource, and a known resource with a method it does not have.
        let missing = get(&gw, &api, "/prod/nowhere?x=1");
        assert_eq!(missing.status, 403, "{}", missing.text());
        let wrong_method = gw.call(&api, "DELETE", "/prod/pets/7", b"");
        assert_eq!(wrong_method.status, 403);
        // No stage of that name: nothing to log it on.
        assert_eq!(get(&gw, &api, "/nostage/pets/7").status, 403);
        assert_eq!(get(&gw, &api, "/prod/pets/7").status, 200);
        let lines = lines_of(&log_file(&gw, "unrouted"), 3);
        assert_eq!(lines.len(), 3, "{lines:?}");
        let v: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        for (line, r, method, path) in [
            (&v[0], &missing, "GET", "/prod/nowhere"),
            (&v[1], &wrong_method, "DELETE", "/prod/pets/7"),
        ] {
            assert_eq!(line["id"], request_id(r), "{line}");
            assert_eq!(line["api"], api.as_str(), "{line}");
            assert_eq!(line["stage"], "prod", "{line}");
            assert_eq!(line["method"], method, "{line}");
            assert_eq!(line["path"], path, "{line}");
            assert_eq!(line["resourcePath"], "-", "{line}");
            assert_eq!(line["status"], 403, "{line}");
            assert_eq!(line["type"], "MISSING_AUTHENTICATION_TOKEN", "{line}");
            assert_eq!(line["msg"], "Missing Authentication Token", "{line}");
            assert_ne!(line["deployment"], "-", "{line}");
        }
        assert_eq!(v[2]["resourcePath"], "/pets/{id}", "{}", v[2]);
    });
}

#[test]
fn bad_settings_are_refused_and_change_nothing() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "");
        set_logging(&gw, &api, "kept", CLF);
        let before = gw
            .admin("GET", &format!("/restapis/{api}/stages/prod"), b"")
            .json();
        for (ops, want) in [
            (
                serde_json::json!([{"op": "replace", "path": "/accessLogSettings/format",
                    "value": "$context.requestId $context.nope $context.identity.nope"}]),
                "The following context variables are not supported: [$context.nope, $context.identity.nope]",
            ),
            (
                serde_json::json!([{"op": "replace", "path": "/accessLogSettings/format",
                    "value": "$context.status"}]),
                "Access log format must include at least $context.requestId or $context.extendedRequestId",
            ),
            (
                serde_json::json!([{"op": "replace", "path": "/accessLogSettings/destinationArn",
                    "value": "arn:aws:logs:us-east-1:1:log-group:../../etc"}]),
                "Invalid ARN specified in the request: arn:aws:logs:us-east-1:1:log-group:../../etc",
            ),
            (
                serde_json::json!([{"op": "remove", "path": "/accessLogSettings/destinationArn"}]),
                "Access log destination ARN must be specified when a format is set",
            ),
        ] {
            let r = patch(&gw, &api, ops);
            assert_eq!(r.status, 400, "{}", r.text());
            assert_eq!(message(&r), want);
            let after = gw.admin("GET", &format!("/restapis/{api}/stages/prod"), b"").json();
            assert_eq!(after, before);
        }
        assert_eq!(before["accessLogSettings"]["format"], CLF);
        // Removing the settings stops the log.
        let r = patch(
            &gw,
            &api,
            serde_json::json!([{"op": "remove", "path": "/accessLogSettings"}]),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json().get("accessLogSettings").is_none(), "{}", r.text());
    });
}

#[test]
fn groups_go_where_the_config_says_and_files_reopen_on_sighup() {
    for_each_driver(|driver| {
        let probe = TempDir::new("custom");
        let custom = probe.join("elsewhere/custom.log");
        let extra = format!(
            "[access_logs.groups]\n\"custom\" = \"{}\"\n\"out\" = \"stdout\"\n",
            custom.display()
        );
        let (gw, api) = start(driver, &extra);
        set_logging(&gw, &api, "custom", CSV);
        assert_eq!(get(&gw, &api, "/prod/pets/1").status, 200);
        let first = lines_of(&custom, 1);
        assert!(
            first[0].contains(",GET,/pets/{id},HTTP/1.1,200,"),
            "{first:?}"
        );

        // logrotate: rename, then SIGHUP; the next line goes to a new file of the old name.
        let moved = probe.join("elsewhere/custom.log.old");
        std::fs::rename(&custom, &moved).unwrap();
        gw.sighup();
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(get(&gw, &api, "/prod/pets/2").status, 200);
        let fresh = lines_of(&custom, 1);
        assert_eq!(fresh.len(), 1, "{fresh:?}");
        assert_eq!(std::fs::read_to_string(&moved).unwrap().lines().count(), 1);

        set_logging(&gw, &api, "out", CLF);
        let r = get(&gw, &api, "/prod/pets/3");
        let id = request_id(&r);
        wait_for("the line on stdout", Duration::from_secs(5), || {
            gw.stdout().lines().any(|l| l.contains(&id)).then_some(())
        });
    });
}

#[test]
fn a_reload_sends_a_group_where_the_config_now_says() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "");
        set_logging(&gw, &api, "moving", CLF);
        assert_eq!(get(&gw, &api, "/prod/pets/1").status, 200);
        let default = log_file(&gw, "moving");
        assert_eq!(lines_of(&default, 1).len(), 1);

        // The config now maps the group to a file of its own: SIGHUP applies it, no restart.
        let probe = TempDir::new("moved");
        let moved = probe.join("moved.log");
        let cfg = Config {
            extra: format!(
                "[access_logs.groups]\n\"moving\" = \"{}\"\n",
                moved.display()
            ),
            ..Config::default()
        };
        std::fs::write(gw.config_path.as_ref().unwrap(), cfg.render()).unwrap();
        gw.sighup();
        wait_for("the reload", Duration::from_secs(5), || {
            gw.stderr()
                .contains("access log destinations updated")
                .then_some(())
        });
        let r = get(&gw, &api, "/prod/pets/2");
        assert_eq!(r.status, 200);
        let lines = lines_of(&moved, 1);
        assert!(lines[0].contains(&request_id(&r)), "{lines:?}");
        assert_eq!(
            lines_of(&default, 1).len(),
            1,
            "nothing more in the old file"
        );
    });
}

#[test]
fn files_rotate_by_size_keeping_the_configured_number() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "[access_logs]\nrotate_bytes = 1000\nkeep = 2\n");
        set_logging(&gw, &api, "rot", CLF);
        for i in 0..40 {
            assert_eq!(get(&gw, &api, &format!("/prod/pets/{i}")).status, 200);
        }
        let base = log_file(&gw, "rot");
        let rotated = |n: usize| PathBuf::from(format!("{}.{n}", base.display()));
        wait_for("two rotated files", Duration::from_secs(5), || {
            (rotated(1).exists() && rotated(2).exists()).then_some(())
        });
        assert!(!rotated(3).exists());
        for p in [base.clone(), rotated(1), rotated(2)] {
            let len = std::fs::metadata(&p).unwrap().len();
            assert!(len <= 1000, "{} is {len} bytes", p.display());
        }
    });
}

#[test]
fn an_unwritable_destination_is_refused_then_counted_while_requests_go_on() {
    for_each_driver(|driver| {
        let probe = TempDir::new("unwritable");
        let blocked = probe.write("a-file", "not a folder");
        let dir = probe.join("dir");
        let extra = format!(
            "[access_logs.groups]\n\"blocked\" = \"{}/x.log\"\n\"later\" = \"{}/x.log\"\n",
            blocked.display(),
            dir.display()
        );
        let (gw, api) = start(driver, &extra);
        let r = patch(
            &gw,
            &api,
            serde_json::json!([
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn("blocked")},
                {"op": "replace", "path": "/accessLogSettings/format", "value": CLF},
            ]),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            message(&r).starts_with(&format!(
                "Access log destination {} cannot be written",
                arn("blocked")
            )),
            "{}",
            r.text()
        );
        // Writable when set; then its folder becomes a file, and SIGHUP makes the writer reopen.
        set_logging(&gw, &api, "later", CLF);
        assert_eq!(get(&gw, &api, "/prod/pets/1").status, 200);
        lines_of(&dir.join("x.log"), 1);
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::write(&dir, "now a file").unwrap();
        gw.sighup();
        std::thread::sleep(Duration::from_millis(600));
        for i in 0..5 {
            assert_eq!(get(&gw, &api, &format!("/prod/pets/{i}")).status, 200);
        }
        gw.metrics_until("the write errors counted", |t| {
            counter(t, "tollgate_access_log_write_errors_total") >= 1
        });
    });
}

fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn lines_that_do_not_fit_the_buffer_are_dropped_and_counted() {
    for_each_driver(|driver| {
        // 1 KiB per worker: blocks of 256 bytes, smaller than one JSON line.
        let (gw, api) = start(driver, "[access_logs]\nbuffer_bytes = 1024\n");
        set_logging(&gw, &api, "small", JSON);
        for i in 0..10 {
            assert_eq!(get(&gw, &api, &format!("/prod/pets/{i}")).status, 200);
        }
        gw.metrics_until("10 dropped lines", |t| {
            counter(t, "tollgate_access_log_dropped_total") == 10
        });
        // A short line still fits.
        set_logging(&gw, &api, "small", "$context.requestId $context.status");
        let r = get(&gw, &api, "/prod/pets/1");
        let lines = lines_of(&log_file(&gw, "small"), 1);
        assert_eq!(lines[0], format!("{} 200", request_id(&r)));
    });
}

#[test]
fn execution_logs_at_info_and_error_go_to_stderr_with_the_request_id() {
    for_each_driver(|driver| {
        let (gw, api) = start(driver, "");
        let r = patch(
            &gw,
            &api,
            serde_json::json!([
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
                {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"},
            ]),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let ok = gw.call_h(&api, "GET", "/prod/pets/5", &[], b"{\"hello\":1}");
        assert_eq!(ok.status, 200);
        let id = request_id(&ok);
        let mine = |log: &str, id: &str| -> Vec<String> {
            let prefix = format!("({id}) ");
            log.lines()
                .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
                .collect()
        };
        let info = wait_for("INFO execution log lines", Duration::from_secs(5), || {
            let lines = mine(&gw.stderr(), &id);
            lines
                .iter()
                .any(|l| l.starts_with("Method completed"))
                .then_some(lines)
        });
        let want = [
            format!("Extended Request Id: {id}"),
            format!("Starting execution for request: {id}"),
            "HTTP Method: GET, Resource Path: /pets/{id}".to_string(),
            "Method request body before transformations: {\"hello\":1}".to_string(),
            "Method response body after transformations: {\"id\":\"5\"}".to_string(),
            "Successfully completed execution".to_string(),
            "Method completed with status: 200".to_string(),
        ];
        assert_eq!(info, want);

        // ERROR: a success writes nothing, a failure its cause and status.
        let r = patch(
            &gw,
            &api,
            serde_json::json!([{"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}]),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let quiet = request_id(&get(&gw, &api, "/prod/pets/6"));
        let failed = request_id(&get(&gw, &api, "/prod/fail"));
        let error = wait_for("ERROR execution log lines", Duration::from_secs(5), || {
            let lines = mine(&gw.stderr(), &failed);
            lines
                .iter()
                .any(|l| l.starts_with("Method completed"))
                .then_some(lines)
        });
        assert_eq!(
            error,
            [
                "Execution failed due to configuration error: Internal server error",
                "Gateway response type: API_CONFIGURATION_ERROR with status code: 500",
                "Method completed with status: 500",
            ]
        );
        assert!(mine(&gw.stderr(), &quiet).is_empty());
    });
}

#[test]
fn a_group_sent_to_syslog_arrives_as_rfc5424_datagrams() {
    for_each_driver(|driver| {
        let probe = TempDir::new("syslog");
        let socket = probe.join("log.sock");
        let server = std::os::unix::net::UnixDatagram::bind(&socket).unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let extra = format!(
            "[access_logs.groups]\n\"sys\" = \"syslog:{}\"\n",
            socket.display()
        );
        let (gw, api) = start(driver, &extra);
        set_logging(&gw, &api, "sys", "$context.requestId $context.status");
        let id = request_id(&get(&gw, &api, "/prod/pets/1"));
        let mut buf = [0u8; 2048];
        let n = server.recv(&mut buf).unwrap();
        let d = std::str::from_utf8(&buf[..n]).unwrap();
        // <local0.info>1 TIMESTAMP HOST APP PROCID MSGID SD MSG
        let parts: Vec<&str> = d.splitn(8, ' ').collect();
        assert_eq!(parts[0], "<134>1", "{d}");
        assert!(parts[1].ends_with('Z') && parts[1].contains('T'), "{d}");
        assert_eq!(parts[3], "tollgate", "{d}");
        assert_eq!(parts[4], gw.pid().to_string(), "{d}");
        assert_eq!(parts[7], format!("{id} 200"), "{d}");
    });
}

#[test]
fn lines_of_the_last_requests_reach_the_file_when_the_gateway_stops() {
    for_each_driver(|driver| {
        let (mut gw, api) = start(driver, "");
        set_logging(&gw, &api, "last", "$context.requestId $context.status");
        let ids: Vec<String> = (0..20)
            .map(|i| request_id(&get(&gw, &api, &format!("/prod/pets/{i}"))))
            .collect();
        // At once, before a worker tick could have sent them: the drain does.
        gw.sigterm();
        assert!(gw.wait_exit(Duration::from_secs(10)).is_some());
        let text = std::fs::read_to_string(log_file(&gw, "last")).unwrap_or_default();
        for id in &ids {
            assert!(text.contains(&format!("{id} 200")), "{id} missing:\n{text}");
        }
    });
}

const ACCOUNT: &str = "123456789012";
/// An `x-amz-id-2` as S3 writes them: longer than a request id.
const ID2: &str = "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=";

fn function_uri(name: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}/invocations"
    )
}

/// The authorizer `authz` answers by token: `allow`, `deny` (a policy each), `nope` (the
/// function's `Unauthorized`), anything else a function error; the function `fn` answers a
/// proxy reply, or a function error for `/boom`. Each reply carries its own request id.
fn lambda_answer(path: &str, body: &str) -> scripted_lambda::Answer {
    use scripted_lambda::Answer;
    let policy = |effect: &str, id: &str| Answer {
        status: 200,
        headers: vec![("x-amzn-RequestId", id.into())],
        body: format!(
            r#"{{"principalId":"u1","policyDocument":{{"Version":"2012-10-17","Statement":[{{"Action":"execute-api:Invoke","Effect":"{effect}","Resource":"*"}}]}}}}"#
        ),
    };
    let failed = |message: &str, id: &str| Answer {
        status: 200,
        headers: vec![
            ("x-amzn-RequestId", id.into()),
            ("X-Amz-Function-Error", "Unhandled".into()),
        ],
        body: format!(r#"{{"errorMessage":"{message}"}}"#),
    };
    if path.contains("authz") {
        return match () {
            _ if body.contains(r#""allow""#) => policy("Allow", "authz-allow"),
            _ if body.contains(r#""deny""#) => policy("Deny", "authz-deny"),
            _ if body.contains(r#""nope""#) => failed("Unauthorized", "authz-nope"),
            _ => failed("kaput", "authz-boom"),
        };
    }
    if body.contains("/boom") {
        return failed("kaput", "fn-boom");
    }
    Answer {
        status: 200,
        headers: vec![
            ("x-amzn-RequestId", "fn-ok".into()),
            ("x-amz-id-2", ID2.into()),
        ],
        body: r#"{"statusCode":200,"body":"ok"}"#.into(),
    }
}

fn facts_doc(refused: std::net::SocketAddr) -> String {
    let mock = serde_json::json!({"type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200"}}});
    let ok = serde_json::json!({"200": {"description": "ok"}});
    let lambda =
        serde_json::json!({"type": "aws_proxy", "httpMethod": "POST", "uri": function_uri("fn")});
    serde_json::json!({
        "openapi": "3.0.1",
        "info": {"title": "facts", "version": "1"},
        "x-amazon-apigateway-endpoint-configuration": {"types": ["REGIONAL"]},
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestParameters": false, "validateRequestBody": true}},
        "components": {
            "schemas": {"Pet": {"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}}}},
            "securitySchemes": {
                "tok": {"type": "apiKey", "name": "Authorization", "in": "header",
                    "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {"type": "token",
                        "authorizerUri": function_uri("authz"), "authorizerResultTtlInSeconds": 300}},
                "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4"}}},
        "paths": {
            "/authz": {"get": {"security": [{"tok": []}], "responses": ok,
                "x-amazon-apigateway-integration": mock}},
            "/iam": {"get": {"security": [{"sigv4": []}], "responses": ok,
                "x-amazon-apigateway-integration": mock}},
            "/refused": {"get": {"responses": ok, "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET", "uri": format!("http://{refused}/x")}}},
            "/pets": {"post": {"responses": ok,
                "requestBody": {"content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                "x-amazon-apigateway-request-validator": "body",
                "x-amazon-apigateway-integration": mock}},
            "/fn": {"get": {"responses": ok, "x-amazon-apigateway-integration": lambda}},
            "/boom": {"get": {"responses": ok, "x-amazon-apigateway-integration": lambda}}
        }
    })
    .to_string()
}

const FACTS: &[&str] = &[
    "authorizer.status",
    "authorizer.latency",
    "authorizer.error",
    "authorizer.integrationStatus",
    "authorizer.integrationLatency",
    "authorizer.requestId",
    "authenticate.status",
    "authenticate.latency",
    "authenticate.error",
    "authorize.status",
    "authorize.latency",
    "authorize.error",
    "integration.error",
    "integration.requestId",
    "error.validationErrorString",
    "webaclArn",
    "endpointType",
    "error.responseType",
    "awsEndpointRequestId2",
];

#[test]
fn authorizer_validation_and_integration_facts_are_logged() {
    let lambda = scripted_lambda::start(lambda_answer);
    for_each_driver(|driver| {
        let config = Config {
            extra: format!(
                "[aws]\naccount_id = \"{ACCOUNT}\"\nregion = \"us-east-1\"\naccess_key_id = \"AKIDLOGTEST\"\nsecret_access_key = \"log-test-secret\"\n[aws.endpoints]\nlambda = \"http://{lambda}\"\n"
            ),
            ..Config::default()
        };
        let gw = Gateway::start(Opts::new(driver).config(config));
        let api = gw.import(&facts_doc(backends::Upstream::refused_addr()));
        gw.deploy(&api, "prod", &[]);
        let fields: Vec<String> = FACTS
            .iter()
            .map(|v| format!(r#""{v}":"$context.{v}""#))
            .collect();
        let format = format!(r#"{{"id":"$context.requestId",{}}}"#, fields.join(","));
        set_logging(&gw, &api, "facts", &format);

        let call = |method: &str, target: &str, token: Option<&str>, body: &[u8], status: u16| {
            let headers: Vec<(&str, &str)> =
                token.map(|t| ("Authorization", t)).into_iter().collect();
            let r = gw.call_h(&api, method, target, &headers, body);
            assert_eq!(r.status, status, "{method} {target}: {}", r.text());
            request_id(&r)
        };
        let allowed = call("GET", "/prod/authz", Some("allow"), b"", 200);
        let cached = call("GET", "/prod/authz", Some("allow"), b"", 200);
        let denied = call("GET", "/prod/authz", Some("deny"), b"", 403);
        let unauthorized = call("GET", "/prod/authz", Some("nope"), b"", 401);
        let failed = call("GET", "/prod/authz", Some("boom"), b"", 500);
        let unsigned = call("GET", "/prod/iam", None, b"", 403);
        let refused = call("GET", "/prod/refused", None, b"", 502);
        let invalid = call("POST", "/prod/pets", None, b"{}", 400);
        let valid = call("POST", "/prod/pets", None, br#"{"name":"rex"}"#, 200);
        let function = call("GET", "/prod/fn", None, b"", 200);
        let function_failed = call("GET", "/prod/boom", None, b"", 502);

        let lines = lines_of(&log_file(&gw, "facts"), 11);
        let line = |id: &str| -> serde_json::Value {
            let l = lines
                .iter()
                .find(|l| l.contains(id))
                .unwrap_or_else(|| panic!("no line for {id}: {lines:?}"));
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))
        };
        let ms = |v: &serde_json::Value, k: &str| {
            let s = v[k].as_str().unwrap();
            assert!(s.parse::<u64>().is_ok(), "{k} is not a number of ms: {v}");
        };
        // (request, [(variable, value)]): what each request's line must say.
        let expect = |id: &str, want: &[(&str, &str)]| {
            let v = line(id);
            for (k, w) in want {
                assert_eq!(v[*k], *w, "{k} in {v}");
            }
            assert_eq!(v["endpointType"], "REGIONAL", "{v}");
            assert_eq!(v["webaclArn"], "-", "{v}");
            v
        };

        // The authorizer invoked, then answered from the cache (no Invoke call to report).
        let v = expect(
            &allowed,
            &[
                ("authorizer.status", "200"),
                ("authorizer.error", "-"),
                ("authorizer.integrationStatus", "200"),
                ("authorizer.requestId", "authz-allow"),
                ("authorize.status", "200"),
                ("authenticate.status", "-"),
                ("integration.error", "-"),
            ],
        );
        for k in [
            "authorizer.latency",
            "authorizer.integrationLatency",
            "authorize.latency",
        ] {
            ms(&v, k);
        }
        expect(
            &cached,
            &[
                ("authorizer.status", "200"),
                ("authorizer.integrationStatus", "-"),
                ("authorizer.integrationLatency", "-"),
                ("authorizer.requestId", "-"),
            ],
        );
        expect(
            &denied,
            &[
                ("authorizer.status", "403"),
                ("authorize.status", "403"),
                (
                    "authorize.error",
                    "User is not authorized to access this resource with an explicit deny",
                ),
                ("authorizer.requestId", "authz-deny"),
            ],
        );
        expect(
            &unauthorized,
            &[
                ("authorizer.status", "401"),
                ("authorizer.error", "Unauthorized"),
                ("authorize.status", "-"),
            ],
        );
        let v = expect(
            &failed,
            &[
                ("authorizer.status", "500"),
                ("authorizer.integrationStatus", "200"),
                ("authorizer.requestId", "authz-boom"),
                ("authorize.status", "-"),
            ],
        );
        let error = v["authorizer.error"].as_str().unwrap();
        assert!(error.contains("kaput"), "{v}");
        // AWS_IAM without a signature: refused at authentication, nothing authorized.
        let v = expect(
            &unsigned,
            &[
                ("authenticate.status", "403"),
                ("authenticate.error", "Missing Authentication Token"),
                ("authorize.status", "-"),
                ("authorizer.status", "-"),
            ],
        );
        ms(&v, "authenticate.latency");
        let v = expect(&refused, &[("authorizer.status", "-")]);
        let error = v["integration.error"].as_str().unwrap();
        assert!(error.contains("connect"), "{v}");
        let v = expect(&invalid, &[("integration.error", "-")]);
        let why = v["error.validationErrorString"].as_str().unwrap();
        assert!(why.contains("missing required properties"), "{v}");
        assert!(why.contains(r#"["name"]"#), "{v}");
        expect(&valid, &[("error.validationErrorString", "-")]);
        expect(
            &function,
            &[
                ("integration.requestId", "fn-ok"),
                ("awsEndpointRequestId2", ID2),
                ("integration.error", "-"),
            ],
        );
        // The function's error is found while its reply is written: still a failed request.
        let v = expect(
            &function_failed,
            &[
                ("integration.requestId", "fn-boom"),
                ("error.responseType", "INTEGRATION_FAILURE"),
            ],
        );
        let error = v["integration.error"].as_str().unwrap();
        assert!(error.contains("kaput"), "{v}");
    });
}
