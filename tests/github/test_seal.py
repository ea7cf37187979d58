"""Sealing: what GitHub decrypts with its private key is exactly the value, UTF-8 included."""

from __future__ import annotations

import base64

import pytest
from nacl.public import PrivateKey, SealedBox

from sso_sync.github.rest import seal


@pytest.mark.parametrize("value", ["AKIAEXAMPLE", "välue with ümlauts ✓", "", "x" * 4096])
def test_a_sealed_value_opens_with_the_private_key(value: str) -> None:
    private = PrivateKey.generate()
    public_b64 = base64.b64encode(bytes(private.public_key)).decode("ascii")
    sealed = seal(public_b64, value)
    assert isinstance(sealed, str)
    opened = SealedBox(private).decrypt(base64.b64decode(sealed, validate=True))
    assert opened.decode("utf-8") == value


def test_each_sealing_is_fresh_and_only_that_key_opens_it() -> None:
    private, other = PrivateKey.generate(), PrivateKey.generate()
    public_b64 = base64.b64encode(bytes(private.public_key)).decode("ascii")
    first, second = seal(public_b64, "v"), seal(public_b64, "v")
    assert first != second  # an ephemeral key each time
    from nacl.exceptions import CryptoError

    with pytest.raises(CryptoError):
        SealedBox(other).decrypt(base64.b64decode(first))
