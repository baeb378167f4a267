"""Credentials for the AUTH=1 benchmark targets, written into the work folder by run.sh:

- jwks.json and id-token: an RSA key pair made here; the backend serves the public half as user
  pool us-east-1_bench's JWKS, and the token is an ID token of that pool (valid for 2 hours).
- presign: prints GET /prod/authz-iam's path and query, signed in the query string (botocore's
  SigV4QueryAuth, service execute-api, valid 1 hour) for host HOST by the principal AKIDBENCHIAM.

Usage: python auth_material.py keys WORK_DIR
       python auth_material.py presign WORK_DIR HOST
"""
import base64
import json
import sys
import time

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

POOL = "us-east-1_bench"
ACCESS_KEY, SECRET = "AKIDBENCHIAM", "bench-iam-secret"


def b64(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64json(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def rs256(key, header, claims):
    signed = f"{b64json(header)}.{b64json(claims)}"
    sig = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signed}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


def keys(work):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "bench",
                      "n": b64(pub.n), "e": b64(pub.e)}]}
    with open(f"{work}/jwks.json", "w") as f:
        json.dump(jwks, f)
    now = int(time.time())
    claims = {"sub": "bench-user", "aud": "benchclient", "token_use": "id",
              "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}",
              "cognito:username": "bench", "email": "bench@example.com",
              "iat": now, "auth_time": now, "exp": now + 7200}
    token = rs256(key, {"alg": "RS256", "typ": "JWT", "kid": "bench"}, claims)
    with open(f"{work}/id-token", "w") as f:
        f.write(token)


def presign(work, host):
    req = AWSRequest(method="GET", url=f"http://{host}/prod/authz-iam", headers={"Host": host})
    SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET), "execute-api", "us-east-1", expires=3600).add_auth(req)
    print(req.url.split(host, 1)[1])


if __name__ == "__main__":
    if sys.argv[1] == "keys":
        keys(sys.argv[2])
    else:
        presign(sys.argv[2], sys.argv[3])
