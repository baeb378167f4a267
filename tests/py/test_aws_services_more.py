"""More AWS service integrations through the real gateway to moto_server, read back with boto3:
SNS Publish (query protocol, by action), S3 PutObject and GetObject with binary bodies
(REST-style `path/{bucket}/{key}`, the bytes passed through unchanged both ways), Step Functions
StartExecution (JSON 1.0) and EventBridge PutEvents (JSON 1.1). Each is written the way the
developer guide writes it: the service in the ARN, X-Amz-Target and Content-Type from
requestParameters, the payload from a request template."""

import json
import tempfile
import time
from pathlib import Path

import boto3
import pytest

from conftest import REGION, Gateway, config_text

KEY = {"id": "AKIDSERVICETEST00000", "secret": "service-test-secret"}
BINARY = bytes(range(256)) * 4


def uri(service, kind, rest):
    return f"arn:aws:apigateway:{REGION}:{service}:{kind}/{rest}"


def json_call(service, target, content_type, template, response_template=None):
    response = {"statusCode": "200"}
    if response_template:
        response["responseTemplates"] = {"application/json": response_template}
    return {"post": {"responses": {"200": {"description": "ok"}},
                     "x-amazon-apigateway-integration": {
                         "type": "aws", "httpMethod": "POST",
                         "uri": uri(service, "action", target.split(".")[1]),
                         "requestParameters": {
                             "integration.request.header.X-Amz-Target": f"'{target}'",
                             "integration.request.header.Content-Type": f"'{content_type}'"},
                         "requestTemplates": {"application/json": template},
                         "responses": {"default": response}}}}


