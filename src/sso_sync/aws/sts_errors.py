"""STS's error text, made safe to print: one line, no credential in it.

STS messages can quote the request: IncompleteSignature and SignatureDoesNotMatch quote the
`Authorization` header or the string to sign, access key ID included. `status` and `verify` both
print STS refusals, so both go through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# An access key ID STS might quote even when it is not one we hold (AKIA: long-term, ASIA:
# temporary), as AWS documents their shape.
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b")


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every value of `secrets` (and anything shaped like an access key ID)
    replaced by `***`."""
    for value in sorted((v for v in secrets if v), key=len, reverse=True):
        text = text.replace(value, "***")
    return _ACCESS_KEY_ID.sub("***", text)


def sts_refusal(error: Mapping[str, Any], secrets: Iterable[str]) -> tuple[str, str]:
    """(code, the first line of the message, redacted) of a botocore ClientError's `Error`."""
    from sso_sync.server_clock import skew_hint

    code = str(error.get("Code", "") or "")
    lines = str(error.get("Message", "") or "").splitlines()
    message = redact(lines[0], secrets) if lines else ""
    # "Signature expired", RequestExpired: the request's time, not the credentials, is wrong.
    hint = skew_hint(f"{code} {message}")
    return code, f"{message}: {hint}" if hint else message
