"""redis-py against herodb: an access key in a redis:// URL, a named token as password
and db, a JWT signed with PyJWT (EdDSA, with the cryptography package). clients_test.go
runs it against a herodbtest server and checks what it prints."""
import os
import time

import jwt
import redis

env = os.environ
host, port = env["HERODB_ADDR"].split(":")
db = int(env["HERODB_DB"])

by_key = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
by_key.set("greeting", "hello")
print("access key:", by_key.get("greeting"))

by_token = redis.Redis(host=host, port=int(port), password=env["HERODB_TOKEN"], db=db, decode_responses=True)
print("token:", by_token.get("greeting"))

now = int(time.time())
token = jwt.encode({"p": {"ro": {"ns": ["app"]}}, "iat": now, "exp": now + 600},
                   env["HERODB_JWT_PRIVATE_KEY"], algorithm="EdDSA")
by_jwt = redis.Redis.from_url(f"redis://:{token}@{env['HERODB_ADDR']}/{db}", decode_responses=True)
print("jwt:", by_jwt.get("greeting"))
try:
    by_jwt.set("greeting", "bye")
except redis.exceptions.NoPermissionError as e:  # redis-py's class for NOPERM
    print("jwt write:", type(e).__name__)