def api_doc(topic_arn, machine_arn):
    publish = ("Action=Publish&TopicArn=$util.urlEncode('" + topic_arn + "')"
               "&Message=$util.urlEncode($input.body)")
    start = ('{"stateMachineArn": "' + machine_arn + '", "name": "$input.path(\'$.name\')", '
             '"input": "$util.escapeJavaScript($input.json(\'$.input\'))"}')
    put_events = ('{"Entries": [{"Source": "tollgate.test", "DetailType": "order", '
                  '"EventBusName": "default", "Detail": "$util.escapeJavaScript($input.body)"}]}')
    object_params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                     for n in ("bucket", "key")]
    s3_params = {"integration.request.path.bucket": "method.request.path.bucket",
                 "integration.request.path.key": "method.request.path.key"}
    return json.dumps({
        "openapi": "3.0.1",
        "info": {"title": "more-services", "version": "1"},
        "x-amazon-apigateway-binary-media-types": ["application/octet-stream"],
        "paths": {
            "/notify": {"post": {"responses": {"200": {"description": "ok"}},
                                 "x-amazon-apigateway-integration": {
                "type": "aws", "httpMethod": "POST", "uri": uri("sns", "action", "Publish"),
                "passthroughBehavior": "never",
                "requestParameters": {"integration.request.header.Content-Type":
                                      "'application/x-www-form-urlencoded'"},
                "requestTemplates": {"application/json": publish},
                "responses": {"default": {"statusCode": "200"}}}}},
            "/runs": json_call("states", "AWSStepFunctions.StartExecution",
                               "application/x-amz-json-1.0", start),
            "/events": json_call("events", "AWSEvents.PutEvents",
                                 "application/x-amz-json-1.1", put_events),
            "/objects/{bucket}/{key}": {
                "put": {"parameters": object_params + [
                            {"name": "Content-Type", "in": "header", "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "ok"}},
                        "x-amazon-apigateway-integration": {
                            "type": "aws", "httpMethod": "PUT",
                            "uri": uri("s3", "path", "{bucket}/{key}"),
                            "requestParameters": dict(s3_params, **{
                                "integration.request.header.Content-Type":
                                    "method.request.header.Content-Type"}),
                            "responses": {"default": {"statusCode": "200"}}}},
                "get": {"parameters": object_params,
                        "responses": {"200": {"description": "ok", "headers": {
                            "Content-Type": {"schema": {"type": "string"}}}}},
                        "x-amazon-apigateway-integration": {
                            "type": "aws", "httpMethod": "GET",
                            "uri": uri("s3", "path", "{bucket}/{key}"),
                            "requestParameters": s3_params,
                            "responses": {"default": {"statusCode": "200", "responseParameters": {
                                "method.response.header.Content-Type":
                                    "integration.response.header.Content-Type"}}}}}},
        },
    })


@pytest.fixture(scope="module")
def setup(moto):
    def boto(service):
        return boto3.client(service, endpoint_url=moto, region_name=REGION,
                            aws_access_key_id=KEY["id"], aws_secret_access_key=KEY["secret"])
    sns, sqs, s3, sfn, events = (boto(s) for s in ("sns", "sqs", "s3", "stepfunctions", "events"))
    topic = sns.create_topic(Name="orders")["TopicArn"]
    inbox = sqs.create_queue(QueueName="sns-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn,
                  Attributes={"RawMessageDelivery": "true"})
    s3.create_bucket(Bucket="media")
    machine = sfn.create_state_machine(
        name="orders", roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                       "End": True}}}))
    events_inbox = sqs.create_queue(QueueName="events-inbox")["QueueUrl"]
    events_inbox_arn = sqs.get_queue_attributes(QueueUrl=events_inbox, AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["tollgate.test"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": events_inbox_arn}])
    config = config_text() + f"""
[aws]
account_id = "123456789012"
region = "{REGION}"
access_key_id = "{KEY['id']}"
secret_access_key = "{KEY['secret']}"
[aws.endpoints]
sns = "{moto}"
s3 = "{moto}"
states = "{moto}"
events = "{moto}"
"""
    with tempfile.TemporaryDirectory(prefix="tollgate-svc2-") as tmp:
        gw = Gateway(Path(tmp) / "data", config=config)
        try:
            apigw = boto3.client("apigateway", endpoint_url=gw.admin_url, region_name=REGION,
                                 aws_access_key_id="AKIDTOLLGATETEST0000",
                                 aws_secret_access_key="tollgate-test-secret")
            api = apigw.import_rest_api(
                body=api_doc(topic, machine["stateMachineArn"]).encode())["id"]
            apigw.create_deployment(restApiId=api, stageName="prod")
            yield dict(gw=gw, api=api, sqs=sqs, s3=s3, sfn=sfn, inbox=inbox,
                       events_inbox=events_inbox, machine=machine["stateMachineArn"])
        finally:
            gw.stop()


def receive(sqs, queue):
    for _ in range(20):
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
        if got:
            return [m["Body"] for m in got]
        time.sleep(0.1)
    return []


def test_sns_publish_by_action(setup):
    gw, api = setup["gw"], setup["api"]
    status, body, _ = gw.invoke(api, "POST", "/prod/notify", b'{"order": 7}',
                                {"Content-Type": "application/json"})
    assert status == 200, body
    assert "PublishResponse" in body and "MessageId" in body, body
    assert receive(setup["sqs"], setup["inbox"]) == ['{"order": 7}']


def test_s3_put_and_get_object_keep_binary_bodies_intact(setup):
    gw, api = setup["gw"], setup["api"]
    status, body, _ = gw.invoke(api, "PUT", "/prod/objects/media/blob.bin", BINARY,
                                {"Content-Type": "application/octet-stream"})
    assert status == 200, body
    stored = setup["s3"].get_object(Bucket="media", Key="blob.bin")["Body"].read()
    assert stored == BINARY
    setup["s3"].put_object(Bucket="media", Key="from-sdk.bin", Body=BINARY[::-1],
                           ContentType="application/octet-stream")
    status, got, headers = gw.invoke_bytes(api, "GET", "/prod/objects/media/from-sdk.bin",
                                           headers={"Accept": "application/octet-stream"})
    assert status == 200, got
    assert got == BINARY[::-1]
    assert headers.get("Content-Type") == "application/octet-stream"


def test_step_functions_start_execution(setup):
    gw, api = setup["gw"], setup["api"]
    status, body, _ = gw.invoke(api, "POST", "/prod/runs",
                                b'{"name": "run1", "input": {"order": 9}}',
                                {"Content-Type": "application/json"})
    assert status == 200, body
    arn = json.loads(body)["executionArn"]
    described = setup["sfn"].describe_execution(executionArn=arn)
    assert described["stateMachineArn"] == setup["machine"]
    assert json.loads(described["input"]) == {"order": 9}


def test_eventbridge_put_events(setup):
    gw, api = setup["gw"], setup["api"]
    status, body, _ = gw.invoke(api, "POST", "/prod/events", b'{"order": 11}',
                                {"Content-Type": "application/json"})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["FailedEntryCount"] == 0 and answer["Entries"][0]["EventId"], body
    delivered = [json.loads(b) for b in receive(setup["sqs"], setup["events_inbox"])]
    assert [(e["source"], e["detail"]) for e in delivered] == [("tollgate.test", {"order": 11})]
