"""The stack's S3 API server for media (docs/operations/stack.md, "Media storage").

With `media_s3 = true` in the environment's file, `fixiactl stack up` runs moto's standalone
S3 server (`moto_server`, from the checkout's venv: the machine has no MinIO or other
S3-compatible server) as the supervised `s3` component, creates the bucket, and points both
slots and their workers at it (FIXIA_MEDIA__STORAGE=s3). The keys are generated once and kept
in stack.json; they reach the app only through its owner-only env file, never argv. moto
keeps objects in memory: a restart of the component empties the bucket (`up` re-creates it),
so this stands in for object storage on a test or dev host, never for production's bucket.
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from fixiactl.errors import FixiactlError
from fixiactl.stack.config import EnvConfig, StackState

BUCKET = "fixia-media"
REGION = "us-east-1"


def server_binary() -> Path:
    return Path(sys.executable).parent / "moto_server"


def enabled(config: EnvConfig, state: StackState) -> bool:
    return config.media_s3 and "s3" in state.ports and bool(state.s3_access_key)


def check_binary(config: EnvConfig) -> None:
    if config.media_s3 and not server_binary().exists():
        raise FixiactlError(
            f"media_s3 is on but {server_binary()} is missing",
            hint="install the dev dependencies (moto[server]): make venv",
        )


def endpoint(state: StackState) -> str:
    return f"http://127.0.0.1:{state.ports['s3']}"


def app_env(state: StackState) -> dict[str, str]:
    return {
        "FIXIA_MEDIA__STORAGE": "s3",
        "FIXIA_MEDIA__S3_ENDPOINT_URL": endpoint(state),
        "FIXIA_MEDIA__S3_BUCKET": BUCKET,
        "FIXIA_MEDIA__S3_REGION": REGION,
        "FIXIA_MEDIA__S3_ACCESS_KEY_ID": state.s3_access_key,
        "FIXIA_MEDIA__S3_SECRET_ACCESS_KEY": state.s3_secret_key,
    }


def ensure_bucket(state: StackState) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint(state),
        region_name=REGION,
        aws_access_key_id=state.s3_access_key,
        aws_secret_access_key=state.s3_secret_key,
        config=Config(connect_timeout=3, read_timeout=10, s3={"addressing_style": "path"}),
    )
    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        }:
            raise
