"""Runs Canaille (PyPI `canaille`, as packaged for `pytest-iam`) as a standalone OpenID Connect
provider for the tests, on 127.0.0.1:PORT, with an in-memory database.

It publishes a mixed key set (RSA and EC P-256), so `rs-client` gets RS256 access tokens and
`es-client` ES256 ones (Canaille signs with the client's `id_token_signed_response_alg`); its
JWT access tokens name the user in `sub` and carry the profile's claims (`name`, and `email`
with that scope), never `preferred_username`; client-credentials tokens are opaque; its
introspection answers carry `exp` and `iat` as floats. `cli-client` signs a person in with the
authorization-code grant at 127.0.0.1:9419, the loopback redirect `gatehouse token` is given.

Usage: canaille_server.py PORT
"""
import datetime
import os
import sys
import uuid
import wsgiref.simple_server

os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

from canaille import create_app  # noqa: E402
from canaille.app import models  # noqa: E402
from canaille.backends import Backend  # noqa: E402
from joserfc.jwk import JWKRegistry  # noqa: E402


def main():
    port = int(sys.argv[1])
    rsa = JWKRegistry.generate_key("RSA", 2048)
    rsa.ensure_kid()
    ec = JWKRegistry.generate_key("EC", "P-256")
    ec.ensure_kid()
    config = {
        "TESTING": True,
        "SECRET_KEY": str(uuid.uuid4()),
        "WTF_CSRF_ENABLED": False,
        "PREFERRED_URL_SCHEME": "http",
        "SERVER_NAME": f"127.0.0.1:{port}",
        "CANAILLE": {
            "DATABASE": "memory",
            "JAVASCRIPT": False,
            "ACL": {"DEFAULT": {"PERMISSIONS": ["use_oidc"]}},
        },
        "CANAILLE_OIDC": {"ACTIVE_JWKS": [rsa.as_dict(private=True), ec.as_dict(private=True)]},
    }
    app = create_app(config=config, env_file=None, env_prefix="GATEHOUSE_CANAILLE_")
    with app.app_context():
        backend = Backend.instance
        user = models.User(
            user_name="alice", password="alice-password", emails=["alice@example.org"],
            given_name="Alice", family_name="Liddell", formatted_name="Alice Liddell",
        )
        backend.save(user)
        group = models.Group(display_name="editors", members=[user])
        backend.save(group)
        now = datetime.datetime.now(datetime.timezone.utc)
        for client_id, algorithm in [("rs-client", "RS256"), ("es-client", "ES256")]:
            client = models.Client(
                client_id=client_id, client_secret=f"{client_id}-secret", client_id_issued_at=now,
                grant_types=["password", "client_credentials"], response_types=["code"],
                scope=["openid", "profile", "email", "groups"], redirect_uris=["http://127.0.0.1/callback"],
                token_endpoint_auth_method="client_secret_basic", id_token_signed_response_alg=algorithm,
            )
            backend.save(client)
            client.audience = [client]
            backend.save(client)
        # A person's sign-in (authorization code with PKCE and nonce) at `gatehouse token`'s
        # loopback redirect; Canaille takes only the exact redirect URI registered, so the CLI
        # is given its port (`--redirect-port 9419`).
        person = models.Client(
            client_id="cli-client", client_secret="cli-client-secret", client_id_issued_at=now,
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            scope=["openid", "profile", "email", "groups"], redirect_uris=["http://127.0.0.1:9419/callback"],
            token_endpoint_auth_method="client_secret_basic", id_token_signed_response_alg="RS256",
        )
        backend.save(person)
        person.audience = [person]
        backend.save(person)
    httpd = wsgiref.simple_server.make_server("127.0.0.1", port, app)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
