"""repo2 on an S3 API (`[backup] repo2 = "s3"`): on a stack, its own moto server behind TLS.

pgBackRest speaks S3 only over https and matches the certificate's DNS names (not IP SANs);
moto's own `--ssl` dev server breaks pgBackRest's TLS ("unexpected eof"). So the stack runs
two programs: `backup-s3`, moto's standalone server on a loopback port (plain HTTP), and
`backup-s3-tls`, an HAProxy terminating TLS in front of it with a self-signed certificate for
`localhost`, which pgBackRest trusts through `repo2-storage-ca-file`.

Why a moto of its own, not media's: moto keeps objects in memory, and a restart of media's
server (a media test, a config change) must not empty the backups. A restart of this one
does: `fixiactl stack up` then re-creates the bucket and the stanza, and the next repo2 full
backup (scheduled, or `fixiactl backup run --repo 2 --type full`) restores the off-site copy;
WalArchivingFailing and BackupOffsiteStale fire meanwhile. On a real host repo2 is a real
bucket in another region (pgbackrest.production.conf.j2).
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from fixiactl.errors import FixiactlError
from fixiactl.files import write_private
from fixiactl.stack.config import EnvConfig, StackState, add_ports, state_dir
from fixiactl.stack.health import http_ok, tcp_ok, wait_for

OFFSETS = {"backup_s3": 18, "backup_s3_tls": 19}
BUCKET = "fixia-backup"
REGION = "us-east-1"
HOST = "localhost"  # the certificate's DNS name: pgBackRest does not match IP SANs
PROGRAMS = ("backup-s3", "backup-s3-tls")


def directory(env: str) -> Path:
    return state_dir(env) / "backup-s3"


def ca_file(env: str) -> Path:
    return directory(env) / "cert.pem"


def ensure_ports(config: EnvConfig, stack: StackState) -> None:
    add_ports(config, stack, OFFSETS)


def keys(root: Path) -> dict[str, str]:
    """moto takes any keys; generated once, owner-only, next to the cipher passphrases."""
    path = root / "s3-keys.txt"
    if path.exists():
        key, secret = path.read_text().split()
    else:
        key, secret = f"fixia-{secrets.token_hex(6)}", secrets.token_urlsafe(30)
        root.mkdir(parents=True, exist_ok=True)
        write_private(path, f"{key} {secret}\n")
    return {"PGBACKREST_REPO2_S3_KEY": key, "PGBACKREST_REPO2_S3_KEY_SECRET": secret}


def ensure_certificate(env: str) -> Path:
    folder = directory(env)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key, combined = folder / "cert.pem", folder / "key.pem", folder / "combined.pem"
    if not combined.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "3650",
                "-subj",
                f"/CN={HOST}",
                "-addext",
                f"subjectAltName=DNS:{HOST}",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        write_private(combined, cert.read_text() + key.read_text())
        cert.chmod(0o644)  # the CA file pgBackRest (postgres) reads
    return combined


def render(env: str, ports: dict[str, int]) -> list[dict[str, str]]:
    """supervisord programs (and HAProxy's config for the TLS one)."""
    combined = ensure_certificate(env)
    cfg = directory(env) / "haproxy.cfg"
    write_private(
        cfg,
        f"""# Rendered by fixiactl: TLS in front of the backup S3 server (fixiactl.backup.s3repo).
global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
frontend s3_tls
    bind 127.0.0.1:{ports["backup_s3_tls"]} ssl crt {combined}
    default_backend moto
backend moto
    server moto 127.0.0.1:{ports["backup_s3"]}
""",
    )
    moto = Path(sys.executable).parent / "moto_server"
    return [
        {"name": "backup-s3", "command": f"{moto} -H 127.0.0.1 -p {ports['backup_s3']}"},
        {"name": "backup-s3-tls", "command": f"/usr/sbin/haproxy -W -db -f {cfg}"},
    ]


def ensure_bucket(env: str, ports: dict[str, int], root: Path) -> None:
    wait_for(
        "the backup S3 server",
        lambda: http_ok(f"http://127.0.0.1:{ports['backup_s3']}/moto-api/"),
        30,
        f"see {state_dir(env)}/log/backup-s3.log",
    )
    wait_for("its TLS front", lambda: tcp_ok(ports["backup_s3_tls"]), 15, "backup-s3-tls.log")
    k = keys(root)
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{ports['backup_s3']}",
        region_name=REGION,
        aws_access_key_id=k["PGBACKREST_REPO2_S3_KEY"],
        aws_secret_access_key=k["PGBACKREST_REPO2_S3_KEY_SECRET"],
        config=Config(connect_timeout=3, read_timeout=10, s3={"addressing_style": "path"}),
    )
    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise FixiactlError(f"cannot create the backup bucket: {code}") from error


def conf(env: str, ports: dict[str, int]) -> dict[str, Any]:
    """What pgbackrest.conf.j2 renders for repo2 on S3."""
    return {
        "bucket": BUCKET,
        "region": REGION,
        "endpoint": HOST,
        "port": ports["backup_s3_tls"],
        "ca_file": ca_file(env),
    }
