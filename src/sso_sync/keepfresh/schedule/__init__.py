"""`sso-sync schedule`: a user-level job that runs `push --min-remaining` with nobody there.

- `job`: the job itself (name, interval, command, environment), pure; the backends render it.
- `backend`: what a backend offers (`plan`, `install`, `remove`, `status`), and running its tools.
- `cron`: a marked block in the user's crontab; `systemd`: a user timer and service;
  `launchd`: a macOS launch agent.
- `choose`: the backend for `--backend auto|systemd|cron|launchd`, the first that works.
"""

# Here, not in `choose` (which imports every backend): `schedule --help` lists the names only.
BACKENDS = ("auto", "systemd", "cron", "launchd")
