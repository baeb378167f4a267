"""Issue 11's real-document check: documents other projects publish deploy on Tollgate and their
authorizers are enforced, called through the gateway with real tokens.

- LocalStack's `petstore-authorizer.swagger.json`: a TOKEN Lambda authorizer (the fixture
  `token_authorizer` under cargo-lambda; its `authorizerCredentials` role assumed through moto's
  STS) with `identityValidationExpression` `^x-[a-z]+` and a 60 s result TTL on some methods,
  others open.
- LocalStack's `openapi.cognito-auth.json`: two user-pool authorizers on a custom header
  (`TestHeaderAuth`), method scopes overriding the document's `security` scopes.
- aws-samples' URL shortener (`api.yaml`, the `DefinitionBody` its SAM template includes): a
  Cognito user pool authorizer in front of DynamoDB service integrations whose templates key
  every link by `$context.authorizer.claims.email`, with request validators.

Placeholders are filled the way their authors' tooling fills them (LocalStack's tests substitute
`${uri}` and `${cognito_pool_arn}`; CloudFormation resolves `Fn::Sub` / `Fn::GetAtt`), with
moto's pool, roles and table and a local backend (tests/fixtures/templated/SOURCES.md)."""

import http.client
import json
import tempfile
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.config import Config

from conftest import (CREDENTIALS, REGION, ROOT, Gateway, config_text, lambda_emulator,  # noqa: F401
                      start_backend)
from test_cognito_authorizer import SCOPE, cognito, make_pool, mint

DOCS = ROOT / "tests" / "fixtures" / "templated"
ACCOUNT = "123456789012"
STAGE = "prod"


@pytest.fixture(scope="module")
def backend():
    addr, srv = start_backend("petstore")
    yield addr
    srv.shutdown()


@pytest.fixture(scope="module")
def gw(moto, lambda_emulator):  # noqa: F811 (the fixture imported above)
    config = config_text() + f"""
[aws]
account_id = "{ACCOUNT}"
region = "{REGION}"
access_key_id = "AKIDREALDOCS00000000"
secret_access_key = "real-docs-secret"
[aws.endpoints]
sts = "{moto}"
dynamodb = "{moto}"
cognito-idp = "{moto}"
lambda = "http://127.0.0.1:{lambda_emulator}"
"""
    with tempfile.TemporaryDirectory(prefix="tollgate-real-docs-") as tmp:
        gateway = Gateway(Path(tmp) / "data", config=config)
        try:
            yield gateway
        finally:
            gateway.stop()


@pytest.fixture(scope="module")
def apigw(gw):
    return boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                        aws_access_key_id=CREDENTIALS["key"],
                        aws_secret_access_key=CREDENTIALS["secret"],
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def pool(moto):
    return make_pool(cognito(moto), "real-docs")


def deploy(apigw, body):
    api = apigw.import_rest_api(body=body.encode())["id"]
    apigw.create_deployment(restApiId=api, stageName=STAGE)
    return api


def call(gw, api, method, path, headers=None, body=None):
    status, text, got = gw.invoke(api, method, f"/{STAGE}{path}",
                                  json.dumps(body).encode() if body is not None else None,
                                  headers)
    return status, text, got


