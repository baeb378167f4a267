"""The same boto3 script against moto_server (an AWS emulator) and against Tollgate: the response
fields of each call must match in shape. AWS's documentation (botocore's service model, the
output shape's members) is the referee: Tollgate may only return documented members; every
documented member moto returns, Tollgate returns too, unless listed below with the reason; and
members moto returns that the documentation does not have are moto's own and ignored."""

import botocore.session
import pytest

from conftest import client

# Documented members moto returns that Tollgate leaves out, and why. Documentation wins: each is
# optional in AWS's output shape and AWS itself leaves it out when empty or unset, where moto
# returns an empty value.
ALLOWED_MISSING = {
    # moto: "binaryMediaTypes": [], "tags": {}, "version": null; AWS omits unset members.
    "create_rest_api": {"binaryMediaTypes", "tags", "version"},
    "create_resource": set(),
    # moto: "methodResponses": {} on a new method; AWS omits it until a method response exists.
    "put_method": {"methodResponses"},
    "put_integration": set(),
    "create_deployment": set(),
    "get_stages": set(),
}


def documented(op):
    model = botocore.session.get_session().get_service_model("apigateway")
    name = "".join(p.capitalize() for p in op.split("_"))
    return set(model.operation_model(name).output_shape.members)


def script(apigw):
    """The calls compared, in order; returns {operation: response keys}."""
    out = {}

    def keep(op, r):
        r = dict(r)
        r.pop("ResponseMetadata", None)
        out[op] = r
        return r

    api = keep("create_rest_api", apigw.create_rest_api(name="shapes", description="d"))
    root = next(r["id"] for r in apigw.get_resources(restApiId=api["id"])["items"]
                if r["path"] == "/")
    res = keep("create_resource", apigw.create_resource(restApiId=api["id"], parentId=root,
                                                        pathPart="pets"))
    keep("put_method", apigw.put_method(restApiId=api["id"], resourceId=res["id"],
                                        httpMethod="GET", authorizationType="NONE"))
    keep("put_integration", apigw.put_integration(
        restApiId=api["id"], resourceId=res["id"], httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'}))
    apigw.put_method_response(restApiId=api["id"], resourceId=res["id"], httpMethod="GET",
                              statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=res["id"], httpMethod="GET",
                                   statusCode="200")
    keep("create_deployment", apigw.create_deployment(restApiId=api["id"], stageName="prod"))
    stages = keep("get_stages", apigw.get_stages(restApiId=api["id"]))
    out["get_stages.item"] = stages["item"][0]
    return out


@pytest.mark.parametrize("op", sorted(ALLOWED_MISSING))
def test_response_fields_match_moto(op, gateway, moto, shapes):
    ours, theirs = shapes
    doc = documented(op)
    mine, moto_keys = set(ours[op]), set(theirs[op])
    undocumented = mine - doc
    assert not undocumented, f"{op}: Tollgate returns members AWS does not document: {undocumented}"
    missing = (moto_keys & doc) - mine - ALLOWED_MISSING[op]
    assert not missing, f"{op}: documented members moto returns and Tollgate lacks: {missing}"


def test_stage_item_fields_match_moto(shapes):
    ours, theirs = shapes
    model = botocore.session.get_session().get_service_model("apigateway")
    doc = set(model.shape_for("Stage").members)
    mine, moto_keys = set(ours["get_stages.item"]), set(theirs["get_stages.item"])
    assert not (mine - doc), mine - doc
    # AWS leaves out an empty `variables` map; moto returns {}.
    allowed = {"variables", "cacheClusterStatus", "methodSettings", "tracingEnabled", "cacheClusterSize",
               "cacheClusterEnabled", "accessLogSettings", "clientCertificateId",
               "webAclArn", "canarySettings", "documentationVersion", "tags", "description"}
    missing = (moto_keys & doc) - mine - allowed
    assert not missing, missing


@pytest.fixture(scope="module")
def shapes(gateway, moto):
    return script(client(gateway.admin_url)), script(client(moto))
