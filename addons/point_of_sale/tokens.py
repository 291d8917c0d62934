"""Bearer tokens for clients without the admin cookie (another till app, a separate sync server).

A token is signed with the instance secret (`core.secret_key`), bound to one POS config and
expires (`point_of_sale.token_max_age`). Another instance that shares the secret verifies it
without a database lookup, which is what a separate sync server needs.
"""
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "point_of_sale.token"


class TokenError(Exception):
    pass


def issue_token(secret, config_id):
    return URLSafeTimedSerializer(secret, salt=SALT).dumps({"config_id": int(config_id)})


def verify_token(secret, token, max_age):
    """The config id the token was issued for; TokenError says why it is refused."""
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("the token has expired; ask for a new one (core token CONFIG_ID)")
    except BadSignature:
        raise TokenError("the token is not valid for this server")
    if not isinstance(data, dict) or not isinstance(data.get("config_id"), int):
        raise TokenError("the token is not a POS token")
    return data["config_id"]
