"""AWS service integrations (`type: aws`, not Lambda) through the real gateway to moto_server, read
back with boto3: SQS SendMessage by action (a form body from a request template), DynamoDB PutItem
and GetItem (JSON protocol: X-Amz-Target and Content-Type from requestParameters), and Kinesis
PutRecord. The gateway signs each call with SigV4 for the ARN's service and region; moto picks the
service from that signature's credential scope, so a wrong or missing signature would not reach
SQS or DynamoDB at all (an unsigned request goes to moto's S3)."""

import json
import tempfile
from pathlib import Path

import boto3
import pytest

from conftest import REGION, Gateway, config_text, moto_server

KEY = {"id": "AKIDSERVICETEST00000", "secret": "service-test-secret"}


def uri(service, kind, rest):
    return f"arn:aws:apigateway:{REGION}:{service}:{kind}/{rest}"


def api_doc(queue_url):
    sqs_template = ("Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
                    f"&QueueUrl=$util.urlEncode('{queue_url}')")
    put_item = ('{"TableName": "pets", "Item": {"id": {"S": "$input.path(\'$.id\')"}, '
                '"name": {"S": "$input.path(\'$.name\')"}}}')
    get_item = '{"TableName": "pets", "Key": {"id": {"S": "$input.params(\'id\')"}}}'
    shown = '{"name": "$input.path(\'$.Item.name.S\')"}'
    put_record = ('{"StreamName": "events", "PartitionKey": "k", '
                  '"Data": "$util.base64Encode($input.body)"}')
    ok = {"200": {"description": "ok"}}
    return json.dumps({
        "openapi": "3.0.1",
        "info": {"title": "services", "version": "1"},
        "paths": {
            "/queue": {"post": {"responses": ok, "x-amazon-apigateway-integration": {
                "type": "aws", "httpMethod": "POST", "uri": uri("sqs", "action", "SendMessage"),
                "passthroughBehavior": "never",
                "requestParameters": {
                    "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
                "requestTemplates": {"application/json": sqs_template},
                "responses": {"default": {"statusCode": "200"}}}}},
            "/pets": {"post": {"responses": ok, "x-amazon-apigateway-integration": {
                "type": "aws", "httpMethod": "POST", "uri": uri("dynamodb", "action", "PutItem"),
                "requestParameters": {
                    "integration.request.header.X-Amz-Target": "'DynamoDB_20120810.PutItem'",
                    "integration.request.header.Content-Type": "'application/x-amz-json-1.0'"},
                "requestTemplates": {"application/json": put_item},
                "responses": {"default": {"statusCode": "200"}}}}},
            "/pets/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": ok, "x-amazon-apigateway-integration": {
                    "type": "aws", "httpMethod": "POST",
                    "uri": uri("dynamodb", "action", "GetItem"),
                    "requestParameters": {
                        "integration.request.header.X-Amz-Target": "'DynamoDB_20120810.GetItem'",
                        "integration.request.header.Content-Type": "'application/x-amz-json-1.0'"},
                    "requestTemplates": {"application/json": get_item},
                    "responses": {"default": {"statusCode": "200",
                                              "responseTemplates": {"application/json": shown}}}}}},
            "/events": {"post": {"responses": ok, "x-amazon-apigateway-integration": {
                "type": "aws", "httpMethod": "POST", "uri": uri("kinesis", "action", "PutRecord"),
                "requestParameters": {
                    "integration.request.header.X-Amz-Target": "'Kinesis_20131202.PutRecord'",
                    "integration.request.header.Content-Type": "'application/x-amz-json-1.1'"},
                "requestTemplates": {"application/json": put_record},
                "responses": {"default": {"statusCode": "200"}}}}},
        },
    })


@pytest.fixture(scope="module")
def setup(moto):
    def boto(service):
        return boto3.client(service, endpoint_url=moto, region_name=REGION,
                            aws_access_key_id=KEY["id"], aws_secret_access_key=KEY["secret"])
    sqs, ddb, kinesis = boto("sqs"), boto("dynamodb"), boto("kinesis")
    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    ddb.create_table(TableName="pets", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    kinesis.create_stream(StreamName="events", ShardCount=1)
    config = config_text() + f"""
[aws]
account_id = "123456789012"
region = "{REGION}"
access_key_id = "{KEY['id']}"
secret_access_key = "{KEY['secret']}"
[aws.endpoints]
sqs = "{moto}"
dynamodb = "{moto}"
kinesis = "{moto}"
"""
    with tempfile.TemporaryDirectory(prefix="tollgate-svc-") as tmp:
        gw = Gateway(Path(tmp) / "data", config=config)
        try:
            apigw = boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                                 aws_access_key_id="AKIDTOLLGATETEST0000",
                                 aws_secret_access_key="tollgate-test-secret")
            api = apigw.import_rest_api(body=api_doc(queue).encode())["id"]
            apigw.create_deployment(restApiId=api, stageName="prod")
            yield gw, api, sqs, ddb, kinesis, queue
        finally:
            gw.stop()


