"""Every admin error type the management API produces, through the real aws CLI and boto3, with
the CLI's exit status (255 for aws CLI v1 service errors, 254 for v2) and its message
`An error occurred (Code) when calling the Op operation: message`, as it prints them for AWS; the
admin throttle (TooManyRequestsException with Retry-After); and stage patch operations reaching
the data plane without a restart, on the same keep-alive connection."""

import http.client
import json
import re
import tempfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import READ_ONLY, REGION, Gateway, cli_runner, client, config_text, start_backend
from test_aws_tools import build

# botocore adds "(reached max retries: N)" for the codes it treats as throttling.
CLI_ERROR = re.compile(r"An error occurred \((\w+)\) when calling the (\w+) operation"
                       r"(?: \(reached max retries: \d+\))?: (.*)")


def cli_error(result):
    rc, out, err = result
    assert rc in (254, 255), (rc, out, err)
    m = CLI_ERROR.search(err)
    assert m, err
    return m.group(1), m.group(2), m.group(3).strip()


def boto_error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"], r


@pytest.fixture(scope="module")
def deployed(apigw, backend):
    api_id, _, _ = build(apigw, backend)
    dep = apigw.create_deployment(restApiId=api_id, stageName="prod",
                                  variables={"backend": backend})
    return api_id, dep["id"]


def test_bad_request_400(apigw, aws):
    empty = apigw.create_rest_api(name="no-methods")["id"]
    code, op, msg = cli_error(aws("create-deployment", "--rest-api-id", empty,
                                  "--stage-name", "s"))
    assert (code, op, msg) == ("BadRequestException", "CreateDeployment",
                               "The REST API doesn't contain any methods")
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.create_deployment(restApiId=empty, stageName="s")
    code, _, status, _ = boto_error(apigw.create_deployment, restApiId=empty, stageName="s")
    assert (code, status) == ("BadRequestException", 400)


def test_not_found_404(apigw, aws):
    code, op, msg = cli_error(aws("get-rest-api", "--rest-api-id", "nope"))
    assert (code, op, msg) == ("NotFoundException", "GetRestApi",
                               "Invalid API identifier specified 000000000000:nope")
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_rest_api(restApiId="nope")
    code, msg, status, _ = boto_error(apigw.get_api_key, apiKey="nope")
    assert (code, status, msg) == ("NotFoundException", 404, "Invalid API Key identifier specified")


def test_conflict_409(apigw, aws, deployed):
    api_id, dep = deployed
    code, op, msg = cli_error(aws("create-stage", "--rest-api-id", api_id, "--stage-name", "prod",
                                  "--deployment-id", dep))
    assert (code, op, msg) == ("ConflictException", "CreateStage", "Stage already exists")
    with pytest.raises(apigw.exceptions.ConflictException):
        apigw.create_stage(restApiId=api_id, stageName="prod", deploymentId=dep)
    _, _, status, _ = boto_error(apigw.create_stage, restApiId=api_id, stageName="prod",
                                 deploymentId=dep)
    assert status == 409


def test_access_denied_403_for_read_only_writes(gateway):
    ro_cli = cli_runner(gateway.admin_url, READ_ONLY)
    rc, out, err = ro_cli("get-rest-apis")
    assert rc == 0, err  # reading is allowed
    code, op, msg = cli_error(ro_cli("create-rest-api", "--name", "nope"))
    assert (code, op) == ("AccessDeniedException", "CreateRestApi")
    # AWS's IAM wording.
    assert msg == (f"User: arn:aws:iam::000000000000:user/{READ_ONLY['key']} is not authorized "
                   f"to perform: apigateway:POST on resource: arn:aws:apigateway:{REGION}::"
                   "/restapis"), msg
    ro = client(gateway.admin_url, READ_ONLY)
    code, _, status, _ = boto_error(ro.create_rest_api, name="nope")
    assert (code, status) == ("AccessDeniedException", 403)


def test_bad_credentials_are_403_not_401(gateway):
    # UnauthorizedException (401) is in API Gateway's model, but AWS answers every signature or
    # credential failure with 403 (UnrecognizedClientException, InvalidSignatureException,
    # MissingAuthenticationTokenException), and so does Tollgate (src/admin/error.rs's
    # `ApiError::Auth`): the CLI shows the same 403 errors it shows for AWS. Tollgate has no
    # other caller identity to be "unauthorized" for, so it never sends 401.
    stranger = {"key": "AKIDNOBODY0000000000", "secret": "whatever"}
    code, op, msg = cli_error(cli_runner(gateway.admin_url, stranger)("get-rest-apis"))
    assert (code, op) == ("UnrecognizedClientException", "GetRestApis"), msg
    code, _, status, _ = boto_error(client(gateway.admin_url, stranger).get_rest_apis)
    assert (code, status) == ("UnrecognizedClientException", 403)
    wrong = {"key": "AKIDTOLLGATETEST0000", "secret": "not-the-secret"}
    code, _, status, _ = boto_error(client(gateway.admin_url, wrong).get_rest_apis)
    assert (code, status) == ("InvalidSignatureException", 403)