def test_localstack_petstore_token_authorizer(gw, apigw, backend):
    doc = (DOCS / "localstack-petstore-authorizer.swagger.json").read_text()
    doc = (doc.replace("${uri}", f"http://{backend}/petstore/pets")
              .replace("account-id:function:function-name", f"{ACCOUNT}:function:token_authorizer")
              .replace("arn:aws:iam::account-id:role", f"arn:aws:iam::{ACCOUNT}:role/authorizer"))
    api = deploy(apigw, doc)

    # Authorizer-protected GET /pets: no token, a token the validation expression refuses (the
    # function is not asked), Allow, explicit Deny, the function's Unauthorized.
    assert call(gw, api, "GET", "/pets")[0] == 401
    status, text, _ = call(gw, api, "GET", "/pets", {"Authorization": "allow"})
    assert (status, json.loads(text)) == (401, {"message": "Unauthorized"}), text
    status, text, _ = call(gw, api, "GET", "/pets?type=dog", {"Authorization": "x-allow"})
    assert status == 200, (text, gw.log())
    echoed = json.loads(text)
    assert echoed["method"] == "GET" and echoed["path"].startswith("/petstore/pets"), echoed
    status, text, _ = call(gw, api, "GET", "/pets", {"Authorization": "x-deny"})
    assert (status, json.loads(text)["message"]) == (
        403, "User is not authorized to access this resource with an explicit deny"), text
    assert call(gw, api, "GET", "/pets", {"Authorization": "x-unauthorized"})[0] == 401

    # The mock root page is protected the same way; POST /pets and GET /pets/{petId} are open.
    assert call(gw, api, "GET", "/")[0] == 401
    status, text, headers = call(gw, api, "GET", "/", {"Authorization": "x-allow"})
    assert status == 200 and "Welcome to your Pet Store API" in text, text
    assert call(gw, api, "POST", "/pets", body={"type": "cat", "price": 1})[0] == 200
    assert call(gw, api, "GET", "/pets/1")[0] == 200

    authorizers = apigw.get_authorizers(restApiId=api)["items"]
    by_name = {a["name"]: a for a in authorizers}
    assert by_name["test-authorizer"]["authorizerResultTtlInSeconds"] == 60
    assert by_name["test-authorizer"]["identityValidationExpression"] == "^x-[a-z]+"


def test_localstack_cognito_auth_with_custom_header_and_scopes(gw, apigw, backend, pool):
    doc = (DOCS / "localstack-openapi.cognito-auth.json").read_text()
    doc = (doc.replace("${cognito_pool_arn}", pool["arn"])
              .replace("http://petstore-demo-endpoint.execute-api.com", f"http://{backend}")
              .replace("http://petstore.execute-api.us-west-1.amazonaws.com", f"http://{backend}"))
    api = deploy(apigw, doc)
    id_token, access = pool["id_token"], pool["access_token"]
    scoped = lambda scope: mint(pool, token_use="access", aud=None,  # noqa: E731
                                client_id=pool["client"], scope=scope)

    # The identity source is the scheme's header: the token elsewhere does not count.
    assert call(gw, api, "GET", "/default-no-scope")[0] == 401
    assert call(gw, api, "GET", "/default-no-scope", {"Authorization": id_token})[0] == 401
    status, text, _ = call(gw, api, "GET", "/default-no-scope", {"TestHeaderAuth": id_token})
    assert status == 200, (text, gw.log())
    # No scopes: an ID token opens the method, an access token does not.
    assert call(gw, api, "GET", "/default-no-scope", {"TestHeaderAuth": access})[0] == 401
    # A method's scopes override the document's; a scoped method wants an access token holding
    # one of them.
    assert call(gw, api, "GET", "/default-scope-override", {"TestHeaderAuth": id_token})[0] == 401
    assert call(gw, api, "GET", "/default-scope-override",
                {"TestHeaderAuth": scoped(f"openid {SCOPE}")})[0] == 200
    assert call(gw, api, "GET", "/default-scope-override",
                {"TestHeaderAuth": scoped("email")})[0] == 401
    assert call(gw, api, "GET", "/non-default-authorizer",
                {"TestHeaderAuth": scoped("email")})[0] == 200
    # The document-level `security` (scope email) guards /pets, an HTTP_PROXY.
    assert call(gw, api, "GET", "/pets", {"TestHeaderAuth": scoped("email")})[0] == 200
    assert call(gw, api, "GET", "/pets", {"TestHeaderAuth": scoped("phone")})[0] == 401
    assert call(gw, api, "GET", "/pets", {"TestHeaderAuth": id_token})[0] == 401


