"""Keeping targets fresh with nobody at the keyboard: `push --min-remaining`, `watch`, `schedule`.

- `state`: this machine's record of each target (`targets.json` in the state directory, no
  secrets; each secret's own expiry) and its per-target write locks; `locks`: taking those
  locks within a wait (`TargetLockWait`).
- `fresh`: push under the locks, skipping targets with enough life left (`fresh`) or held by
  another run (`busy`), marking the rest due before the first write, and record what happened.
- `cycles`: `watch`'s pushes, one use case (pushing.py) per cycle under its own deadline.
- `elsewhere`: secrets another writer changed after this machine wrote them (`updated_at` against
  the recorded write time), for `list`, `doctor`, `watch --on-change` and the scheduled push.
- `record`: `push --record-variable`, the audit note written at the target.
- `notify`: a desktop notification where one can be shown (never required).
- `joblog`: a scheduled push's log file in the state directory, rotated.
- `watch`: the loop: push, sleep until the credentials are due, push again, until sign-in ends.
- `schedule/`: a user-level job (systemd timer, crontab, launchd agent) that runs the push.
"""
