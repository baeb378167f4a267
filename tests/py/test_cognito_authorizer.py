"""COGNITO_USER_POOLS authorizers end to end, against moto_server's cognito-idp: a user pool, an
app client and a user; ID and access tokens from AdminInitiateAuth; tokens with custom claims,
scopes and expiry minted with moto's bundled private key (moto signs every pool's tokens with
it, kid "dummy"). The gateway fetches the pool's JWKS from moto through
AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, while tokens carry AWS's issuer. Runs on both
drivers."""

import gzip
import json
import tempfile
import time
from pathlib import Path

import base64
import hashlib
import hmac

import boto3
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import REGION, Gateway, config_text, free_port, moto_server, start_backend

import moto

MOTO_KEY = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
SCOPE = "aws.cognito.signin.user.admin"


def cognito(url):
    return boto3.client("cognito-idp", endpoint_url=url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def make_pool(idp, name):
    pool = idp.create_user_pool(PoolName=name)["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName=f"{name}-app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    idp.admin_create_user(UserPoolId=pool["Id"], Username="alice", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "alice@example.com"}])
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username="alice",
                                Password="Secret-Passw0rd!", Permanent=True)
    auth = idp.admin_initiate_auth(
        UserPoolId=pool["Id"], ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Secret-Passw0rd!"},
    )["AuthenticationResult"]
    return {"id": pool["Id"], "arn": pool["Arn"], "client": client["ClientId"],
            "id_token": auth["IdToken"], "access_token": auth["AccessToken"]}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode(token):
    """A token's claims, unverified."""
    return json.loads(unb64url(token.split(".")[1]))


def moto_private_key():
    """moto's bundled signing key (a private JWK) as a cryptography key, and its kid."""
    keys = json.loads(gzip.open(MOTO_KEY).read())
    k = keys["keys"][0] if "keys" in keys else keys
    n, e, d = (int.from_bytes(unb64url(k[f]), "big") for f in ("n", "e", "d"))
    # The JWK holds n, e and d only: the primes and CRT values are recovered from them.
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    private = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n))
    return private.private_key(), k.get("kid", "dummy")


def encode(claims, header, sign):
    signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signed}.{b64url(sign(signed.encode()))}"


def rs256(claims, kid):
    key, _ = moto_private_key()
    return encode(claims, {"alg": "RS256", "kid": kid},
                  lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA256()))


def mint(pool, **claims):
    """A token for `pool` signed with moto's key; `claims` override an ID token's."""
    _, kid = moto_private_key()
    now = int(time.time())
    body = {"sub": "minted-sub", "aud": pool["client"], "token_use": "id",
            "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{pool['id']}",
            "cognito:username": "minted", "auth_time": now, "iat": now, "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return rs256(body, kid)


def api_doc(pool_arn, backend, client_id):
    echo = {
        "type": "http", "httpMethod": "POST", "uri": f"http://{backend}/echo",
        "passthroughBehavior": "never",
        "requestTemplates": {"application/json": json.dumps({
            "sub": "$context.authorizer.claims.sub",
            "user": "$context.authorizer.claims['cognito:username']",
            "use": "$context.authorizer.claims.token_use",
            "exp": "$context.authorizer.claims.exp",
        })},
        "responses": {"default": {"statusCode": "200"}},
    }
    scheme = {"type": "apiKey", "name": "Authorization", "in": "header",
              "x-amazon-apigateway-authtype": "cognito_user_pools",
              "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools",
                                                 "providerARNs": [pool_arn]}}
    pinned = json.loads(json.dumps(scheme))
    pinned["name"] = "X-Id-Token"
    pinned["x-amazon-apigateway-authorizer"]["identityValidationExpression"] = client_id
    pinned["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] = 0

    def op(security):
        return {"security": [security], "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": echo}
    return {
        "openapi": "3.0.1", "info": {"title": "cognito-authorizer", "version": "1"},
        "paths": {
            "/hello": {"get": op({"pool": []})},
            "/scoped": {"get": op({"pool": [SCOPE, "pets/read"]})},
            "/pinned": {"get": op({"pinned": []})},
            "/open": {"get": {"responses": {"200": {"description": "ok"}},
                              "x-amazon-apigateway-integration": echo}},
        },
        "components": {"securitySchemes": {"pool": scheme, "pinned": pinned}},
    }


@pytest.fixture(scope="module")
def moto_url():
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def pools(moto_url):
    idp = cognito(moto_url)
    return make_pool(idp, "main"), make_pool(idp, "other")


@pytest.fixture(scope="module")
def echo():
    addr, srv = start_backend("echo")
    yield addr
    srv.shutdown()


def gateway_config(driver):
    return config_text() + f'\n[server]\ndriver = "{driver}"\n'


def start(moto_endpoint, driver):
    tmp = tempfile.TemporaryDirectory(prefix="tollgate-cognito-")
    gw = Gateway(Path(tmp.name) / "data", config=gateway_config(driver),
                 extra_env={"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": moto_endpoint})
    return gw, tmp


def admin(gw):
    return boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                        aws_access_key_id="AKIDTOLLGATETEST0000",
                        aws_secret_access_key="tollgate-test-secret")


