"""Fake IAM Identity Center (sso, sso-oidc) and STS, following botocore's service models; ECR's
and CodeArtifact's token calls share the port (`registries`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape

from . import registries
from .config import SandboxConfig
from .http import Request, Response, json_response, status_phrase

GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_AUTHORIZATION_CODE = "authorization_code"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_EXPIRED = "The security token included in the request is expired"
_MISSING_AUTH = "Request is missing Authentication Token"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def iso_z(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class AwsFault(Exception):
    """An error rendered the way the service's protocol renders it."""

    def __init__(self, status: int, code: str, message: str, oauth_error: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.oauth_error = oauth_error  # sso-oidc's lowercase "error" member


def _oidc_error(code: str, oauth_error: str, description: str) -> AwsFault:
    status = {"InvalidClientException": 401, "InternalServerException": 500}.get(code, 400)
    return AwsFault(status, code, description, oauth_error)


def _unauthorized() -> AwsFault:
    return AwsFault(401, "UnauthorizedException", "Session token not found or invalid")


@dataclass
class Client:
    client_id: str
    client_secret: str
    name: str
    scopes: list[str]
    grant_types: list[str]
    redirect_uris: list[str]
    issued_at: int
    expires_at: int

    @property
    def gets_refresh_tokens(self) -> bool:
        return "sso:account:access" in self.scopes or GRANT_REFRESH_TOKEN in self.grant_types


@dataclass
class DeviceAuthorization:
    client_id: str
    user_code: str
    expires_at: float
    pending_polls: int = 0
    redeemed: bool = False
    approved_by: str | None = None  # manual approval: the user who approved


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    challenge: str
    redeemed: bool = False


@dataclass
class AccessToken:
    client_id: str
    expires_at: float
    valid: bool = True
    user: str | None = None  # None: the configured user


@dataclass
class RefreshToken:
    client_id: str
    valid: bool = True
    user: str | None = None


@dataclass
class RoleCredential:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration_ms: int
    account_id: str
    role_name: str
    user: str | None = None
    asked_with: str = ""  # the access token that asked for it (which profile's sign-in)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accessKeyId": self.access_key_id,
            "secretAccessKey": self.secret_access_key,
            "sessionToken": self.session_token,
            "expiration": self.expiration_ms,
            "accountId": self.account_id,
            "roleName": self.role_name,
        }


@dataclass
class AwsState:
    clients: dict[str, Client] = field(default_factory=dict)
    devices: dict[str, DeviceAuthorization] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    credentials: dict[str, RoleCredential] = field(default_factory=dict)
    registry_tokens: list[registries.IssuedRegistryToken] = field(default_factory=list)


_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/federation/credentials"): ("sso", "GetRoleCredentials"),
    ("GET", "/assignment/accounts"): ("sso", "ListAccounts"),
    ("GET", "/assignment/roles"): ("sso", "ListAccountRoles"),
    ("POST", "/logout"): ("sso", "Logout"),
    ("POST", "/client/register"): ("sso-oidc", "RegisterClient"),
    ("POST", "/device_authorization"): ("sso-oidc", "StartDeviceAuthorization"),
    ("POST", "/token"): ("sso-oidc", "CreateToken"),
    # Not an API operation: the browser page the PKCE flow sends the user to.
    ("GET", "/authorize"): ("sso-oidc", "Authorize"),
}


