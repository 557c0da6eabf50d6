"""Render and start the monitoring side of a stack: the programs, ports and configs the stack
runs for Prometheus, Alertmanager and the exporters. It lives in `stack`, which starts it;
`monitoring/` holds what those programs need (rules, receivers, collectors) and builds on
the stack, never the other way round."""

from __future__ import annotations

import shutil
import sys
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

from fixiactl.files import write_private
from fixiactl.stack import ha
from fixiactl.stack.config import (
    OFFSETS,
    EnvConfig,
    StackState,
    add_ports,
    state_dir,
)
from fixiactl.stack.health import http_ok, wait_for
from fixiactl.stack.supervisor import Supervisor

MARKER = "monitoring.enabled"
PROGRAMS = (
    "alert-receiver",
    "node-exporter",
    "postgres-exporter",
    "redis-exporter",
    "redis-limiter-exporter",
    "pgbouncer-collector",
    "alertmanager",
    "prometheus",
)
BINARIES = {
    "prometheus": Path("/usr/bin/prometheus"),
    "alertmanager": Path("/usr/bin/prometheus-alertmanager"),
    "node-exporter": Path("/usr/bin/prometheus-node-exporter"),
    "postgres-exporter": Path("/usr/bin/prometheus-postgres-exporter"),
    "redis-exporter": Path("/usr/bin/prometheus-redis-exporter"),
}


def enabled(name: str) -> bool:
    return (state_dir(name) / MARKER).exists()


def enable(name: str) -> None:
    (state_dir(name) / MARKER).touch()


def ensure_ports(config: EnvConfig, stack: StackState) -> None:
    """Stacks created before monitoring existed lack its ports: add them once, persisted."""
    add_ports(config, stack, OFFSETS)


def programs(config: EnvConfig, stack: StackState) -> list[dict[str, str]]:
    state = state_dir(config.name)
    p = stack.ports
    py = sys.executable
    listen = "--web.listen-address=127.0.0.1:"
    return [
        {
            "name": "alert-receiver",
            "command": f"{py} -m fixiactl.monitoring.receiver --port {p['alert_receiver']} "
            f"--out {state}/alerts/received.jsonl",
            "environment": "",
        },
        {
            "name": "node-exporter",
            "command": f"{BINARIES['node-exporter']} {listen}{p['node_exporter']} "
            f"--collector.textfile.directory={state}/textfile --no-collector.systemd",
            "environment": "",
        },
        {
            "name": "postgres-exporter",
            "command": f"{BINARIES['postgres-exporter']} {listen}{p['postgres_exporter']}",
            # Trust over the Unix socket (local only): no password in the environment. On an
            # HA stack: the leader, through HAProxy's primary frontend (fixiactl.stack.ha).
            "environment": ha.exporter_environment(config, stack)
            or f'DATA_SOURCE_NAME="postgresql://postgres@:{p["postgres"]}/postgres'
            f'?host={state}/pg/sock&sslmode=disable"',
        },
        *(
            {
                "name": name,
                "command": f"{BINARIES['redis-exporter']} -redis.addr redis://127.0.0.1:"
                f"{p[instance]} -web.listen-address 127.0.0.1:{p[f'{instance}_exporter']}",
                # The password in the environment (supervisord.conf is owner-only), not argv.
                "environment": f'REDIS_PASSWORD="{stack.redis_password}"',
            }
            for name, instance in (
                ("redis-exporter", "redis"),
                ("redis-limiter-exporter", "redis_limiter"),
            )
        ),
        {
            "name": "pgbouncer-collector",
            "command": f"{py} -m fixiactl.monitoring.pgbouncer --env {config.name}",
            "environment": "",
        },
        {
            "name": "alertmanager",
            "command": f"{BINARIES['alertmanager']} --config.file={state}/alertmanager/"
            f"alertmanager.yml --storage.path={state}/alertmanager/data "
            f"{listen}{p['alertmanager']} --cluster.listen-address=",
            "environment": "",
        },
        {
            "name": "prometheus",
            "command": f"{BINARIES['prometheus']} --config.file={state}/prometheus/prometheus.yml "
            f"--storage.tsdb.path={state}/prometheus/data {listen}{p['prometheus']} "
            "--web.enable-lifecycle",
            "environment": "",
        },
    ]