@pytest.fixture(scope="module", params=["uring", "epoll"])
def deployed(request, moto_url, pools, echo):
    gw, tmp = start(moto_url, request.param)
    try:
        api = admin(gw).import_rest_api(
            body=json.dumps(api_doc(pools[0]["arn"], echo, pools[0]["client"])).encode())["id"]
        admin(gw).create_deployment(restApiId=api, stageName="prod")
        yield gw, api
    finally:
        gw.stop()
        tmp.cleanup()


def call(gw, api, path, token=None, header="Authorization"):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers[header] = token
    status, body, _ = gw.invoke(api, "GET", f"/prod{path}", headers=headers)
    return status, body


def claims_seen(body):
    return json.loads(json.loads(body)["body"])


def test_an_id_token_opens_an_unscoped_method_and_its_claims_reach_the_backend(deployed, pools):
    gw, api = deployed
    for token in [pools[0]["id_token"], "Bearer " + pools[0]["id_token"]]:
        status, body = call(gw, api, "/hello", token)
        assert status == 200, body
        seen = claims_seen(body)
        got = decode(pools[0]["id_token"])
        assert seen["sub"] == got["sub"]
        assert seen["user"] == "alice"
        assert seen["use"] == "id"
        # AWS passes exp on as Java's Date.toString() in UTC.
        assert seen["exp"] == time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(got["exp"]))
    # Cached: a repeat answers the same.
    for _ in range(20):
        assert call(gw, api, "/hello", pools[0]["id_token"])[0] == 200


def test_missing_empty_and_malformed_tokens_are_401(deployed):
    gw, api = deployed
    for token in [None, "", "Bearer ", "not-a-jwt", "a.b.c", "x" * 9000]:
        status, body = call(gw, api, "/hello", token)
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), token
    assert call(gw, api, "/open")[0] == 200


def test_an_access_token_needs_a_scoped_method(deployed, pools):
    gw, api = deployed
    # No authorizationScopes: API Gateway takes ID tokens only.
    assert call(gw, api, "/hello", pools[0]["access_token"])[0] == 401
    # With scopes: an access token holding one of them; the ID token is refused.
    assert call(gw, api, "/scoped", pools[0]["access_token"])[0] == 200
    assert call(gw, api, "/scoped", pools[0]["id_token"])[0] == 401
    base = {"token_use": "access", "aud": None, "client_id": pools[0]["client"]}
    assert call(gw, api, "/scoped", mint(pools[0], scope="openid pets/read", **base))[0] == 200
    assert call(gw, api, "/scoped", mint(pools[0], scope="pets/write", **base))[0] == 401
    assert call(gw, api, "/scoped", mint(pools[0], **base))[0] == 401


def test_tampered_expired_and_not_yet_valid_tokens_are_401(deployed, pools):
    gw, api = deployed
    head, payload, sig = pools[0]["id_token"].split(".")
    claims = decode(pools[0]["id_token"])
    claims["sub"] = "mallory"
    forged = b64url(json.dumps(claims).encode())
    assert call(gw, api, "/hello", f"{head}.{forged}.{sig}")[0] == 401
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    assert call(gw, api, "/hello", f"{head}.{payload}.{flipped}")[0] == 401
    now = int(time.time())
    assert call(gw, api, "/hello", mint(pools[0]))[0] == 200
    assert call(gw, api, "/hello", mint(pools[0], exp=now - 5))[0] == 401
    assert call(gw, api, "/hello", mint(pools[0], nbf=now + 600))[0] == 401
    # alg none, and HS256 keyed with the pool's public JWKS.
    claims["sub"] = decode(pools[0]["id_token"])["sub"]
    unsigned = encode(claims, {"alg": "none", "kid": "dummy"}, lambda m: b"")
    assert call(gw, api, "/hello", unsigned)[0] == 401
    # The pool's public JWKS (as served) as the HMAC secret: the classic key confusion.
    _, kid = moto_private_key()
    jwks = gzip.open(MOTO_KEY.with_name("jwks-public.json.gz")).read()
    for secret in [jwks, json.dumps(json.loads(jwks)["keys"][0]).encode()]:
        hs = encode(claims, {"alg": "HS256", "kid": kid},
                    lambda m: hmac.new(secret, m, hashlib.sha256).digest())
        assert call(gw, api, "/hello", hs)[0] == 401