def test_sqs_send_message_by_action(setup):
    gw, api, sqs, _, _, queue = setup
    status, body, _ = gw.invoke(api, "POST", "/prod/queue", b'{"order": 42}',
                                {"Content-Type": "application/json"})
    assert status == 200, body
    assert "SendMessageResponse" in body and "MessageId" in body, body
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ['{"order": 42}']


def test_dynamodb_put_and_get_item(setup):
    gw, api, _, ddb, _, _ = setup
    status, body, _ = gw.invoke(api, "POST", "/prod/pets", b'{"id": "p1", "name": "Rex"}',
                                {"Content-Type": "application/json"})
    assert status == 200, body
    item = ddb.get_item(TableName="pets", Key={"id": {"S": "p1"}})["Item"]
    assert item == {"id": {"S": "p1"}, "name": {"S": "Rex"}}
    status, body, _ = gw.invoke(api, "GET", "/prod/pets/p1")
    assert (status, json.loads(body)) == (200, {"name": "Rex"}), body


def test_kinesis_put_record(setup):
    gw, api, _, _, kinesis, _ = setup
    status, body, _ = gw.invoke(api, "POST", "/prod/events", b'{"e": 1}',
                                {"Content-Type": "application/json"})
    assert status == 200, body
    assert "SequenceNumber" in json.loads(body), body
    shard = kinesis.describe_stream(StreamName="events")["StreamDescription"]["Shards"][0]
    it = kinesis.get_shard_iterator(StreamName="events", ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=it)["Records"]
    assert [r["Data"] for r in records] == [b'{"e": 1}']


def path_style_doc(queue_url):
    """SQS as the developer guide shows it: the queue in the URI's path, the action in the form
    body."""
    account_and_queue = queue_url.split("/", 3)[3]
    return json.dumps({
        "openapi": "3.0.1",
        "info": {"title": "signed", "version": "1"},
        "paths": {"/queue": {"post": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "aws", "httpMethod": "POST",
                "uri": uri("sqs", "path", account_and_queue),
                "passthroughBehavior": "never",
                "requestParameters": {"integration.request.header.Content-Type":
                                      "'application/x-www-form-urlencoded'"},
                "requestTemplates": {"application/json":
                                     "Action=SendMessage&MessageBody=$input.body"},
                "responses": {"default": {"statusCode": "200"}}}}}},
    })


@pytest.fixture()
def checking_moto():
    """A moto_server that verifies signatures after its first 4 actions (the setup's)."""
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "4"}) as url:
        yield url


def test_signatures_are_checked_a_wrong_secret_fails(checking_moto):
    moto = checking_moto
    setup_key = dict(region_name=REGION, endpoint_url=moto, aws_access_key_id="AKIDSETUP",
                     aws_secret_access_key="setup")
    iam = boto3.client("iam", **setup_key)
    iam.create_user(UserName="gw")                                        # 1
    key = iam.create_access_key(UserName="gw")["AccessKey"]               # 2
    iam.put_user_policy(UserName="gw", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))  # 3
    queue = boto3.client("sqs", **setup_key).create_queue(QueueName="signed")["QueueUrl"]  # 4
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto,
                       aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])

    def send(secret):
        config = config_text() + f"""
[aws]
access_key_id = "{key['AccessKeyId']}"
secret_access_key = "{secret}"
[aws.endpoints]
sqs = "{moto}"
"""
        with tempfile.TemporaryDirectory(prefix="tollgate-sig-") as tmp:
            gw = Gateway(Path(tmp) / "data", config=config)
            try:
                apigw = boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                                     aws_access_key_id="AKIDTOLLGATETEST0000",
                                     aws_secret_access_key="tollgate-test-secret")
                api = apigw.import_rest_api(body=path_style_doc(queue).encode())["id"]
                apigw.create_deployment(restApiId=api, stageName="prod")
                # Alphanumeric: moto re-encodes form fields before it verifies.
                return gw.invoke(api, "POST", "/prod/queue", b"hello",
                                 {"Content-Type": "application/json"})
            finally:
                gw.stop()

    status, body, _ = send(key["SecretAccessKey"])
    assert status == 200 and "MessageId" in body, body
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["hello"]
    # The default integration response passes SQS's refusal through, as on AWS.
    status, body, _ = send("not-the-secret")
    assert "SignatureDoesNotMatch" in body, body