def resolve_intrinsics(node, values):
    """CloudFormation's `Fn::Sub` (`${Name}` from `values`, or from its own map in the list form),
    `Fn::If` (the condition's truth from `values`) and `Fn::GetAtt` ([Resource, Attribute] from `values["Resource.Attribute"]`), as the SAM
    template's deployment resolves them."""
    if isinstance(node, dict):
        if set(node) == {"Fn::Sub"}:
            text, local = node["Fn::Sub"], {}
            if isinstance(text, list):  # [template, {name: value}]
                text, local = text[0], resolve_intrinsics(text[1], values)
            for name, value in {**values, **local}.items():
                if not isinstance(value, str):
                    continue
                text = text.replace("${" + name + "}", value)
            return text
        if set(node) == {"Fn::If"}:
            condition, then, otherwise = node["Fn::If"]
            return resolve_intrinsics(then if values[condition] else otherwise, values)
        if set(node) == {"Fn::GetAtt"}:
            resource, attr = node["Fn::GetAtt"]
            return values[f"{resource}.{attr}"]
        return {k: resolve_intrinsics(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_intrinsics(v, values) for v in node]
    return node


def test_aws_samples_url_shortener_keys_links_by_the_callers_email(gw, apigw, moto, pool):
    ddb = boto3.client("dynamodb", endpoint_url=moto, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    ddb.create_table(
        TableName="LinkTable", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                              {"AttributeName": "owner", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "OwnerIndex",
                                 "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    # The template's defaults: UseLocalClient 'false', so CORS names the Amplify client domain.
    values = {"IsLocal": False, "AWS::Region": REGION, "LinkTable": "LinkTable",
              "ClientDomain": "https://client.example.com",
              "DDBReadRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/shortener-ddb-read",
              "DDBCrudRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/shortener-ddb-crud",
              "AmplifyApp.DefaultDomain": "client.example.com", "UserPool.Arn": pool["arn"]}
    doc = resolve_intrinsics(yaml.safe_load((DOCS / "url-shortener-api.yaml").read_text()), values)
    api = deploy(apigw, json.dumps(doc))
    # moto's ID tokens carry no user attributes; Cognito's carry `email`, which every template
    # here keys on: the caller's token is minted with it (moto's key, the pool's issuer).
    alice = mint(pool, email="alice@example.com")
    auth = {"Authorization": alice, "Content-Type": "application/json"}

    # Without a token every /app method is refused before DynamoDB is reached.
    assert call(gw, api, "GET", "/app")[0] == 401
    assert call(gw, api, "POST", "/app", {"Content-Type": "application/json"},
                {"id": "x", "url": "https://x.example.com"})[0] == 401
    assert ddb.scan(TableName="LinkTable")["Count"] == 0

    # Create a link: the owner is the token's email claim, written by the request template.
    status, text, _ = call(gw, api, "POST", "/app", auth,
                           {"id": "docs", "url": "https://docs.example.com"})
    assert status == 200, (text, gw.log())
    created = json.loads(text)
    assert (created["id"], created["url"], created["owner"]) == (
        "docs", "https://docs.example.com", "alice@example.com"), created
    item = ddb.get_item(TableName="LinkTable", Key={"id": {"S": "docs"}})["Item"]
    assert item["owner"] == {"S": "alice@example.com"}, item
    # The request validator still applies behind the authorizer.
    status, text, _ = call(gw, api, "POST", "/app", auth, {"id": "nourl"})
    assert status == 400, text

    # List the caller's links (a Query on OwnerIndex by the claim).
    status, text, _ = call(gw, api, "GET", "/app", auth)
    assert status == 200, (text, gw.log())
    assert [link["id"] for link in json.loads(text)] == ["docs"], text

    # The redirector is public (read without following the redirect).
    host, port = gw.listen.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", f"/{STAGE}/docs",
                 headers={"Host": f"{api}.execute-api.{REGION}.amazonaws.com"})
    r = conn.getresponse()
    assert r.status == 301, (r.read(), gw.log())
    assert r.getheader("Location") == "https://docs.example.com", r.getheaders()
    assert r.getheader("Cache-Control") == "max-age=300", r.getheaders()
    conn.close()

    # Delete: a token minted for another user's email matches no item (400, the sample's
    # message); the owner's deletes it.
    other = mint(pool, email="mallory@example.com")
    status, text, _ = call(gw, api, "DELETE", "/app/docs", {"Authorization": other})
    assert status == 400, text
    assert "Item" in ddb.get_item(TableName="LinkTable", Key={"id": {"S": "docs"}})
    status, text, _ = call(gw, api, "DELETE", "/app/docs", {"Authorization": alice})
    assert status == 200, (text, gw.log())
    assert "Item" not in ddb.get_item(TableName="LinkTable", Key={"id": {"S": "docs"}})