def test_tokens_of_another_pool_or_issuer_are_401(deployed, pools, moto_url):
    gw, api = deployed
    # Same signing key in moto, another pool: the issuer decides.
    assert call(gw, api, "/hello", pools[1]["id_token"])[0] == 401
    # The endpoint that served the keys is not the issuer.
    assert call(gw, api, "/hello", mint(pools[0], iss=f"{moto_url}/{pools[0]['id']}"))[0] == 401
    # An unknown kid: a (rate-limited) refresh, then 401.
    other_kid = rs256(decode(mint(pools[0])), "rotated")
    assert call(gw, api, "/hello", other_kid)[0] == 401


def test_identity_validation_expression_pins_the_app_client(deployed, pools):
    gw, api = deployed
    ok = mint(pools[0])
    other_client = mint(pools[0], aud="another-app-client")
    assert call(gw, api, "/pinned", ok, header="X-Id-Token")[0] == 200
    # The header the scheme names, not Authorization.
    assert call(gw, api, "/pinned", ok)[0] == 401
    assert call(gw, api, "/pinned", other_client, header="X-Id-Token")[0] == 401
    # Any client of the pool opens a method without the expression.
    assert call(gw, api, "/hello", other_client)[0] == 200


def test_management_api_authorizer(deployed, pools):
    gw, api = deployed
    apigw = admin(gw)
    rest = apigw.create_rest_api(name="cognito-mgmt")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=rest)["items"] if r["path"] == "/")
    auth = apigw.create_authorizer(restApiId=rest, name="pool", type="COGNITO_USER_POOLS",
                                   providerARNs=[pools[0]["arn"]],
                                   identitySource="method.request.header.Authorization")["id"]
    res = apigw.create_resource(restApiId=rest, parentId=root, pathPart="who")["id"]
    apigw.put_method(restApiId=rest, resourceId=res, httpMethod="GET",
                     authorizationType="COGNITO_USER_POOLS", authorizerId=auth)
    apigw.put_integration(restApiId=rest, resourceId=res, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=rest, resourceId=res, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=rest, resourceId=res, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json":
                           '{"user": "$context.authorizer.claims[\'cognito:username\']"}'})
    apigw.create_deployment(restApiId=rest, stageName="prod")
    status, body = call(gw, rest, "/who", pools[0]["id_token"])
    assert (status, json.loads(body)) == (200, {"user": "alice"}), body
    assert call(gw, rest, "/who", pools[1]["id_token"])[0] == 401
    # A second authorizer trusting only the other pool: pool 0's token, verified and cached on
    # this core by the calls above, does not open it; the expression pins the app client.
    other = apigw.create_authorizer(restApiId=rest, name="other", type="COGNITO_USER_POOLS",
                                    providerARNs=[pools[1]["arn"]],
                                    identityValidationExpression=pools[1]["client"],
                                    identitySource="method.request.header.Authorization")["id"]
    res2 = apigw.create_resource(restApiId=rest, parentId=root, pathPart="other")["id"]
    apigw.put_method(restApiId=rest, resourceId=res2, httpMethod="GET",
                     authorizationType="COGNITO_USER_POOLS", authorizerId=other)
    apigw.put_integration(restApiId=rest, resourceId=res2, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=rest, resourceId=res2, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=rest, resourceId=res2, httpMethod="GET",
                                   statusCode="200", responseTemplates={"application/json": "{}"})
    apigw.create_deployment(restApiId=rest, stageName="prod")
    assert call(gw, rest, "/other", pools[0]["id_token"])[0] == 401
    assert call(gw, rest, "/other", pools[1]["id_token"])[0] == 200
    assert call(gw, rest, "/other", mint(pools[1], aud="not-the-app"))[0] == 401
    assert call(gw, rest, "/who", pools[0]["id_token"])[0] == 200
    # REQUEST authorizers take no validation expression.
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.create_authorizer(restApiId=rest, name="req", type="REQUEST",
                                authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/"
                                "2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:"
                                "function:f/invocations",
                                identitySource="method.request.header.A",
                                identityValidationExpression="x")


def test_an_unreachable_jwks_endpoint_fails_closed(pools, echo):
    down = f"http://127.0.0.1:{free_port()}"
    gw, tmp = start(down, "epoll")
    try:
        api = admin(gw).import_rest_api(
            body=json.dumps(api_doc(pools[0]["arn"], echo, pools[0]["client"])).encode())["id"]
        admin(gw).create_deployment(restApiId=api, stageName="prod")
        for token in [pools[0]["id_token"], mint(pools[0])]:
            status, body = call(gw, api, "/hello", token)
            assert status == 500, body
        assert call(gw, api, "/hello", "garbage")[0] == 401
        assert call(gw, api, "/open")[0] == 200
        assert "JWKS" in gw.log()
    finally:
        gw.stop()
        tmp.cleanup()


# LocalStack's cognito-auth document and aws-samples' URL shortener: test_real_authorizer_docs.py.
