"""Everything AWS: the AWS CLI's own files, IAM Identity Center sign-in, role credentials,
registry tokens.

- `session`: `AwsSession`, the AWS side of one command as one facade (profile, botocore
  session, token cache, sign-in through the core's `Terminal`, role credentials, status), on
  `AwsClients` (the part without a profile); nothing else builds an AWS client.
- `profiles`: SSO profiles read from `~/.aws/config` through botocore; `AwsPaths`.
- `inifile`: line-preserving edits of `~/.aws/config` and `~/.aws/credentials`.
- `token_cache`: the AWS CLI v2 token cache (`~/.aws/sso/cache`) and the silent refresh.
- `signin/`: the sign-in flows (`flow` chooses one; `device_code`, `auth_code` with PKCE,
  `registration` of the OIDC client).
- `role_credentials`: `sso:GetRoleCredentials` (`CredentialsInFlight`: asked for in the
  background as a push starts); `role_cache`: the AWS CLI v2 role cache.
- `model_data`: botocore's data files, read without the listings and parsing our clients do
  not need (every client `clients.py` builds uses it); `endpoint_table`: botocore's endpoint
  table cut to the services we call, kept in `$XDG_CACHE_HOME/sso-sync`.
- `status`, `logout`, `configure`, `export`: the cores of those commands (`configure_answers`:
  what `configure` is given or asked, checked, and asked again after a typo; `assignments`: the
  accounts and roles a sign-in reaches, and choosing one of each); `budget`: until
  when unattended pushes can go on (for `status`, `watch` and scheduled pushes).
- `sts_errors`: STS's refusal text, redacted (status and verify print it).
- `registry_tokens`: ECR's password and CodeArtifact's token (each with its expiry) and a
  CodeArtifact repository's endpoint, from the role credentials (the two as kinds of the
  credential-source table are sso_sync/credential_kinds/registries.py).
"""