class AwsBackend:
    """sso, sso-oidc and sts on one port. Callers hold ``lock`` around every method."""

    def __init__(self, config: SandboxConfig, lock: threading.RLock) -> None:
        self.config = config
        self.lock = lock
        self.state = AwsState()
        self.base_url = ""

    # --- dispatch -------------------------------------------------------------------------

    def classify(self, request: Request) -> tuple[str, str]:
        registry = registries.classify(request)
        if registry is not None:
            return registry
        route = _ROUTES.get((request.method, request.path.rstrip("/") or "/"))
        if route is not None:
            return route
        if request.path == "/":
            params = self._sts_params(request)
            return "sts", params.get("Action", "")
        return "sso", ""

    def handle(self, request: Request, service: str, operation: str) -> Response:
        try:
            if service == "sts":
                return self._sts(request, operation)
            if service in ("ecr", "codeartifact"):
                return registries.handle(self, request, service, operation)
            handler = getattr(self, f"_op_{operation}", None)
            if handler is None:
                raise AwsFault(404, "ResourceNotFoundException", "Unknown operation")
            result: Response = handler(request)
            return result
        except AwsFault as err:
            return self.error_response(service, err)

    def fault_response(
        self, service: str, status: int, headers: dict[str, str], body: dict[str, Any] | None
    ) -> Response:
        payload = body if body is not None else {"message": status_phrase(status)}
        if service == "sts" and "x-amzn-ErrorType" in headers:
            # STS speaks the query protocol: its errors are XML, as real STS sends them.
            message = str(payload.get("message", "")) if isinstance(payload, dict) else ""
            return _sts_error(AwsFault(status, headers["x-amzn-ErrorType"], message))
        return json_response(status, payload, headers)

    def finalize(self, response: Response) -> None:
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))

    def error_response(self, service: str, err: AwsFault) -> Response:
        if service == "sts":
            return _sts_error(err)
        headers = {"x-amzn-ErrorType": err.code}
        if service == "sso-oidc":
            payload = {"error": err.oauth_error, "error_description": err.message}
            return json_response(err.status, payload, headers)
        if service == "ecr":  # JSON 1.1 names the error in the body
            return json_response(err.status, {"__type": err.code, "message": err.message}, headers)
        return json_response(err.status, {"message": err.message}, headers)

    # --- shared token bookkeeping ---------------------------------------------------------

    def _register(
        self,
        name: str,
        scopes: list[str],
        grant_types: list[str],
        redirect_uris: list[str],
    ) -> Client:
        now = int(self.config.now())
        client = Client(
            client_id=_random(string.ascii_letters + string.digits + "-_", 22),
            client_secret=base64.urlsafe_b64encode(os.urandom(96)).decode(),
            name=name,
            scopes=scopes,
            grant_types=grant_types,
            redirect_uris=redirect_uris,
            issued_at=now,
            expires_at=now + self.config.registration_lifetime,
        )
        self.state.clients[client.client_id] = client
        return client

    def _issue_tokens(
        self, client: Client, expires_in: int | None = None, user: str | None = None
    ) -> dict[str, Any]:
        lifetime = self.config.access_token_lifetime if expires_in is None else expires_in
        access = "aoa" + secrets.token_urlsafe(96)
        self.state.access_tokens[access] = AccessToken(
            client.client_id, self.config.now() + lifetime, user=user
        )
        result: dict[str, Any] = {
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": lifetime,
        }
        if client.gets_refresh_tokens:
            refresh = "aor" + secrets.token_urlsafe(96)
            self.state.refresh_tokens[refresh] = RefreshToken(client.client_id, user=user)
            result["refreshToken"] = refresh
        return result

    def mint_token(
        self, *, expires_in: int | None, refreshable: bool, session_name: str | None
    ) -> dict[str, Any]:
        scopes = ["sso:account:access"] if refreshable else []
        grants = [GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN] if refreshable else [GRANT_DEVICE_CODE]
        client = self._register(f"botocore-client-{session_name or 'sandbox'}", scopes, grants, [])
        tokens = self._issue_tokens(client, expires_in)
        cached: dict[str, Any] = {
            "startUrl": self.config.start_url,
            "region": self.config.region,
            "accessToken": tokens["accessToken"],
            "expiresAt": iso_z(self.config.now() + tokens["expiresIn"]),
        }
        if refreshable:
            cached |= {
                "clientId": client.client_id,
                "clientSecret": client.client_secret,
                "registrationExpiresAt": iso_z(client.expires_at),
                "refreshToken": tokens["refreshToken"],
            }
        return cached

    def revoke_access_tokens(self) -> None:
        for token in self.state.access_tokens.values():
            token.valid = False

    def revoke_refresh_tokens(self) -> None:
        for token in self.state.refresh_tokens.values():
            token.valid = False

    def end_sessions(self) -> None:
        """What ends a portal session (its configured length, an administrator): every access
        token and refresh token stops working; only a browser sign-in helps."""
        for access in self.state.access_tokens.values():
            access.valid = False
        self.revoke_refresh_tokens()

    def expire_credentials(self) -> None:
        expired = int(self.config.now() * 1000) - 1000
        for cred in self.state.credentials.values():
            cred.expiration_ms = min(cred.expiration_ms, expired)

    def issued_credentials(self, asked_with: str | None = None) -> list[dict[str, Any]]:
        return [
            c.as_dict()
            for c in self.state.credentials.values()
            if asked_with is None or c.asked_with == asked_with
        ]

    def issued_registry_tokens(self) -> list[dict[str, Any]]:
        return [t.as_dict() for t in self.state.registry_tokens]

    # --- sso ------------------------------------------------------------------------------

    def approve_device(self, user_code: str, user: str | None = None) -> bool:
        """A person approves the device code showing `user_code` (as `user`; None: the
        configured user). False when no live code shows it."""
        for device in self.state.devices.values():
            if device.user_code == user_code and not device.redeemed:
                if device.expires_at <= time.time():
                    return False
                device.approved_by = user or self.config.user_name
                return True
        return False

    def _bearer(self, request: Request) -> str:
        token = request.header("x-amz-sso_bearer_token") or ""
        info = self.state.access_tokens.get(token)
        if info is None or not info.valid or info.expires_at <= self.config.now():
            raise _unauthorized()
        return token

    def _page(self, request: Request, items: list[dict[str, Any]], key: str) -> Response:
        size = self.config.page_size
        max_result = request.arg("max_result")
        if max_result:
            try:
                size = min(size, int(max_result))
            except ValueError:
                raise AwsFault(400, "InvalidRequestException", "Invalid max_result") from None
        start = 0
        next_token = request.arg("next_token")
        if next_token:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(next_token))["offset"])
            except (ValueError, KeyError, TypeError):
                raise AwsFault(400, "InvalidRequestException", "Invalid next token") from None
        size = max(size, 1)
        payload: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            token = json.dumps({"offset": start + size}).encode()
            payload["nextToken"] = base64.urlsafe_b64encode(token).decode()
        return json_response(200, payload)

    def _op_ListAccounts(self, request: Request) -> Response:
        self._bearer(request)
        accounts = [
            {"accountId": account_id, "accountName": name, "emailAddress": f"{name}@example.com"}
            for account_id, (name, _roles) in self.config.accounts.items()
        ]
        return self._page(request, accounts, "accountList")

    def _op_ListAccountRoles(self, request: Request) -> Response:
        self._bearer(request)
        account_id = request.arg("account_id")
        if not account_id:
            raise AwsFault(400, "InvalidRequestException", "account_id is required")
        _name, roles = self.config.accounts.get(account_id, ("", []))
        items = [{"roleName": role, "accountId": account_id} for role in roles]
        return self._page(request, items, "roleList")

    def _op_GetRoleCredentials(self, request: Request) -> Response:
        bearer = self._bearer(request)
        user = self.state.access_tokens[bearer].user
        role_name, account_id = request.arg("role_name"), request.arg("account_id")
        if not role_name or not account_id:
            raise AwsFault(400, "InvalidRequestException", "role_name and account_id are required")
        _name, roles = self.config.accounts.get(account_id, ("", []))
        if role_name not in roles:
            # Not in the model, but it is what the real service answers for an unassigned role.
            raise AwsFault(403, "ForbiddenException", "No access")
        cred = RoleCredential(
            access_key_id="ASIA" + _random(_UPPER_ALNUM, 16),
            secret_access_key=_random(string.ascii_letters + string.digits + "+/", 40),
            session_token=base64.b64encode(os.urandom(240)).decode(),
            expiration_ms=int((self.config.now() + self.config.role_lifetime) * 1000),
            account_id=account_id,
            role_name=role_name,
            user=user,
            asked_with=bearer,
        )
        self.state.credentials[cred.access_key_id] = cred
        body = cred.as_dict()
        del body["accountId"], body["roleName"]
        return json_response(200, {"roleCredentials": body})

    def _op_Logout(self, request: Request) -> Response:
        token = self._bearer(request)
        self.state.access_tokens[token].valid = False
        return Response(200, b"", {"Content-Type": "application/json"})

    # --- sso-oidc -------------------------------------------------------------------------

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _oidc_error("InvalidRequestException", "invalid_request", "Malformed body")
        return body

    def _client(self, body: dict[str, Any]) -> Client:
        client = self.state.clients.get(str(body.get("clientId") or ""))
        if (
            client is None
            or not hmac.compare_digest(client.client_secret, str(body.get("clientSecret") or ""))
            or client.expires_at <= self.config.now()
        ):
            raise _oidc_error("InvalidClientException", "invalid_client", "Invalid client")
        return client

    def _op_RegisterClient(self, request: Request) -> Response:
        body = self._json_body(request)
        if not body.get("clientName") or body.get("clientType") != "public":
            raise _oidc_error(
                "InvalidClientMetadataException",
                "invalid_client_metadata",
                "clientName is required and clientType must be 'public'",
            )
        client = self._register(
            str(body["clientName"]),
            [str(s) for s in body.get("scopes") or []],
            [str(g) for g in body.get("grantTypes") or []],
            [str(u) for u in body.get("redirectUris") or []],
        )
        return json_response(
            200,
            {
                "clientId": client.client_id,
                "clientSecret": client.client_secret,
                "clientIdIssuedAt": client.issued_at,
                "clientSecretExpiresAt": client.expires_at,
            },
        )

    def _op_StartDeviceAuthorization(self, request: Request) -> Response:
        body = self._json_body(request)
        client = self._client(body)
        start_url = str(body.get("startUrl") or "")
        if not start_url:
            raise _oidc_error("InvalidRequestException", "invalid_request", "startUrl is required")
        device_code = secrets.token_urlsafe(64)
        user_code = f"{_random(string.ascii_uppercase, 4)}-{_random(string.ascii_uppercase, 4)}"
        self.state.devices[device_code] = DeviceAuthorization(
            client.client_id, user_code, self.config.now() + self.config.device_code_lifetime
        )
        verification = f"{start_url.rstrip('/')}/#/device"
        return json_response(
            200,
            {
                "deviceCode": device_code,
                "userCode": user_code,
                "verificationUri": verification,
                "verificationUriComplete": f"{verification}?user_code={user_code}",
                "expiresIn": self.config.device_code_lifetime,
                "interval": self.config.device_interval,
            },
        )

    def _op_CreateToken(self, request: Request) -> Response:
        body = self._json_body(request)
        client = self._client(body)
        grant = body.get("grantType")
        user = None
        if grant == GRANT_DEVICE_CODE:
            user = self._redeem_device_code(client, str(body.get("deviceCode") or ""))
        elif grant == GRANT_REFRESH_TOKEN:
            token = self.state.refresh_tokens.get(str(body.get("refreshToken") or ""))
            if token is None or not token.valid or token.client_id != client.client_id:
                raise _oidc_error("InvalidGrantException", "invalid_grant", "Invalid refresh token")
            token.valid = False  # rotation: the new response carries the replacement
            user = token.user
        elif grant == GRANT_AUTHORIZATION_CODE:
            self._redeem_code(client, body)
        else:
            raise _oidc_error(
                "UnsupportedGrantTypeException", "unsupported_grant_type", f"Unsupported: {grant}"
            )
        return json_response(200, self._issue_tokens(client, user=user))

    def _redeem_device_code(self, client: Client, device_code: str) -> str | None:
        """The user who approved (None: the configured user)."""
        device = self.state.devices.get(device_code)
        if device is None or device.redeemed or device.client_id != client.client_id:
            raise _oidc_error("InvalidGrantException", "invalid_grant", "Invalid device code")
        if device.expires_at <= self.config.now():
            raise _oidc_error("ExpiredTokenException", "expired_token", "Device code expired")
        manual = self.config.manual_device_approval
        if (manual and device.approved_by is None) or (
            not manual and device.pending_polls < self.config.approve_after_polls
        ):
            device.pending_polls += 1
            raise _oidc_error(
                "AuthorizationPendingException",
                "authorization_pending",
                "Authorization pending",
            )
        device.redeemed = True
        return device.approved_by

    def _redeem_code(self, client: Client, body: dict[str, Any]) -> None:
        code = self.state.codes.get(str(body.get("code") or ""))
        if code is None or code.redeemed or code.client_id != client.client_id:
            raise _oidc_error("InvalidGrantException", "invalid_grant", "Invalid code")
        # Single use: a failed attempt burns the code too, as OAuth servers commonly do.
        code.redeemed = True
        verifier = str(body.get("codeVerifier") or "")
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not hmac.compare_digest(computed, code.challenge):
            raise _oidc_error("InvalidGrantException", "invalid_grant", "Code verifier mismatch")
        if body.get("redirectUri") != code.redirect_uri:
            raise _oidc_error("InvalidGrantException", "invalid_grant", "Redirect URI mismatch")

    def _op_Authorize(self, request: Request) -> Response:
        client = self.state.clients.get(request.arg("client_id") or "")
        redirect_uri = request.arg("redirect_uri") or ""
        challenge = request.arg("code_challenge") or ""
        if client is None or client.expires_at <= self.config.now():
            raise _oidc_error("InvalidClientException", "invalid_client", "Unknown client")
        if (
            request.arg("response_type") != "code"
            or request.arg("code_challenge_method") != "S256"
            or not challenge
            or not redirect_uri
        ):
            raise _oidc_error(
                "InvalidRequestException",
                "invalid_request",
                "response_type=code, code_challenge_method=S256, code_challenge and "
                "redirect_uri are required",
            )
        if client.redirect_uris and not any(
            _same_redirect(redirect_uri, uri) for uri in client.redirect_uris
        ):
            raise _oidc_error(
                "InvalidRedirectUriException", "invalid_redirect_uri", "Unregistered redirect_uri"
            )
        code = secrets.token_urlsafe(32)
        self.state.codes[code] = AuthorizationCode(client.client_id, redirect_uri, challenge)
        params = {"code": code}
        state = request.arg("state")
        if state is not None:
            params["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{separator}{urlencode(params)}"
        return Response(302, b"", {"Location": location})

    # --- sts ------------------------------------------------------------------------------

    @staticmethod
    def _sts_params(request: Request) -> dict[str, str]:
        params = {k: v[0] for k, v in request.query.items() if v}
        if request.body:
            form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[0] for k, v in form.items() if v})
        return params

    def _sts(self, request: Request, action: str) -> Response:
        if action != "GetCallerIdentity":
            raise AwsFault(
                400,
                "InvalidAction",
                f"Could not find operation {action} for version 2011-06-15",
            )
        cred = self._verify_sigv4(request)
        role_id = "AROA" + _stable(f"{cred.account_id}:{cred.role_name}", 17).upper()
        user = cred.user or self.config.user_name
        arn = assumed_role_arn(cred, user)
        xml = (
            f'<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}">'
            "<GetCallerIdentityResult>"
            f"<Arn>{escape(arn)}</Arn>"
            f"<UserId>{escape(role_id)}:{escape(user)}</UserId>"
            f"<Account>{cred.account_id}</Account>"
            "</GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        )
        return Response(200, xml.encode(), {"Content-Type": "text/xml"})

    def _verify_sigv4(self, request: Request) -> RoleCredential:
        auth = request.header("Authorization") or ""
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().partition("=")[::2] for part in rest.split(",") if "=" in part)
        if algorithm != "AWS4-HMAC-SHA256" or not {"Credential", "SignedHeaders", "Signature"} <= (
            fields.keys()
        ):
            raise AwsFault(403, "MissingAuthenticationToken", _MISSING_AUTH)
        scope = fields["Credential"].split("/")
        invalid = AwsFault(
            403, "InvalidClientTokenId", "The security token included in the request is invalid."
        )
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise AwsFault(403, "IncompleteSignature", "Credential scope is malformed")
        cred = self.state.credentials.get(scope[0])
        if cred is None or request.header("X-Amz-Security-Token") != cred.session_token:
            raise invalid
        expected = sigv4_signature(
            request,
            secret_key=cred.secret_access_key,
            date=scope[1],
            region=scope[2],
            service=scope[3],
            signed_headers=fields["SignedHeaders"].split(";"),
        )
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise AwsFault(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method. Consult the "
                "service documentation for details.",
            )
        _check_signed_at(request.header("X-Amz-Date") or "", self.config.now())
        if cred.expiration_ms <= self.config.now() * 1000:
            raise AwsFault(400, "ExpiredToken", _EXPIRED)
        return cred


