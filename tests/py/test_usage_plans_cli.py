"""API keys, usage plans, throttles and quotas through the real aws CLI against the real binary:
create-api-key, create-usage-plan (throttle and quota), create-usage-plan-key, update-stage method
throttles, get-usage and update-usage, each checked by calling the API over HTTP."""

import json
import tempfile
import time
from pathlib import Path

import pytest

from conftest import Gateway, cli_runner, config_text


def doc(backend):
    route = {"get": {"security": [{"api_key": []}], "x-amazon-apigateway-integration": {
        "type": "http_proxy", "httpMethod": "GET", "uri": f"http://{backend}/x"}}}
    return json.dumps({
        "openapi": "3.0.1", "info": {"title": "cli-plans", "version": "1"},
        "paths": {"/metered": route, "/throttled": route},
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}}})


@pytest.fixture()
def fresh(backend):
    """A gateway of its own (quota counts must start at zero), its CLI, and the API deployed."""
    with tempfile.TemporaryDirectory(prefix="tollgate-plans-") as tmp:
        gw = Gateway(Path(tmp) / "data", config=config_text())
        try:
            aws = cli_runner(gw.admin_url)
            body = Path(tmp) / "api.json"
            body.write_text(doc(backend))
            rc, out, err = aws("import-rest-api", "--body", f"fileb://{body}")
            assert rc == 0, err
            api = json.loads(out)["id"]
            rc, _, err = aws("create-deployment", "--rest-api-id", api, "--stage-name", "prod")
            assert rc == 0, err
            yield gw, aws, api
        finally:
            gw.stop()


def ok(result):
    rc, out, err = result
    assert rc == 0, err
    return json.loads(out) if out.strip() else None


def test_keys_plans_throttles_and_quotas_through_the_aws_cli(fresh):
    gw, aws, api = fresh
    key = ok(aws("create-api-key", "--name", "partner", "--enabled"))
    plan = ok(aws("create-usage-plan", "--name", "metered",
                  "--api-stages", f"apiId={api},stage=prod",
                  "--quota", "limit=4,period=DAY"))
    ok(aws("create-usage-plan-key", "--usage-plan-id", plan["id"], "--key-id", key["id"],
           "--key-type", "API_KEY"))

    def get(path):
        status, body, _ = gw.invoke(api, "GET", path, headers={"x-api-key": key["value"]})
        return status, body

    assert get("/prod/metered")[0] == 200
    assert gw.invoke(api, "GET", "/prod/metered")[0] == 403  # no key

    # A stage method throttle: burst 1, refilled every 100 s.
    ok(aws("update-stage", "--rest-api-id", api, "--stage-name", "prod", "--patch-operations",
           "op=replace,path=/~1throttled/GET/throttling/burstLimit,value=1",
           "op=replace,path=/~1throttled/GET/throttling/rateLimit,value=0.01"))
    assert get("/prod/throttled")[0] == 200
    status, body = get("/prod/throttled")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})

    # The quota: 4 a day, 2 spent; 2 more, then Limit Exceeded.
    assert [get("/prod/metered")[0] for _ in range(3)] == [200, 200, 429]
    status, body = get("/prod/metered")
    assert (status, json.loads(body)) == (429, {"message": "Limit Exceeded"})
    today = time.strftime("%Y-%m-%d", time.gmtime())
    usage = ok(aws("get-usage", "--usage-plan-id", plan["id"], "--key-id", key["id"],
                   "--start-date", today, "--end-date", today))
    assert usage["items"][key["id"]] == [[4, 0]]
    ok(aws("update-usage", "--usage-plan-id", plan["id"], "--key-id", key["id"],
           "--patch-operations", "op=replace,path=/remaining,value=1"))
    assert [get("/prod/metered")[0] for _ in range(2)] == [200, 429]

    # Disabled: refused at once.
    ok(aws("update-api-key", "--api-key", key["id"], "--patch-operations",
           "op=replace,path=/enabled,value=false"))
    assert get("/prod/metered")[0] == 403