def copy_rules(source: Path, target: Path, for_override: str) -> list[Path]:
    """The rule files Prometheus loads; a test profile rewrites every `for:`."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.yml"):
        old.unlink()
    written = []
    for path in sorted(source.glob("*.yml")):
        out = target / path.name
        if for_override:
            data: dict[str, Any] = yaml.safe_load(path.read_text())
            for group in data.get("groups", []):
                for rule in group.get("rules", []):
                    if "alert" in rule:
                        rule["for"] = for_override
            out.write_text(yaml.safe_dump(data, sort_keys=False))
        else:
            shutil.copyfile(path, out)
        written.append(out)
    return written


# What a production host renders (receiver secrets as files under /etc/fixia/alertmanager);
# the amtool gate and the routing tests check this rendering.
PRODUCTION_ALERTMANAGER: dict[str, str | bool] = {
    "env": "production",
    "secrets": "/etc/fixia/alertmanager",
    "local": False,
    "receiver_url": "",
    "pagerduty_url": "https://events.pagerduty.com/v2/enqueue",
    "smtp_smarthost": "smtp.fixia.com.ar:587",
    "smtp_require_tls": "true",
    "group_wait": "30s",
    "group_interval": "5m",
}


def render_production_alertmanager(deploy: Path) -> str:
    template = (deploy / "alertmanager" / "alertmanager.yml.j2").read_text()
    env = Environment(undefined=StrictUndefined, autoescape=False)
    return env.from_string(template).render(**PRODUCTION_ALERTMANAGER)


def _secrets(directory: Path, receiver: str) -> None:
    """Local stacks: the 'secrets' are URLs of the local receiver, one per fake vendor."""
    directory.mkdir(parents=True, exist_ok=True)
    values = {
        "slack_webhook_url": f"{receiver}/slack",
        "slack_security_webhook_url": f"{receiver}/slack-security",
        "pagerduty_routing_key": "local-routing-key",
        "smtp_password": "unused-locally",
    }
    for name, value in values.items():
        write_private(directory / name, value + "\n")


def render(config: EnvConfig, stack: StackState, jinja: Environment, deploy: Path) -> None:
    state = state_dir(config.name)
    for sub in ("prometheus/data", "alertmanager/data", "textfile", "alerts"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    receiver = f"http://127.0.0.1:{stack.ports['alert_receiver']}"
    _secrets(state / "alertmanager" / "secrets", receiver)
    context = {
        "env": config.name,
        "state": state,
        "ports": stack.ports,
        "scrape_interval": config.scrape_interval,
        "app_scrape_interval": config.app_scrape_interval or config.scrape_interval,
        "secrets": state / "alertmanager" / "secrets",
        "local": True,
        "receiver_url": receiver,
        "pagerduty_url": f"{receiver}/pagerduty",
        "smtp_smarthost": "127.0.0.1:25",
        "smtp_require_tls": "false",
        "group_wait": config.alert_group_wait,
        "group_interval": "5s" if config.alert_for else "5m",
    }
    outputs = {
        "prometheus/prometheus.yml.j2": state / "prometheus" / "prometheus.yml",
        "alertmanager/alertmanager.yml.j2": state / "alertmanager" / "alertmanager.yml",
    }
    for template, target in outputs.items():
        target.write_text(jinja.get_template(template).render(**context))
    copy_rules(deploy / "prometheus" / "rules", state / "prometheus" / "rules", config.alert_for)


def start(config: EnvConfig, stack: StackState, supervisor: Supervisor) -> None:
    known = {info["name"] for info in supervisor.all_info()}
    for name in PROGRAMS:
        if name not in known:
            # Monitoring enabled on a running stack: reloadConfig only reads the new file,
            # adding the group is what makes supervisord run it.
            supervisor.add_group(name)
        supervisor.start(name)
    state = state_dir(config.name)
    for name, port in (("Prometheus", "prometheus"), ("Alertmanager", "alertmanager")):
        url = f"http://127.0.0.1:{stack.ports[port]}/-/ready"
        wait_for(name, partial(http_ok, url), 30, f"see {state}/log/{name.lower()}.log")


def health_checks(ports: dict[str, int]) -> dict[str, Any]:
    """For `stack status`: each monitoring program's own readiness or metrics endpoint."""

    def url(port: str, path: str) -> Any:
        return lambda: port in ports and http_ok(f"http://127.0.0.1:{ports[port]}{path}")

    return {
        "prometheus": url("prometheus", "/-/ready"),
        "alertmanager": url("alertmanager", "/-/ready"),
        "node-exporter": url("node_exporter", "/metrics"),
        "postgres-exporter": url("postgres_exporter", "/metrics"),
        "redis-exporter": url("redis_exporter", "/metrics"),
        "redis-limiter-exporter": url("redis_limiter_exporter", "/metrics"),
        "alert-receiver": url("alert_receiver", "/"),
        "pgbouncer-collector": lambda: True,
    }
