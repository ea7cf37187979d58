"""Keeping targets fresh with nobody at the keyboard: `push --min-remaining`, `watch`, `schedule`.

- `state`: this machine's record of each target (`targets.json` in the state directory, no
  secrets; each secret's own expiry) and its per-target write locks; `locks`: taking those
  locks within a wait (`TargetLockWait`).
- `clock`: one command's servers' clock (`RecordedClock`), read from the state file when asked.
- `fresh`: push under the locks, skipping targets with enough life left (`fresh`) or held by
  another run (`busy`), marking the rest due before the first write, and record what happened.
- `cycles`: `watch`'s pushes, one use case (pushing.py) per cycle under its own deadline.
- `elsewhere`: secrets another writer changed after this machine wrote them (`updated_at` against
  the recorded write time), for `list`, `doctor`, `watch --on-change` and the scheduled push.
- `record`: `push --record-variable`, the audit note written at the target.
- `notify`: a desktop notification where one can be shown (never required).
- `notices`: what to tell a person who is not watching, and when (sign-in needed, a session
  budget under 24 h, a target failing 3 times in a row, a secret changed elsewhere, recovered);
  `channels`: where it goes (a webhook, the desktop, the hourly check's GitHub issue).
- `remote_signin`: `watch --remote-sign-in`, a device-code sign-in by link for headless hosts.
- `joblog`: a scheduled push's log file in the state directory, rotated.
- `watch`: the loop: push, sleep until the credentials are due, push again, until sign-in ends.
- `schedule/`: a user-level job (systemd timer, crontab, launchd agent) that runs the push.
"""
