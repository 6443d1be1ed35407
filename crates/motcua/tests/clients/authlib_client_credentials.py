"""client_credentials against motcua's identity provider with authlib.

usage: authlib_client_credentials.py ISSUER CLIENT_ID SECRET AUTH_METHOD SCOPE

Discovers the provider, fetches a token with the given client
authentication method, verifies the access token's signature against the
published JWK Set and its times, introspects it (RFC 7662), revokes it
(RFC 7009) and introspects it again, and prints one JSON object:
{"token": ..., "header": ..., "claims": ..., "introspected": ...,
"after_revocation": ...}. An OAuth error is printed as
{"error": ..., "description": ...} with exit status 2.
"""

import json
import sys

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken


def ok(response, what):
    if response.status_code != 200:
        raise SystemExit(f"{what}: HTTP {response.status_code}: {response.text}")
    return response


def main() -> int:
    issuer, client_id, secret, method, scope = sys.argv[1:6]
    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == issuer, meta
    # the client authenticates the same way at every endpoint, as it is registered
    session = OAuth2Session(
        client_id,
        secret,
        token_endpoint_auth_method=method,
        revocation_endpoint_auth_method=method,
        scope=scope or None,
    )
    try:
        token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    except OAuthError as e:
        print(json.dumps({"error": e.error, "description": e.description}))
        return 2
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = JsonWebToken(["EdDSA"]).decode(token["access_token"], keys)
    claims.validate()
    at = token["access_token"]
    introspected = session.introspect_token(meta["introspection_endpoint"], token=at)
    ok(introspected, "introspection")
    revoked = session.revoke_token(meta["revocation_endpoint"], token=at)
    ok(revoked, "revocation")
    after = session.introspect_token(meta["introspection_endpoint"], token=at)
    ok(after, "introspection after revocation")
    print(
        json.dumps(
            {
                "token": dict(token),
                "header": dict(claims.header),
                "claims": dict(claims),
                "introspected": introspected.json(),
                "after_revocation": after.json(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
