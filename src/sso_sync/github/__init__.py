"""Everything GitHub: the REST client and the secrets and variables sso-sync writes.

- `rest`: `GitHubApi` (paced, retried requests within a deadline), sealing values;
  `token_sources`: the API URL and the token for its host, as `gh` chooses them.
- `connections`: PyGithub's connection classes as we use them (answers capped, the
  environment's proxy settings read once per connection, never ~/.netrc).
- `retry`: when to retry and how long to wait; `pacing`: the request bucket and shared pause.
- `fanout`: one piece of work per target on a bounded pool of threads.
- `targets`: repository, environment and organization targets and the checks on their names.
- `plan`: which secrets go where (pure; the plan types live here, below their readers);
  `push`: applying a plan, and the reads that feed it; `public_keys`: each target's key,
  fetched once and checked; `org_visibility`: the visibility (and selected repositories) an
  organization secret keeps when no option sets one.
- `listing` (`list`), `removal` (`remove`), `variables` (`--expiration-variable`).
- `patterns`: `--repo OWNER/GLOB` resolved into repositories from the owner's listing.
- `app_auth`: GitHub App authentication (JWT, installations, installation tokens per owner).
- `token_file`: `--github-token-file`, the token of a scheduled job, from a 0600 file.
- `dependabot_yml`: the dependabot.yml `dependabot-config` prints (registries, updates).
"""