SIGNATURE_WINDOW = 15 * 60  # SigV4: a request signed more than 15 minutes off is refused


def _check_signed_at(stamp: str, now: float) -> None:
    """As STS words it when the signer's clock is off by more than the window."""
    import calendar

    try:
        signed = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise AwsFault(403, "IncompleteSignature", "X-Amz-Date is malformed") from None

    def fmt(epoch: float) -> str:
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))

    if signed < now - SIGNATURE_WINDOW:
        raise AwsFault(
            403,
            "SignatureDoesNotMatch",
            f"Signature expired: {stamp} is now earlier than {fmt(now - SIGNATURE_WINDOW)} "
            f"({fmt(now)} - 15 min.)",
        )
    if signed > now + SIGNATURE_WINDOW:
        raise AwsFault(
            403,
            "SignatureDoesNotMatch",
            f"Signature not yet current: {stamp} is still later than "
            f"{fmt(now + SIGNATURE_WINDOW)} ({fmt(now)} + 15 min.)",
        )


def assumed_role_arn(cred: RoleCredential, user: str) -> str:
    """The ARN STS names a role session of IAM Identity Center by."""
    suffix = _stable(f"{cred.account_id}/{cred.role_name}", 16)
    return (
        f"arn:aws:sts::{cred.account_id}:assumed-role/"
        f"AWSReservedSSO_{cred.role_name}_{suffix}/{user}"
    )


