"""The aws CLI and boto3 against the real binary: build an API from nothing, deploy and invoke it
on the data port, import -> export -> import, AWS's errors (botocore exception types, CLI exit
status and message), and TestInvokeMethod through the real data path."""

import json

import pytest
from botocore.exceptions import ClientError


def root_id(apigw, api_id):
    items = apigw.get_resources(restApiId=api_id)["items"]
    return next(r["id"] for r in items if r["path"] == "/")


def build(apigw, backend):
    """create-rest-api, /hello (MOCK) and /proxy (HTTP_PROXY to `backend` via a stage variable)."""
    api = apigw.create_rest_api(name="from-nothing", description="built by boto3")
    api_id = api["id"]
    root = root_id(apigw, api_id)
    hello = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="hello")
    assert hello["path"] == "/hello"
    apigw.put_method(restApiId=api_id, resourceId=hello["id"], httpMethod="GET",
                     authorizationType="NONE")
    apigw.put_method_response(restApiId=api_id, resourceId=hello["id"], httpMethod="GET",
                              statusCode="200",
                              responseParameters={"method.response.header.X-Built": False})
    integ = apigw.put_integration(restApiId=api_id, resourceId=hello["id"], httpMethod="GET",
                                  type="MOCK",
                                  requestTemplates={"application/json": '{"statusCode": 200}'})
    assert integ["type"] == "MOCK"
    apigw.put_integration_response(restApiId=api_id, resourceId=hello["id"], httpMethod="GET",
                                   statusCode="200",
                                   responseTemplates={"application/json": '{"hello": "world"}'},
                                   responseParameters={"method.response.header.X-Built": "'yes'"})
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="proxy")
    apigw.put_method(restApiId=api_id, resourceId=proxy["id"], httpMethod="POST",
                     authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=proxy["id"], httpMethod="POST",
                          type="HTTP_PROXY", integrationHttpMethod="POST",
                          uri="http://${stageVariables.backend}/echo")
    return api_id, hello["id"], proxy["id"]


@pytest.fixture(scope="module")
def built(apigw, gateway, backend):
    api_id, hello, proxy = build(apigw, backend)
    dep = apigw.create_deployment(restApiId=api_id, stageName="prod",
                                  variables={"backend": backend})
    return {"api": api_id, "hello": hello, "proxy": proxy, "deployment": dep["id"]}


def test_build_deploy_invoke(apigw, gateway, built):
    api = built["api"]
    status, body, headers = gateway.invoke(api, "GET", "/prod/hello")
    assert status == 200, body
    assert json.loads(body) == {"hello": "world"}
    assert headers.get("X-Built") == "yes"
    status, body, headers = gateway.invoke(api, "POST", "/prod/proxy", body=b"ping",
                                           headers={"Content-Type": "text/plain"})
    assert status == 200, body
    seen = json.loads(body)
    assert seen["backend"] and seen["path"] == "/echo" and seen["body"] == "ping"
    stage = apigw.get_stage(restApiId=api, stageName="prod")
    assert stage["deploymentId"] == built["deployment"]
    assert stage["variables"]["backend"]
    # Unknown paths look like AWS's: 403 Missing Authentication Token.
    status, body, _ = gateway.invoke(api, "GET", "/prod/nope")
    assert status == 403 and "Missing Authentication Token" in body


def test_cli_lists_what_boto3_built(aws, built):
    rc, out, err = aws("get-resources", "--rest-api-id", built["api"], "--embed", "methods")
    assert rc == 0, err
    paths = {r["path"] for r in json.loads(out)["items"]}
    assert {"/", "/hello", "/proxy"} <= paths
    rc, out, err = aws("get-stages", "--rest-api-id", built["api"])
    assert rc == 0, err
    assert [s["stageName"] for s in json.loads(out)["item"]] == ["prod"]


