"""How an API behind the gateway verifies Gatehouse's assertion, with PyJWT: the signature by the
published key its `kid` names, then the issuer, the audience and the expiry. The key set from
`/.well-known/jwks.json` is kept `keys_for` seconds (Gatehouse says 60 in its Cache-Control) and
fetched again at most that often for a `kid` not seen yet, so a key rotated in as Gatehouse's
docs say (published second first, signing only later) is always known when it signs.
Tests/gateways/run.py verifies what reaches its upstream through each gateway with this."""
import jwt

_clients = {}


def verify(assertion, jwks_url, issuer, audience, keys_for=60):
    """The assertion's claims, or a `jwt.PyJWTError` saying why it is refused."""
    client = _clients.setdefault(
        jwks_url, jwt.PyJWKClient(jwks_url, lifespan=keys_for, cooldown_duration=keys_for))
    key = client.get_signing_key_from_jwt(assertion)
    return jwt.decode(assertion, key, algorithms=["EdDSA", "ES256"], issuer=issuer, audience=audience,
                      options={"require": ["iss", "aud", "iat", "exp"]})