def _stable(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _same_redirect(actual: str, registered: str) -> bool:
    # RFC 8252 §7.3: loopback redirects may use any port, so compare without it.
    a, r = urlsplit(actual), urlsplit(registered)
    return (a.scheme, a.hostname, a.path) == (r.scheme, r.hostname, r.path)


def _sts_error(err: AwsFault) -> Response:
    kind = "Receiver" if err.status >= 500 else "Sender"
    xml = (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}">'
        f"<Error><Type>{kind}</Type><Code>{escape(err.code)}</Code>"
        f"<Message>{escape(err.message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId>"
        "</ErrorResponse>"
    )
    return Response(err.status, xml.encode(), {"Content-Type": "text/xml"})


def sigv4_signature(
    request: Request,
    *,
    secret_key: str,
    date: str,
    region: str,
    service: str,
    signed_headers: list[str],
) -> str:
    """Recompute an AWS SigV4 signature for a received request (header-signed form)."""
    canonical_headers = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in request.headers.get_all(name) or [])}\n"
        for name in signed_headers
    )
    pairs = sorted(p.partition("=")[::2] for p in request.raw_query.split("&") if p)
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    payload_hash = (
        request.header("X-Amz-Content-SHA256") or hashlib.sha256(request.body).hexdigest()
    )
    canonical_request = "\n".join(
        [
            request.method,
            quote(unquote(request.path), safe="/~"),
            canonical_query,
            canonical_headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )
    timestamp = request.header("X-Amz-Date") or ""
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            timestamp,
            f"{date}/{region}/{service}/aws4_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