def test_limit_exceeded_429_at_aws_stage_quota(apigw, aws, deployed):
    # AWS's default: 10 stages per API.
    api_id, dep = deployed
    have = len(apigw.get_stages(restApiId=api_id)["item"])
    for i in range(10 - have):
        apigw.create_stage(restApiId=api_id, stageName=f"s{i}", deploymentId=dep)
    code, op, msg = cli_error(aws("create-stage", "--rest-api-id", api_id, "--stage-name",
                                  "eleventh", "--deployment-id", dep))
    assert (code, op) == ("LimitExceededException", "CreateStage")
    assert "10" in msg and "stages" in msg, msg
    with pytest.raises(apigw.exceptions.LimitExceededException):
        apigw.create_stage(restApiId=api_id, stageName="eleventh", deploymentId=dep)
    _, _, status, _ = boto_error(apigw.create_stage, restApiId=api_id, stageName="eleventh",
                                 deploymentId=dep)
    assert status == 429
    # Nothing changed; redeploying an existing stage is not a new stage.
    assert len(apigw.get_stages(restApiId=api_id)["item"]) == 10
    apigw.create_deployment(restApiId=api_id, stageName="s0")
    for i in range(10 - have):
        apigw.delete_stage(restApiId=api_id, stageName=f"s{i}")


@pytest.fixture(scope="module")
def throttled():
    """A gateway whose admin API allows each access key a burst of 2, then one request per 10 s."""
    with tempfile.TemporaryDirectory(prefix="tollgate-py-throttle-") as tmp:
        gw = Gateway(Path(tmp) / "data",
                     config=config_text(rate_limit_per_second=0.1, rate_limit_burst=2))
        try:
            yield gw
        finally:
            gw.stop()


def test_too_many_requests_429_with_retry_after(throttled):
    aws = cli_runner(throttled.admin_url)
    for _ in range(2):
        rc, _, err = aws("get-rest-apis")
        assert rc == 0, err
    code, op, msg = cli_error(aws("get-rest-apis"))
    assert (code, op, msg) == ("TooManyRequestsException", "GetRestApis", "Too Many Requests")
    apigw = client(throttled.admin_url)
    with pytest.raises(apigw.exceptions.TooManyRequestsException):
        apigw.get_rest_apis()
    code, _, status, r = boto_error(apigw.get_rest_apis)
    assert (code, status) == ("TooManyRequestsException", 429)
    retry_after = int(r["ResponseMetadata"]["HTTPHeaders"]["retry-after"])
    assert 1 <= retry_after <= 10
    # The bucket is per access key: the read-only key still has its own burst.
    assert client(throttled.admin_url, READ_ONLY).get_rest_apis()["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    # /ping is never throttled.
    conn = http.client.HTTPConnection(throttled.admin, timeout=5)
    conn.request("GET", "/ping")
    assert conn.getresponse().status == 200
    conn.close()


def test_stage_variable_patch_reaches_data_plane_without_restart(apigw, aws, gateway):
    one, srv_one = start_backend("one")
    two, srv_two = start_backend("two")
    try:
        api_id, _, _ = build(apigw, one)
        apigw.create_deployment(restApiId=api_id, stageName="live", variables={"backend": one})
        host = f"{api_id}.execute-api.{REGION}.amazonaws.com"
        conn = http.client.HTTPConnection(gateway.listen, timeout=10)

        def call():
            conn.request("POST", "/live/proxy", body=b"x",
                         headers={"Host": host, "Content-Type": "text/plain"})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, body
            assert (r.getheader("Connection") or "").lower() != "close"
            return json.loads(body)["name"]

        assert call() == "one"
        sock = conn.sock
        rc, out, err = aws("update-stage", "--rest-api-id", api_id, "--stage-name", "live",
                           "--patch-operations", f"op=replace,path=/variables/backend,value={two}")
        assert rc == 0, err
        assert json.loads(out)["variables"]["backend"] == two
        assert call() == "two"
        assert conn.sock is sock, "the same keep-alive connection"
        conn.close()
    finally:
        srv_one.shutdown()
        srv_two.shutdown()
