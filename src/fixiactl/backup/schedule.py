"""The backup schedule as cron, systemd timers or a Kubernetes CronJob.

Weekly full (Sunday), daily diff, hourly incr into repo1; a daily full into repo2 would cost
the other region's bandwidth every day, so repo2 gets a weekly full plus daily diff; WAL
reaches both continuously. Verify, and prove by a restore, daily; metrics every 5 minutes;
a DR drill monthly.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("cron", "systemd", "k8s")


@dataclass(frozen=True)
class Job:
    name: str
    cron: str  # five-field cron
    on_calendar: str  # systemd OnCalendar
    args: str


JOBS = (
    Job("backup-full", "30 1 * * 0", "Sun *-*-* 01:30:00", "backup run --type full --repo 1"),
    Job(
        "backup-diff", "30 1 * * 1-6", "Mon..Sat *-*-* 01:30:00", "backup run --type diff --repo 1"
    ),
    Job("backup-incr", "15 * * * *", "*-*-* *:15:00", "backup run --type incr --repo 1"),
    Job("backup-full-repo2", "30 3 * * 0", "Sun *-*-* 03:30:00", "backup run --type full --repo 2"),
    Job(
        "backup-diff-repo2",
        "30 3 * * 1-6",
        "Mon..Sat *-*-* 03:30:00",
        "backup run --type diff --repo 2",
    ),
    # Scheduled: confirmed up front (a timer has no terminal to ask on).
    Job("backup-expire", "0 5 * * *", "*-*-* 05:00:00", "backup expire --yes"),
    Job("backup-verify", "30 5 * * *", "*-*-* 05:30:00", "backup verify"),
    # Every day's backup proven by a restore (fixiactl.backup.proof), after the diff/full.
    Job("backup-prove", "0 4 * * *", "*-*-* 04:00:00", "backup prove --repo 1"),
    Job("backup-metrics", "*/5 * * * *", "*:0/5", "backup list --json"),
    Job("dr-drill", "0 6 1 * *", "*-*-01 06:00:00", "dr drill --from-repo 2"),
)


def _fixiactl() -> str:
    return shutil.which("fixiactl") or "fixiactl"


def cron(env: str, user: str = "root") -> str:
    exe = _fixiactl()
    lines = [
        f"# fixia backups for {env}: install as /etc/cron.d/fixia-backup-{env}",
        "SHELL=/bin/sh",
    ]
    for job in JOBS:
        lines.append(f"{job.cron} {user} {exe} {job.args} --env {env} >/dev/null 2>&1")
    return "\n".join(lines) + "\n"


def systemd(env: str) -> dict[str, str]:
    """unit file name → contents: one oneshot service and one timer per job."""
    exe = _fixiactl()
    units: dict[str, str] = {}
    for job in JOBS:
        name = f"fixia-{job.name}-{env}"
        units[f"{name}.service"] = (
            f"[Unit]\nDescription=fixia {job.name} ({env})\n\n[Service]\nType=oneshot\n"
            f"ExecStart={exe} {job.args} --env {env}\n"
        )
        units[f"{name}.timer"] = (
            f"[Unit]\nDescription=fixia {job.name} ({env})\n\n[Timer]\n"
            f"OnCalendar={job.on_calendar}\nPersistent=true\nRandomizedDelaySec=60\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
    return units


def kubernetes(env: str, image: str = "ghcr.io/fixia/fixiactl:latest") -> str:
    docs = []
    for job in JOBS:
        args = ", ".join(f'"{a}"' for a in [*job.args.split(), "--env", env])
        docs.append(
            f"""apiVersion: batch/v1
kind: CronJob
metadata:
  name: fixia-{job.name}-{env}
spec:
  schedule: "{job.cron}"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 1
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: fixiactl
              image: {image}
              args: [{args}]
              envFrom:
                - secretRef:
                    name: fixia-backup-cipher   # FIXIACTL_BACKUP_REPO{{1,2}}_CIPHER_PASS
"""
        )
    return "---\n".join(docs)


def render(fmt: str, env: str) -> str:
    if fmt == "cron":
        return cron(env)
    if fmt == "systemd":
        return "".join(f"# --- {name}\n{text}\n" for name, text in systemd(env).items())
    return kubernetes(env)


def install(fmt: str, env: str, dest: Path | None) -> list[Path]:
    """Write the files; cron into /etc/cron.d, systemd units into /etc/systemd/system (then
    `systemctl daemon-reload && systemctl enable --now fixia-*-ENV.timer`)."""
    written: list[Path] = []
    if fmt == "cron":
        path = (dest or Path("/etc/cron.d")) / f"fixia-backup-{env}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cron(env))
        path.chmod(0o644)
        written.append(path)
    elif fmt == "systemd":
        for name, text in systemd(env).items():
            path = (dest or Path("/etc/systemd/system")) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    else:
        path = (dest or Path.cwd()) / f"fixia-backup-{env}-cronjobs.yaml"
        path.write_text(kubernetes(env))
        written.append(path)
    return written
