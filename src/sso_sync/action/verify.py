"""`sso-sync verify`: are the AWS credentials in this environment alive, right, and fresh enough?

Reads the variables `push` writes (optionally prefixed), asks STS who they belong to, and checks
account, role and remaining lifetime. The verdict carries one line that says what is wrong and
how to fix it; it never carries a credential.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase
from typing import Any

from sso_sync.durations import brief_duration, parse_duration
from sso_sync.errors import UsageError
from sso_sync.files import utc_timestamp

# STS answers GetCallerIdentity in every region; this one exists in every account.
DEFAULT_REGION = "us-east-1"
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class EnvCredentials:
    """Credentials as a workflow step sees them. The three secret fields never print."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(repr=False)
    expiration: datetime | None
    region: str
    prefix: str = ""

    def secret_values(self) -> list[str]:
        """What GitHub must mask. Not the expiration: masking it would hide `expires-at`."""
        values = [self.access_key_id, self.secret_access_key, self.session_token or ""]
        return [v for v in values if v]


@dataclass(frozen=True)
class Checks:
    expected_accounts: tuple[str, ...] = ()
    expected_role: str | None = None
    min_remaining: timedelta | None = None


@dataclass(frozen=True)
class Verdict:
    valid: bool
    problem: str | None  # a stable code: "expired", "wrong-account", ...; None when valid
    message: str  # one line: what is wrong and the fix, or what was verified
    account: str | None = None
    arn: str | None = None
    expires_at: datetime | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def remaining(self) -> timedelta | None:
        return None if self.expires_at is None else self.expires_at - self.now

    @property
    def remaining_minutes(self) -> int | None:
        left = self.remaining
        return None if left is None else max(0, int(left.total_seconds() // 60))

    @property
    def expires_at_text(self) -> str | None:
        return None if self.expires_at is None else utc_timestamp(self.expires_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "problem": self.problem,
            "message": self.message,
            "account": self.account,
            "arn": self.arn,
            "expires_at": self.expires_at_text,
            "remaining_minutes": self.remaining_minutes,
        }


def parse_expiration(text: str, variable: str) -> datetime:
    """ISO 8601 as `push` writes it (`2026-11-26T05:00:00Z`), or with an offset."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
        # In range as a local time, out of range in UTC (0001-01-01T00:00:00+01:00).
        utc = moment.astimezone(timezone.utc) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None:
        raise UsageError(
            f"{variable} is not a UTC timestamp like 2026-11-26T05:00:00Z: "
            "pass the value `sso-sync push` stored"
        )
    return utc


def secret_values_in(environ: Mapping[str, str], prefix: str = "") -> list[str]:
    """The raw credential values present, before any parsing can fail: the masks come first."""
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    return [v for v in (environ.get(prefix + n, "").strip() for n in names) if v]


def read_credentials(environ: Mapping[str, str], prefix: str = "") -> EnvCredentials:
    def get(name: str) -> str:
        return environ.get(prefix + name, "").strip()

    missing = [prefix + n for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if not get(n)]
    if missing:
        raise UsageError(
            f"{' and '.join(missing)} not set: pass the secrets `sso-sync push` stored "
            "into this step's environment"
            + ("" if prefix else " (or use --prefix if they were pushed with one)")
        )
    expiration_name = prefix + "AWS_CREDENTIAL_EXPIRATION"
    expiration_text = get("AWS_CREDENTIAL_EXPIRATION")
    region = (
        environ.get(prefix + "AWS_REGION", "").strip()
        or environ.get("AWS_REGION", "").strip()
        or environ.get("AWS_DEFAULT_REGION", "").strip()
        or DEFAULT_REGION
    )
    return EnvCredentials(
        access_key_id=get("AWS_ACCESS_KEY_ID"),
        secret_access_key=get("AWS_SECRET_ACCESS_KEY"),
        session_token=get("AWS_SESSION_TOKEN") or None,
        expiration=parse_expiration(expiration_text, expiration_name) if expiration_text else None,
        region=region,
        prefix=prefix,
    )


def make_checks(
    expected_accounts: Sequence[str], expected_role: str | None, min_remaining: str | None
) -> Checks:
    accounts: list[str] = []
    for raw in expected_accounts:
        # The action passes a comma- or space-separated list in one input.
        for account in re.split(r"[\s,]+", raw.strip()):
            if not account:
                continue
            if not ACCOUNT_RE.fullmatch(account):
                raise UsageError(f"--expected-account '{account}' is not a 12-digit AWS account ID")
            accounts.append(account)
    role = (expected_role or "").strip() or None
    minimum = parse_duration(min_remaining) if min_remaining and min_remaining.strip() else None
    return Checks(tuple(dict.fromkeys(accounts)), role, minimum)


def require_inputs(credentials: EnvCredentials, checks: Checks) -> None:
    """Refuse before any network call when a check cannot be made."""
    if checks.min_remaining is not None and credentials.expiration is None:
        raise UsageError(
            f"--min-remaining needs the expiration, but {credentials.prefix}"
            "AWS_CREDENTIAL_EXPIRATION is not set: pass the secret or variable `sso-sync push` "
            "stores (see --expiration-variable)"
        )


def push_hint(environ: Mapping[str, str], prefix: str = "") -> str:
    """The command that fixes most problems, as specific as this environment allows."""
    repo = environ.get("GITHUB_REPOSITORY", "").strip() or "OWNER/NAME"
    extra = f" --prefix {prefix}" if prefix else ""
    return f"sso-sync push --repo {repo}{extra} --profile PROFILE"


@dataclass(frozen=True)
class StsAnswer:
    """What STS said to GetCallerIdentity, whichever client asked (botocore in `sso-sync
    verify`, the AWS CLI in the action's fast path): who the caller is, or STS's refusal (its
    error code and message), or no answer at all (`unreachable`: what failed, such as
    EndpointConnectionError)."""

    account: str = ""
    arn: str = ""
    error_code: str | None = None
    error_message: str = field(default="", repr=False)  # may quote the request: redact it
    unreachable: str | None = None


def judge(
    answer: StsAnswer,
    credentials: EnvCredentials,
    checks: Checks,
    *,
    push_command: str,
    now: datetime | None = None,
) -> Verdict:
    """STS's answer, then the checks in order; the first problem found is the verdict."""
    from sso_sync.aws.sts_errors import redact

    moment = now or datetime.now(timezone.utc)
    expires = credentials.expiration

    def bad(problem: str, message: str, **found: Any) -> Verdict:
        # STS messages can quote the request (IncompleteSignature quotes the Authorization
        # header, access key ID included): never pass a credential on, even outside Actions.
        message = redact(message, credentials.secret_values())
        return Verdict(False, problem, message, expires_at=expires, now=moment, **found)

    fix = f"run `{push_command}` where you can sign in"
    if answer.unreachable is not None:
        return bad(
            "unreachable",
            f"cannot reach STS ({answer.unreachable}): check the network, AWS_REGION, and "
            "AWS_ENDPOINT_URL_STS if you set it",
        )
    if answer.error_code is not None:
        code = answer.error_code
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            when = _expired_phrase(expires, moment)
            return bad("expired", f"the credentials {when}: {fix}")
        if code == "InvalidClientTokenId":
            return bad(
                "invalid-token",
                "STS does not recognise these credentials (InvalidClientTokenId: the access key "
                f"ID or session token is wrong or truncated): {fix}",
            )
        if code == "SignatureDoesNotMatch":
            return bad(
                "bad-secret",
                "STS rejects the signature (SignatureDoesNotMatch: the secret access key does "
                f"not belong to the access key ID): {fix}",
            )
        lines = answer.error_message.splitlines()
        message = lines[0] if lines else ""
        return bad(
            "sts-error",
            f"STS refused GetCallerIdentity ({code or 'no error code'}"
            f"{': ' + message if message else ''}): check the credentials and the region",
        )

    account, arn = answer.account, answer.arn
    found = {"account": account, "arn": arn}
    # STS may still accept a set for a short while (and moto never expires them): trust the clock.
    if expires is not None and expires <= moment:
        return bad("expired", f"the credentials {_expired_phrase(expires, moment)}: {fix}", **found)
    if checks.expected_accounts and account not in checks.expected_accounts:
        wanted = ", ".join(checks.expected_accounts)
        return bad(
            "wrong-account",
            f"the credentials are for account {account}, expected {wanted}: push the profile "
            f"of the right account with `{push_command}`",
            **found,
        )
    if checks.expected_role and not fnmatchcase(arn, checks.expected_role):
        return bad(
            "wrong-role",
            f"the caller {arn} does not match the expected role '{checks.expected_role}': push "
            f"the profile of the right role with `{push_command}`",
            **found,
        )
    if checks.min_remaining is not None and expires is not None:
        left = expires - moment
        if left < checks.min_remaining:
            wanted = brief_duration(checks.min_remaining)
            return bad(
                "expiring",
                f"only {brief_duration(left)} left (until {utc_timestamp(expires)}), less than the "
                f"{wanted} required: run `{push_command}` now, or schedule it more often",
                **found,
            )
    lifetime = (
        f"; expire at {utc_timestamp(expires)} ({brief_duration(expires - moment)} left)"
        if expires is not None
        else "; expiration unknown (pass AWS_CREDENTIAL_EXPIRATION to check it)"
    )
    return Verdict(
        True, None, f"valid: {arn}{lifetime}", account, arn, expires_at=expires, now=moment
    )


def _expired_phrase(expires: datetime | None, now: datetime) -> str:
    if expires is None:
        return "have expired (STS says ExpiredToken)"
    if expires > now:  # STS disagrees with the stored expiration: say both
        until = utc_timestamp(expires)
        return f"were refused as expired by STS though stored to last until {until}"
    return f"expired {brief_duration(now - expires)} ago (at {utc_timestamp(expires)})"


def action_outputs(verdict: Verdict) -> dict[str, str]:
    """The step outputs of the composite action; empty strings for what is unknown."""
    minutes = verdict.remaining_minutes
    return {
        "valid": "true" if verdict.valid else "false",
        "account": verdict.account or "",
        "arn": verdict.arn or "",
        "expires-at": verdict.expires_at_text or "",
        "remaining-minutes": "" if minutes is None else str(minutes),
        "message": verdict.message,
    }


def summary_rows(verdict: Verdict, checks: Checks) -> list[tuple[str, str]]:
    left = verdict.remaining
    lifetime = "not given"
    if verdict.expires_at_text and left is not None:
        direction = "left" if left.total_seconds() > 0 else "ago"
        lifetime = f"{verdict.expires_at_text} ({brief_duration(left)} {direction})"
    rows = [
        ("verdict", "valid" if verdict.valid else f"NOT valid ({verdict.problem})"),
        ("account", verdict.account or "unknown"),
        ("caller", f"`{verdict.arn}`" if verdict.arn else "unknown"),
        ("expires at", lifetime),
    ]
    if checks.expected_accounts:
        rows.append(("expected account", ", ".join(checks.expected_accounts)))
    if checks.expected_role:
        rows.append(("expected role", f"`{checks.expected_role}`"))
    if checks.min_remaining is not None:
        rows.append(("minimum remaining", brief_duration(checks.min_remaining)))
    if not verdict.valid:
        rows.append(("what to do", verdict.message))
    return rows