def test_import_export_import_round_trip(apigw, built):
    first = apigw.get_export(restApiId=built["api"], stageName="prod", exportType="oas30",
                             parameters={"extensions": "integrations"},
                             accepts="application/json")["body"].read()
    doc = json.loads(first)
    assert set(doc["paths"]) == {"/hello", "/proxy"}
    imported = apigw.import_rest_api(body=first, failOnWarnings=True)
    again_dep = apigw.create_deployment(restApiId=imported["id"], stageName="copy",
                                        variables={"backend": "127.0.0.1:9"})
    assert again_dep["id"]
    second = apigw.get_export(restApiId=imported["id"], stageName="copy", exportType="oas30",
                              parameters={"extensions": "integrations"},
                              accepts="application/json")["body"].read()
    a, b = json.loads(first), json.loads(second)
    assert a["paths"] == b["paths"], "the same API after a round trip"
    assert a["info"]["title"] == b["info"]["title"]
    # Byte-stable: the same input exports the same bytes.
    third = apigw.get_export(restApiId=imported["id"], stageName="copy", exportType="oas30",
                             parameters={"extensions": "integrations"},
                             accepts="application/json")["body"].read()
    assert second == third


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_errors_map_to_botocore_exceptions(apigw, built):
    code, msg, status = error_of(apigw.get_rest_api, restApiId="nope")
    assert (code, status) == ("NotFoundException", 404)
    assert msg == "Invalid API identifier specified 000000000000:nope"
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_resource(restApiId=built["api"], resourceId="nope")
    empty = apigw.create_rest_api(name="empty")
    code, msg, status = error_of(apigw.create_deployment, restApiId=empty["id"], stageName="s")
    assert (code, status) == ("BadRequestException", 400), msg
    root = root_id(apigw, built["api"])
    code, msg, status = error_of(apigw.create_resource, restApiId=built["api"], parentId=root,
                                 pathPart="hello")
    assert (code, status) == ("ConflictException", 409), msg
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.put_integration(restApiId=built["api"], resourceId=built["hello"],
                              httpMethod="GET", type="NOT_A_TYPE")


def test_cli_exit_status_and_message(aws, built):
    # A service error exits 254 with aws CLI v2 and 255 with v1 (pip's awscli), as against AWS.
    rc, out, err = aws("get-rest-api", "--rest-api-id", "nope")
    assert rc in (254, 255), (rc, err)
    assert ("An error occurred (NotFoundException) when calling the GetRestApi operation: "
            "Invalid API identifier specified 000000000000:nope") in err
    rc, out, err = aws("create-resource", "--rest-api-id", built["api"], "--parent-id",
                       "nope", "--path-part", "x")
    assert rc in (254, 255) and "(NotFoundException)" in err, err
    # A missing required parameter never reaches the server: 252 (v2) or argparse's 2 (v1).
    rc, out, err = aws("get-rest-api")
    assert rc in (2, 252) and "rest-api-id" in err, (rc, err)


def test_test_invoke_method_mock(apigw, built):
    r = apigw.test_invoke_method(restApiId=built["api"], resourceId=built["hello"],
                                 httpMethod="GET", pathWithQueryString="/hello?x=1")
    assert r["status"] == 200, r
    assert json.loads(r["body"]) == {"hello": "world"}
    assert r["headers"].get("X-Built") == "yes"
    assert r["multiValueHeaders"]["X-Built"] == ["yes"]
    assert isinstance(r["latency"], int)
    log = r["log"]
    assert log.startswith("Execution log for request ")
    assert "Starting execution for request:" in log
    assert "Method request query string: {x=1}" in log
    assert log.rstrip().endswith("Method completed with status: 200")


def test_test_invoke_method_http_proxy_with_stage_variables(apigw, built, backend, aws):
    # Runs the current definition (no deployment needed) with the caller's stage variables.
    r = apigw.test_invoke_method(restApiId=built["api"], resourceId=built["proxy"],
                                 httpMethod="POST", pathWithQueryString="/proxy",
                                 body="hi", headers={"Content-Type": "text/plain"},
                                 stageVariables={"backend": backend})
    assert r["status"] == 200, r
    assert json.loads(r["body"])["body"] == "hi"
    assert r["headers"].get("X-Backend") == "yes"
    assert f"Endpoint request URI: http://{backend}/echo" in r["log"]
    rc, out, err = aws("test-invoke-method", "--rest-api-id", built["api"], "--resource-id",
                       built["hello"], "--http-method", "GET")
    assert rc == 0, err
    assert json.loads(out)["status"] == 200
    code, _, status = error_of(apigw.test_invoke_method, restApiId=built["api"],
                               resourceId=built["hello"], httpMethod="DELETE")
    assert (code, status) == ("NotFoundException", 404)
