"""AWS WAF (wafv2) in front of a stage, end to end on both drivers: web ACLs, IP sets and regex
pattern sets made through `aws wafv2 ... --endpoint-url` and boto3 against the admin port,
associated with a stage by its ARN, then judged on the data port: IP blocks (v4, and v6 through
X-Forwarded-For), SQL injection and XSS in the query and the body, a rate-based rule blocking
then recovering at the next window, Count not blocking, the lower priority number winning, a
custom response, refused definitions (WAF's error shape, nothing changed) and persistence across
a kill -9."""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import botocore
import pytest
from botocore.config import Config

from conftest import CREDENTIALS, READ_ONLY, REGION, VENV_BIN, Gateway, config_text, start_backend

FORBIDDEN = {"message": "Forbidden"}
VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
NONE = [{"Priority": 0, "Type": "NONE"}]
URL = [{"Priority": 0, "Type": "URL_DECODE"}]


def api_doc(backend):
    return {"openapi": "3.0.1", "info": {"title": "waf", "version": "1"}, "paths": {
        "/{proxy+}": {"x-amazon-apigateway-any-method": {
            "parameters": [{"name": "proxy", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "ANY", "uri": f"http://{backend}/{{proxy}}",
                "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}}}}}


def wafv2(gw, credentials=CREDENTIALS):
    return boto3.client("wafv2", endpoint_url=gw.admin_url, region_name=REGION,
                        aws_access_key_id=credentials["key"],
                        aws_secret_access_key=credentials["secret"],
                        config=Config(retries={"max_attempts": 1}))


def apigw(gw):
    return boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                        aws_access_key_id=CREDENTIALS["key"],
                        aws_secret_access_key=CREDENTIALS["secret"])


def cli(gw, *args):
    """`aws wafv2 ARGS...` against the admin port; returns the parsed output."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=CREDENTIALS["key"],
               AWS_SECRET_ACCESS_KEY=CREDENTIALS["secret"], AWS_DEFAULT_REGION=REGION,
               AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    env.pop("AWS_PROFILE", None)
    aws = os.environ.get("TOLLGATE_AWS_CLI", str(VENV_BIN / "aws"))
    p = subprocess.run([aws, "wafv2", *args, "--endpoint-url", gw.admin_url, "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if p.stdout.strip() else {}


def start(data_dir, driver):
    return Gateway(data_dir, config=config_text() + f'\n[server]\ndriver = "{driver}"\n')


@pytest.fixture(scope="module")
def backend():
    addr, srv = start_backend("waf-backend")
    yield addr
    srv.shutdown()


@pytest.fixture(scope="module", params=["uring", "epoll"])
def stage(request, backend):
    tmp = tempfile.TemporaryDirectory(prefix="tollgate-waf-")
    gw = start(Path(tmp.name) / "data", request.param)
    gw.data_dir = Path(tmp.name) / "data"
    try:
        api = apigw(gw).import_rest_api(body=json.dumps(api_doc(backend)).encode())["id"]
        apigw(gw).create_deployment(restApiId=api, stageName="prod")
        yield gw, api
    finally:
        gw.stop()
        tmp.cleanup()


def stage_arn(api):
    return f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/prod"


def rule(name, priority, statement, action=None):
    return {"Name": name, "Priority": priority, "Action": action or {"Block": {}},
            "Statement": statement, "VisibilityConfig": VIS}


def protect(gw, api, name, rules, **extra):
    """Creates web ACL `name` with `rules` and associates it with the stage; returns its summary."""
    waf = wafv2(gw)
    acl = waf.create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}},
                             VisibilityConfig=VIS, Rules=rules, **extra)["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage_arn(api))
    return acl


def get(gw, api, path, headers=None, method="GET", body=None):
    status, text, hdrs = gw.invoke(api, method, f"/prod{path}", body=body, headers=headers)
    return status, text, hdrs


def byte_match(search, field, position="CONTAINS", tx=NONE):
    return {"ByteMatchStatement": {"SearchString": search.encode(), "FieldToMatch": field,
                                   "TextTransformations": tx, "PositionalConstraint": position}}


def test_ip_sets_block_v4_and_v6_through_the_cli(stage):
    gw, api = stage
    v4 = cli(gw, "create-ip-set", "--name", "local-v4", "--scope", "REGIONAL",
             "--ip-address-version", "IPV4", "--addresses", "127.0.0.1/32")["Summary"]
    v6 = cli(gw, "create-ip-set", "--name", "doc-v6", "--scope", "REGIONAL",
             "--ip-address-version", "IPV6", "--addresses", "2001:db8::/32")["Summary"]
    forwarded = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH",
                 "Position": "FIRST"}
    rules = [rule("v4", 0, {"IPSetReferenceStatement": {"ARN": v4["ARN"]}}),
             rule("v6", 1, {"IPSetReferenceStatement": {"ARN": v6["ARN"],
                                                        "IPSetForwardedIPConfig": forwarded}})]
    acl = cli(gw, "create-web-acl", "--name", "ips", "--scope", "REGIONAL",
              "--default-action", "Allow={}", "--visibility-config",
              "SampledRequestsEnabled=false,CloudWatchMetricsEnabled=false,MetricName=ips",
              "--rules", json.dumps(rules))["Summary"]
    cli(gw, "associate-web-acl", "--web-acl-arn", acl["ARN"], "--resource-arn", stage_arn(api))
    assert apigw(gw).get_stage(restApiId=api, stageName="prod")["webAclArn"] == acl["ARN"]
    found = cli(gw, "get-web-acl-for-resource", "--resource-arn", stage_arn(api))
    assert found["WebACL"]["Name"] == "ips"

    status, text, _ = get(gw, api, "/a")
    assert (status, json.loads(text)) == (403, FORBIDDEN)
    # WAF sits in front of the whole stage: a path that matches no resource gets its answer too.
    status, text, _ = get(gw, api, "")
    assert (status, json.loads(text)) == (403, FORBIDDEN)
    # The set changes: the stage enforces the new addresses at once.
    token = cli(gw, "get-ip-set", "--name", "local-v4", "--scope", "REGIONAL",
                "--id", v4["Id"])["LockToken"]
    cli(gw, "update-ip-set", "--name", "local-v4", "--scope", "REGIONAL", "--id", v4["Id"],
        "--addresses", "192.0.2.0/24", "--lock-token", token)
    assert get(gw, api, "/a")[0] == 200
    assert json.loads(get(gw, api, "")[1]) == {"message": "Missing Authentication Token"}
    assert get(gw, api, "/a", {"X-Forwarded-For": "2001:db8::7, 10.0.0.1"})[0] == 403
    assert get(gw, api, "/a", {"X-Forwarded-For": "2001:db9::7"})[0] == 200
    assert get(gw, api, "/a", {"X-Forwarded-For": "not-an-ip"})[0] == 200


def test_sql_injection_and_xss_in_query_and_body(stage):
    gw, api = stage
    query, body = {"AllQueryArguments": {}}, {"Body": {"OversizeHandling": "CONTINUE"}}
    protect(gw, api, "injection", [
        rule("sqli-query", 0, {"SqliMatchStatement": {"FieldToMatch": query, "TextTransformations": URL}}),
        rule("sqli-body", 1, {"SqliMatchStatement": {"FieldToMatch": body, "TextTransformations": URL}}),
        rule("xss-query", 2, {"XssMatchStatement": {"FieldToMatch": query, "TextTransformations": URL}}),
        rule("xss-body", 3, {"XssMatchStatement": {"FieldToMatch": body, "TextTransformations": NONE}}),
    ])
    assert get(gw, api, "/items?id=42&name=alice")[0] == 200
    status, text, _ = get(gw, api, "/items?id=1%27%20OR%20%271%27%3D%271")
    assert (status, json.loads(text)) == (403, FORBIDDEN)
    assert get(gw, api, "/items?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")[0] == 403
    post = {"Content-Type": "application/json"}
    assert get(gw, api, "/items", post, "POST", b'{"name": "alice", "age": 3}')[0] == 200
    assert get(gw, api, "/items", post, "POST", b"1' OR '1'='1' --")[0] == 403
    assert get(gw, api, "/items", post, "POST", b'{"bio": "<img src=x onerror=alert(1)>"}')[0] == 403


def test_count_does_not_block_and_the_lower_priority_number_wins(stage):
    gw, api = stage
    everything = byte_match("/", {"UriPath": {}}, "STARTS_WITH")
    protect(gw, api, "counting", [rule("count-all", 0, everything, {"Count": {}})])
    assert get(gw, api, "/x")[0] == 200
    marked = byte_match("marked", {"UriPath": {}})
    protect(gw, api, "priorities", [rule("block", 20, marked),
                                    rule("allow", 10, marked, {"Allow": {}})])
    assert get(gw, api, "/marked")[0] == 200
    protect(gw, api, "priorities-swapped", [rule("block", 10, marked),
                                            rule("allow", 20, marked, {"Allow": {}})])
    assert get(gw, api, "/marked")[0] == 403
    assert get(gw, api, "/plain")[0] == 200


def test_custom_response(stage):
    gw, api = stage
    regex = wafv2(gw).create_regex_pattern_set(
        Name="admin-paths", Scope="REGIONAL",
        RegularExpressionList=[{"RegexString": "^/prod/admin"}, {"RegexString": "(?i)wp-login"}])["Summary"]
    custom = {"Block": {"CustomResponse": {
        "ResponseCode": 418, "CustomResponseBodyKey": "teapot",
        "ResponseHeaders": [{"Name": "reason", "Value": "admin"}]}}}
    protect(gw, api, "custom", [rule("admin", 0, {"RegexPatternSetReferenceStatement": {
        "ARN": regex["ARN"], "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}, custom)],
        CustomResponseBodies={"teapot": {"ContentType": "APPLICATION_JSON",
                                         "Content": '{"denied": "admin"}'}})
    status, text, headers = get(gw, api, "/admin/users")
    assert (status, json.loads(text)) == (418, {"denied": "admin"})
    assert headers.get("x-amzn-waf-reason") == "admin"
    assert headers.get("Content-Type") == "application/json"
    assert get(gw, api, "/WP-LOGIN.php")[0] == 418
    assert get(gw, api, "/users")[0] == 200


def test_access_log_lines_carry_the_waf_verdict(stage):
    gw, api = stage
    acl = protect(gw, api, "logged", [
        rule("marked", 0, byte_match("blockme", {"UriPath": {}})),
        rule("query", 1, byte_match("blockroot", {"QueryString": {}}))])
    fmt = ('{"requestId":"$context.requestId","status":"$context.status",'
           '"waf":"$context.wafResponseCode","wafStatus":"$context.waf.status",'
           '"acl":"$context.webaclArn","type":"$context.error.responseType"}')
    group = "arn:aws:logs:us-east-1:123456789012:log-group:waf-verdicts"
    apigw(gw).update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
    assert get(gw, api, "/fine")[0] == 200
    assert get(gw, api, "/blockme")[0] == 403
    # The stage's root has no method: no resource matches, yet WAF judges it and the stage logs it.
    assert get(gw, api, "/")[0] == 403
    assert get(gw, api, "/?blockroot=1")[0] == 403
    log = gw.data_dir / "logs" / "waf-verdicts.log"
    lines = []
    for _ in range(50):
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= 4:
            break
        time.sleep(0.1)
    got = [json.loads(line) for line in lines[-4:]]
    assert [(g["status"], g["waf"], g["wafStatus"], g["type"]) for g in got] == [
        ("200", "WAF_ALLOW", "200", "-"), ("403", "WAF_BLOCK", "403", "WAF_FILTERED"),
        ("403", "WAF_ALLOW", "200", "MISSING_AUTHENTICATION_TOKEN"),
        ("403", "WAF_BLOCK", "403", "WAF_FILTERED")], lines
    assert [g["acl"] for g in got] == [acl["ARN"]] * 4, lines
    apigw(gw).update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "remove", "path": "/accessLogSettings"}])


def test_rate_based_rule_blocks_then_recovers(stage):
    gw, api = stage
    protect(gw, api, "rate", [rule("rate", 0, {"RateBasedStatement": {
        "Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
        "ScopeDownStatement": byte_match("/limited", {"UriPath": {}})}})])
    # Windows are aligned to the clock: send the burst well inside one.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    statuses = [get(gw, api, "/limited")[0] for _ in range(14)]
    assert statuses[:10] == [200] * 10, statuses
    assert statuses[10:] == [403] * 4, statuses
    assert get(gw, api, "/unlimited")[0] == 200
    time.sleep(61 - time.time() % 60)
    assert get(gw, api, "/limited")[0] == 200


def with_body_rewrite(client, op, old, new):
    """Sends `op`'s next request with `old` replaced by `new` in its JSON body (after botocore's
    own validation), to reach the server with what no SDK would send."""
    def hook(request, **_):
        request.data = request.data.replace(old, new)
    client.meta.events.register(f"before-sign.wafv2.{op}", hook)


def test_rules_that_do_not_compile_are_refused_with_wafs_error_shape(stage):
    gw, api = stage
    waf = wafv2(gw)
    before = waf.list_web_acls(Scope="REGIONAL")["WebACLs"]

    def refused(statement, needle, name="refused"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            waf.create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}},
                               VisibilityConfig=VIS, Rules=[rule("r", 0, statement)])
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert err["Error"]["Code"] == "WAFInvalidParameterException"
        assert needle in err["Error"]["Message"], err["Error"]["Message"]

    refused({"RegexMatchStatement": {"RegexString": "(unclosed", "FieldToMatch": {"UriPath": {}},
                                     "TextTransformations": NONE}}, "REGEX_PATTERN")
    refused({"SqliMatchStatement": {"FieldToMatch": {"UriPath": {}},
                                    "TextTransformations": [{"Priority": 0, "Type": "BOGUS_TRANSFORM"}]}},
            "BOGUS_TRANSFORM")
    refused({"GeoMatchStatement": {"CountryCodes": ["US"]}}, "GeoMatchStatement")
    with_body_rewrite(waf, "CreateWebACL", b"GeoMatchStatement", b"UnknownStatement")
    refused({"GeoMatchStatement": {"CountryCodes": ["US"]}}, "UnknownStatement")
    assert waf.list_web_acls(Scope="REGIONAL")["WebACLs"] == before

    # An update that does not compile leaves the web ACL as it was.
    acl = protect(gw, api, "kept", [rule("ok", 0, byte_match("evil", {"QueryString": {}}))])
    got = waf.get_web_acl(Name="kept", Scope="REGIONAL", Id=acl["Id"])
    got.pop("ResponseMetadata")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        waf.update_web_acl(Name="kept", Scope="REGIONAL", Id=acl["Id"], LockToken=got["LockToken"],
                           DefaultAction={"Block": {}}, VisibilityConfig=VIS,
                           Rules=[rule("bad", 0, {"RegexMatchStatement": {
                               "RegexString": "(?<=x)y", "FieldToMatch": {"UriPath": {}},
                               "TextTransformations": NONE}})])
    assert e.value.response["Error"]["Code"] == "WAFInvalidParameterException"
    again = waf.get_web_acl(Name="kept", Scope="REGIONAL", Id=acl["Id"])
    again.pop("ResponseMetadata")
    assert again == got
    assert get(gw, api, "/fine")[0] == 200
    assert get(gw, api, "/x?evil=1")[0] == 403
    # A stale lock token and a missing item have their own errors.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        waf.update_web_acl(Name="kept", Scope="REGIONAL", Id=acl["Id"], LockToken="stale",
                           DefaultAction={"Allow": {}}, VisibilityConfig=VIS)
    assert e.value.response["Error"]["Code"] == "WAFOptimisticLockException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        waf.get_web_acl(Name="kept", Scope="REGIONAL", Id="00000000-0000-0000-0000-000000000000")
    assert e.value.response["Error"]["Code"] == "WAFNonexistentItemException"


def test_web_acls_persist_across_kill_9(backend):
    with tempfile.TemporaryDirectory(prefix="tollgate-waf-restart-") as tmp:
        data = Path(tmp) / "data"
        gw = start(data, "epoll")
        try:
            api = apigw(gw).import_rest_api(body=json.dumps(api_doc(backend)).encode())["id"]
            apigw(gw).create_deployment(restApiId=api, stageName="prod")
            acl = protect(gw, api, "durable", [rule("deny", 0, byte_match("deny", {"UriPath": {}}))])
            assert get(gw, api, "/deny")[0] == 403
        finally:
            gw.proc.kill()
            gw.proc.wait()
        gw = start(data, "epoll")
        try:
            assert get(gw, api, "/deny")[0] == 403
            assert get(gw, api, "/allow")[0] == 200
            assert apigw(gw).get_stage(restApiId=api, stageName="prod")["webAclArn"] == acl["ARN"]
            got = wafv2(gw).get_web_acl_for_resource(ResourceArn=stage_arn(api))["WebACL"]
            assert got["ARN"] == acl["ARN"]
            assert [r["Name"] for r in got["Rules"]] == ["deny"]
            # A redeploy keeps the stage's web ACL.
            apigw(gw).create_deployment(restApiId=api, stageName="prod")
            assert get(gw, api, "/deny")[0] == 403
            # A read-only admin credential may read wafv2 items, not change them.
            reader = wafv2(gw, READ_ONLY)
            assert [a["Name"] for a in reader.list_web_acls(Scope="REGIONAL")["WebACLs"]] == ["durable"]
            with pytest.raises(botocore.exceptions.ClientError) as e:
                reader.create_ip_set(Name="x", Scope="REGIONAL", IPAddressVersion="IPV4",
                                     Addresses=[])
            assert e.value.response["Error"]["Code"] == "AccessDeniedException"
        finally:
            gw.stop()
