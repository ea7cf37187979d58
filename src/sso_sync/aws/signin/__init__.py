"""Signing in to IAM Identity Center, as AWS CLI v2's `aws sso login` does.

- `flow`: the core of `login`: reuse a live session, or choose a flow and run it.
- `auth_code`: the browser flow (authorization code with PKCE, loopback callback).
- `device_code`: the device authorization flow (RFC 8628).
- `registration`: OIDC client registrations, cached as AWS CLI v2 caches them.
"""
