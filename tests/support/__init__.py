"""Helpers shared by the tests; no test module imports another test module.

- `world`: the sandbox world (`World`), the canary check `assert_no_leak`, what the sandbox issued.
- `faults`: AWS-style failures injected into the sandbox.
- `session`: running `sso-sync`, botocore and the AWS CLI in fresh processes against the world.
- `signin`: a browser that follows the sign-in redirects; the sign-in core with test callbacks.
- `tty`: running `sso-sync` on a real pseudo-terminal.
- `verify`: credentials from the sandbox for `verify` and the action.
- `prism`: GitHub's OpenAPI description served by Prism, started once per session.
- `watch`: `sso-sync watch` in its own process, its stderr lines as they come.
- `hostile`: misbehaving HTTP peers on 127.0.0.1 (stall, drip, redirect, HTML, `{}`).
- `release`: this tree's tracked files in a throwaway git repository, tagged as a release.
"""
