"""Signs a request with botocore's own SigV4 signer, for the IAM black-box tests and the unit
vectors: `sigv4_sign.py MODE METHOD URL ACCESS_KEY SECRET [TOKEN] [--body B] [--expires N]
[--at EPOCH] [--region R] [--body-file F] [--header Name:value]...`. MODE `header` prints the headers to add (`Name: value` lines);
MODE `query` prints the presigned URL."""
import argparse
import datetime
from unittest import mock

import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

p = argparse.ArgumentParser()
p.add_argument("mode", choices=["header", "query"])
p.add_argument("method")
p.add_argument("url")
p.add_argument("key")
p.add_argument("secret")
p.add_argument("token", nargs="?")
p.add_argument("--body", default="")
p.add_argument("--body-file")
p.add_argument("--expires", type=int, default=3600)
p.add_argument("--at", type=int)
p.add_argument("--region", default="us-east-1")
p.add_argument("--header", action="append", default=[])
a = p.parse_args()

creds = Credentials(a.key, a.secret, a.token)
headers = dict(h.split(":", 1) for h in a.header)
body = open(a.body_file, "rb").read() if a.body_file else a.body.encode()
req = AWSRequest(method=a.method, url=a.url, data=body, headers=headers)
if a.mode == "header":
    signer = auth.SigV4Auth(creds, "execute-api", a.region)
else:
    signer = auth.SigV4QueryAuth(creds, "execute-api", a.region, expires=a.expires)
if a.at is not None:
    when = datetime.datetime.fromtimestamp(a.at, datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(auth, "get_current_datetime", return_value=when):
        signer.add_auth(req)
else:
    signer.add_auth(req)
if a.mode == "header":
    for name in ("X-Amz-Date", "X-Amz-Security-Token", "Authorization"):
        if name in req.headers:
            print(f"{name}: {req.headers[name]}")
else:
    print(req.url)
