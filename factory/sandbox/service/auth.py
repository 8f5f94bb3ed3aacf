"""Who is asking: the service's one token, compared in constant time, and the client's name.

The token (FACTORY_SANDBOX_TOKEN) comes as `Authorization: Bearer TOKEN`, or as the password of
HTTP Basic auth, which is what a client that cannot set headers sends when its URL carries it
(`http://NAME:TOKEN@host:8080/run_code`: verl's SandboxFusion client, through `requests`). The
client's name, for the per-client limits, is its `X-Client-Id` header, else that Basic user
name, else "default". It is the client's own word: the per-client limits share the slots
fairly among clients that say who they are; the global limits bound everyone together.
"""

import base64
import binascii
import hmac
import re

DEFAULT_CLIENT = "default"
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:@-]{1,64}")


def credentials(authorization: str) -> tuple[str, str] | None:
    """(user, secret) from an Authorization header's value; None when it carries none."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return "", value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, colon, secret = decoded.partition(":")
        return (user, secret) if colon else None
    return None


def token_matches(presented: str, token: str) -> bool:
    """Constant-time comparison, so the time an answer takes tells nothing of the token."""
    return hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8"))


def client_name(client_id_header: str | None, basic_user: str) -> str:
    """The client's name for the per-client limits (see the module docstring)."""
    for name in (client_id_header or "", basic_user):
        name = name.strip()
        if name and _CLIENT_ID.fullmatch(name):
            return name
    return DEFAULT_CLIENT
