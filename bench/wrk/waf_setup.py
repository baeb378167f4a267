"""usage: waf_setup.py ADMIN_ADDR CREDENTIALS_FILE [--api ID] [--stage prod] [--log-group bench]
                    [--no-access-log]

Puts a 10-rule AWS WAF web ACL in front of a stage of a running Tollgate, through the wafv2 API on
its admin port (boto3, the profile `tollgate` of CREDENTIALS_FILE, e.g. DATA_DIR/admin-credentials),
and turns on the stage's access logging (update-stage accessLogSettings, CLF format, log group
`bench`), for the "WAF with 10 rules and access logging on" benchmark. --api defaults to the first
REST API. The rules are the realistic mix of a managed rule set, none matching the benchmark's
plain GET from 127.0.0.1, so every request is inspected by all ten and let through:

  1 IP set (two /24s)                  6 SQL injection, every query argument (URL_DECODE)
  2 byte match, User-Agent (LOWERCASE)  7 XSS, the query string (URL_DECODE, HTML_ENTITY_DECODE)
  3 regex, the URI path                 8 SQL injection, the body (first 8 KB)
  4 regex pattern set, the URI path     9 rate-based, per IP, limit 2e9 per 5 minutes
  5 size of the query string > 2 KB    10 or(and(DELETE, not /prod/...), query arg `debug` = 1)

Prints the web ACL's ARN. Exits non-zero (with the error) if any call fails.
"""

import argparse
import os
import sys

import boto3

VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "bench"}
CLF = ('$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod '
       '$context.resourcePath $context.protocol" $context.status $context.responseLength '
       '$context.requestId')


def tx(*names):
    return [{"Priority": i, "Type": n} for i, n in enumerate(names)]


def byte_match(search, field, position, *transforms):
    return {"ByteMatchStatement": {"SearchString": search.encode(), "FieldToMatch": field,
                                   "TextTransformations": tx(*(transforms or ("NONE",))),
                                   "PositionalConstraint": position}}


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[0])
    ap.add_argument("admin")
    ap.add_argument("credentials")
    ap.add_argument("--api")
    ap.add_argument("--stage", default="prod")
    ap.add_argument("--log-group", default="bench")
    ap.add_argument("--no-access-log", action="store_true")
    a = ap.parse_args()

    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = a.credentials
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(profile_name="tollgate", region_name="us-east-1")
    url = f"http://{a.admin}"
    waf = session.client("wafv2", endpoint_url=url)
    apigw = session.client("apigateway", endpoint_url=url)
    api = a.api or apigw.get_rest_apis()["items"][0]["id"]

    ips = waf.create_ip_set(Name="bench-blocked", Scope="REGIONAL", IPAddressVersion="IPV4",
                            Addresses=["203.0.113.0/24", "198.51.100.0/24"])["Summary"]
    paths = waf.create_regex_pattern_set(
        Name="bench-paths", Scope="REGIONAL",
        RegularExpressionList=[{"RegexString": r"^/[^/]+/admin"},
                               {"RegexString": r"(?i)wp-(login|admin)"}])["Summary"]
    uri, query = {"UriPath": {}}, {"QueryString": {}}
    statements = [
        {"IPSetReferenceStatement": {"ARN": ips["ARN"]}},
        byte_match("badbot", {"SingleHeader": {"Name": "user-agent"}}, "CONTAINS", "LOWERCASE"),
        {"RegexMatchStatement": {"RegexString": r"\.(php|asp|jsp)$", "FieldToMatch": uri,
                                 "TextTransformations": tx("NONE")}},
        {"RegexPatternSetReferenceStatement": {"ARN": paths["ARN"], "FieldToMatch": uri,
                                               "TextTransformations": tx("NONE")}},
        {"SizeConstraintStatement": {"FieldToMatch": query, "ComparisonOperator": "GT",
                                     "Size": 2048, "TextTransformations": tx("NONE")}},
        {"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}},
                                "TextTransformations": tx("URL_DECODE")}},
        {"XssMatchStatement": {"FieldToMatch": query,
                               "TextTransformations": tx("URL_DECODE", "HTML_ENTITY_DECODE")}},
        {"SqliMatchStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
                                "TextTransformations": tx("NONE")}},
        {"RateBasedStatement": {"Limit": 2_000_000_000, "EvaluationWindowSec": 300,
                                "AggregateKeyType": "IP"}},
        {"OrStatement": {"Statements": [
            {"AndStatement": {"Statements": [
                byte_match("DELETE", {"Method": {}}, "EXACTLY"),
                {"NotStatement": {"Statement": byte_match(f"/{a.stage}/", uri, "STARTS_WITH")}}]}},
            byte_match("1", {"SingleQueryArgument": {"Name": "debug"}}, "EXACTLY")]}},
    ]
    rules = [{"Name": f"bench-{i + 1}", "Priority": i, "Action": {"Block": {}},
              "Statement": s, "VisibilityConfig": VIS} for i, s in enumerate(statements)]
    acl = waf.create_web_acl(Name="bench", Scope="REGIONAL", DefaultAction={"Allow": {}},
                             VisibilityConfig=VIS, Rules=rules)["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"],
                          ResourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/{a.stage}")
    if not a.no_access_log:
        group = f"arn:aws:logs:us-east-1:000000000000:log-group:{a.log_group}"
        apigw.update_stage(restApiId=api, stageName=a.stage, patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group},
            {"op": "replace", "path": "/accessLogSettings/format", "value": CLF}])
    print(acl["ARN"])


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for run.sh's log
        print(f"waf_setup.py: {e}", file=sys.stderr)
        sys.exit(1)
