"""The "few lines of PyGithub" a user might write instead of sso-sync, with PyGithub's defaults.

    GH_TOKEN=... GITHUB_API_URL=... python benchmarks/pygithub_loop.py OWNER/NAME...

`get_repo` (lazy=False: one GET) and `create_secret` per secret (which fetches the public key
again for every secret, then PUTs). PyGithub's default throttle waits 1 s between writes. The values
are fixed stand-ins of realistic size: this loop does not even get AWS credentials.
"""

from __future__ import annotations

import os
import sys

SECRETS = {
    "AWS_ACCESS_KEY_ID": "ASIA" + "X" * 16,
    "AWS_SECRET_ACCESS_KEY": "s" * 40,
    "AWS_SESSION_TOKEN": "t" * 900,
    "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z",
}


def main(repos: list[str]) -> int:
    from github import Auth, Github

    gh = Github(auth=Auth.Token(os.environ["GH_TOKEN"]), base_url=os.environ["GITHUB_API_URL"])
    for name in repos:
        repo = gh.get_repo(name)
        for secret, value in SECRETS.items():
            repo.create_secret(secret, value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
