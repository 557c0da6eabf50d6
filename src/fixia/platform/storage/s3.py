"""S3-compatible object storage through boto3.

Why boto3: it is the reference client every S3-compatible server (AWS, MinIO, Ceph, moto)
is tested against; it resolves credentials through the standard chain (IRSA web identity,
instance roles, env), so production needs no static keys; and its stubs keep mypy strict.
aioboto3 pins aiobotocore to exact botocore releases (upgrade friction), and obstore is
fast but young. The calls here are few and small (variants of a few hundred KB), so each
runs in a worker thread instead of blocking the event loop; the client is thread-safe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from fixia.config import MediaSettings
from fixia.platform.storage import ObjectMissing, StoredObject, valid_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# DeleteObjects takes at most 1000 keys per call.
DELETE_BATCH = 1000


class S3Storage:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, media: MediaSettings) -> S3Storage:
        keys: dict[str, Any] = {}
        if media.s3_access_key_id and media.s3_secret_access_key:
            keys = {
                "aws_access_key_id": media.s3_access_key_id.get_secret_value(),
                "aws_secret_access_key": media.s3_secret_access_key.get_secret_value(),
            }
        client = boto3.client(
            "s3",
            endpoint_url=media.s3_endpoint_url,
            region_name=media.s3_region,
            config=Config(
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"},
            ),
            **keys,
        )
        return cls(client, media.s3_bucket)

    async def put(
        self, key: str, data: bytes, *, content_type: str, cache_control: str | None = None
    ) -> None:
        extra: dict[str, Any] = {"ContentType": content_type}
        if cache_control:
            extra["CacheControl"] = cache_control
        await anyio.to_thread.run_sync(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=valid_key(key), Body=data, **extra
            )
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=valid_key(key))
            except ClientError as error:
                if _code(error) in ("NoSuchKey", "404"):
                    raise ObjectMissing(key) from error
                raise
            return answer["Body"].read()

        return await anyio.to_thread.run_sync(read)

    async def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": valid_key(k)} for k in keys[start : start + DELETE_BATCH]]
            await anyio.to_thread.run_sync(
                lambda b=batch: self.client.delete_objects(  # type: ignore[misc]
                    Bucket=self.bucket, Delete={"Objects": b, "Quiet": True}
                )
            )

    async def exists(self, key: str) -> bool:
        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=valid_key(key))
            except ClientError as error:
                if _code(error) in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

        return await anyio.to_thread.run_sync(head)

    async def scan(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=prefix))
        while True:
            page = await anyio.to_thread.run_sync(next, pages, None)
            if page is None:
                return
            for item in page.get("Contents", []):
                yield StoredObject(item["Key"], item["Size"], item["LastModified"])


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