@pytest.fixture()
def role_moto():
    """A signature-checking moto_server where the gateway's own user may only assume roles, and
    the role `apigw-sqs` may use SQS; `not-for-gw` trusts someone else (8 setup actions run
    unchecked)."""
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "8"}) as url:
        setup_key = dict(region_name=REGION, endpoint_url=url, aws_access_key_id="AKIDSETUP",
                         aws_secret_access_key="setup")
        iam = boto3.client("iam", **setup_key)
        iam.create_user(UserName="gw")                                                    # 1
        key = iam.create_access_key(UserName="gw")["AccessKey"]                           # 2
        iam.put_user_policy(UserName="gw", PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Resource": "*"}]}))                                           # 3
        role = iam.create_role(RoleName="apigw-sqs", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           # moto matches the principal exactly (no account-root rule).
                           "Principal": {"AWS": "arn:aws:iam::123456789012:user/gw"}}]}))["Role"]  # 4
        iam.put_role_policy(RoleName="apigw-sqs", PolicyName="sqs", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))     # 5
        sqs = boto3.client("sqs", **setup_key)
        queue = sqs.create_queue(QueueName="via-role")["QueueUrl"]                        # 6
        sqs.get_queue_url(QueueName="via-role")                                           # 7
        iam.create_role(RoleName="not-for-gw", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {"AWS": "arn:aws:iam::123456789012:user/other"}}]}))  # 8
        yield url, key, role["Arn"], queue


def test_an_integration_role_is_assumed_through_sts_and_signs_its_calls(role_moto):
    moto, key, role_arn, queue = role_moto
    account_and_queue = queue.split("/", 3)[3]

    def route(credentials):
        integ = {"type": "aws", "httpMethod": "POST",
                 "uri": uri("sqs", "path", account_and_queue), "passthroughBehavior": "never",
                 "requestParameters": {"integration.request.header.Content-Type":
                                       "'application/x-www-form-urlencoded'"},
                 "requestTemplates": {"application/json":
                                      "Action=SendMessage&MessageBody=$input.body"},
                 "responses": {"default": {"statusCode": "200"}}}
        if credentials:
            integ["credentials"] = credentials
        return {"post": {"responses": {"200": {"description": "ok"}},
                         "x-amazon-apigateway-integration": integ}}

    doc = json.dumps({"openapi": "3.0.1", "info": {"title": "roles", "version": "1"},
                      "paths": {"/own": route(None), "/role": route(role_arn),
                                "/bad-role": route("arn:aws:iam::123456789012:role/not-for-gw")}})
    config = config_text() + f"""
[aws]
access_key_id = "{key['AccessKeyId']}"
secret_access_key = "{key['SecretAccessKey']}"
[aws.endpoints]
sqs = "{moto}"
sts = "{moto}"
"""
    with tempfile.TemporaryDirectory(prefix="tollgate-role-") as tmp:
        gw = Gateway(Path(tmp) / "data", config=config)
        try:
            apigw = boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                                 aws_access_key_id="AKIDTOLLGATETEST0000",
                                 aws_secret_access_key="tollgate-test-secret")
            api = apigw.import_rest_api(body=doc.encode())["id"]
            apigw.create_deployment(restApiId=api, stageName="prod")
            json_ct = {"Content-Type": "application/json"}
            # The role's credentials may send; the gateway's own may not (moto says so).
            status, body, _ = gw.invoke(api, "POST", "/prod/role", b"viarole", json_ct)
            assert status == 200 and "MessageId" in body, (body, gw.log())
            status, body, _ = gw.invoke(api, "POST", "/prod/own", b"own", json_ct)
            assert "AccessDenied" in body, body
            # A role STS will not give: 500, and the log says why (never a secret).
            status, body, _ = gw.invoke(api, "POST", "/prod/bad-role", b"x", json_ct)
            assert (status, json.loads(body)) == (500, {"message": "Internal server error"}), body
            log = gw.log()
            assert "does not have permission to assume the provided role" in log, log
            assert "arn:aws:iam::123456789012:role/not-for-gw" in log, log
            assert "AccessDenied" in log, log
            assert key["SecretAccessKey"] not in log
        finally:
            gw.stop()

    # Read back as the role (the gateway's own user cannot read SQS).
    sts = boto3.client("sts", region_name=REGION, endpoint_url=moto,
                       aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    c = sts.assume_role(RoleArn=role_arn, RoleSessionName="check")["Credentials"]
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=moto,
                       aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                       aws_session_token=c["SessionToken"])
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["viarole"]
