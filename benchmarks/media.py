"""Media throughput and memory (issue #21): a 3-megapixel JPEG from upload to ready variants.

Three figures against a baseline of the same run:
- **Pillow directly** (the baseline): decode at full size, then for each size (thumb, card,
  full) resize and save WebP + JPEG with the same quality settings. What a naive worker does.
- **Fixia's variants** (`fixia.media.variants.make_variants`, the worker's CPU part): draft
  decoding, one shrink after decoding, metadata-free re-encoding.
- **Upload to ready**, in process over ASGI (SQLite, filesystem store, the queue eager so the
  variants are made before the 202 returns): the whole path, HTTP multipart, checks by
  decoding, the row and job, the store after commit, the worker, the records.
Peak memory: the growth of the process's peak RSS over one upload (after a warm-up), each
measured in a fresh interpreter so earlier runs do not hide it. Writes var/bench/media.json
and .md.

    .venv/bin/python benchmarks/media.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path("var/bench")
SIZES = {"thumb": 160, "card": 480, "full": 1600}
WIDTH, HEIGHT = 2000, 1500  # 3 MP


def photo() -> bytes:
    """A photo-like 3 MP JPEG: gradients and noise, so the encoders have real work."""
    from PIL import Image

    noise = Image.effect_noise((WIDTH, HEIGHT), 40)
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    image = Image.merge("RGB", (noise, gradient, gradient.transpose(Image.Transpose.ROTATE_180)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def pillow_baseline(data: bytes) -> int:
    from PIL import Image

    made = 0
    with Image.open(io.BytesIO(data)) as opened:
        full = opened.convert("RGB")
    for side in SIZES.values():
        image = full.copy()
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        for fmt, options in (("WEBP", {"quality": 80, "method": 4}), ("JPEG", {"quality": 82})):
            image.save(io.BytesIO(), fmt, **options)
            made += 1
    return made


def fixia_variants(data: bytes) -> int:
    from fixia.media.variants import make_variants

    return len(make_variants(data, SIZES, 40_000_000))


def per_second(work: Callable[[bytes], int], data: bytes, rounds: int) -> dict[str, float]:
    work(data)  # warm-up: codecs loaded
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work(data)
        samples.append(time.perf_counter() - started)
    median = statistics.median(samples)
    return {"median_ms": round(median * 1000, 1), "images_per_s": round(1 / median, 2)}


async def _uploads(tmp: Path, data: bytes, rounds: int, warm: bytes) -> list[float]:
    import httpx

    from fixia import migrate
    from fixia.config import EmailSettings, QueueSettings, RateLimitSettings, Settings
    from fixia.main import create_app
    from fixia.seed import DEMO_PASSWORD, seed_demo

    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
        var_dir=tmp,
        email=EmailSettings(outbox_dir=tmp / "outbox"),
        ratelimit=RateLimitSettings(enabled=False),
        queue=QueueSettings(eager=True),
    )
    await asyncio.to_thread(migrate.upgrade, settings)
    await seed_demo(settings)
    app = create_app(settings)
    samples: list[float] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
    ) as client:
        login = {"email": "pro0@demo.fixia.com.ar", "password": DEMO_PASSWORD}
        token = (await client.post("/api/v1/auth/login", json=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def one(body: bytes) -> float:
            started = time.perf_counter()
            files = {"file": ("obra.jpg", body, "image/jpeg")}
            r = await client.post(
                "/api/v1/me/avatar", files=files, data={"alt": "Obra"}, headers=headers
            )
            assert r.status_code == 202, r.text
            ready = await client.get(f"/api/v1/media/{r.json()['id']}", headers=headers)
            assert ready.json()["status"] == "ready", ready.text
            return time.perf_counter() - started

        await one(warm)
        for _ in range(rounds):
            samples.append(await one(data))
    await app.state.engine.dispose()
    return samples


def upload_to_ready(data: bytes, rounds: int) -> dict[str, float]:
    from PIL import Image

    warm = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(warm, "JPEG")
    with tempfile.TemporaryDirectory() as tmp:
        samples = asyncio.run(_uploads(Path(tmp), data, rounds, warm.getvalue()))
    median = statistics.median(samples)
    return {"median_ms": round(median * 1000, 1), "images_per_s": round(1 / median, 2)}


_PROBE = """
import io, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import media as bench
from PIL import Image
data = Path(sys.argv[3]).read_bytes()
small = io.BytesIO()
Image.new("RGB", (64, 64), "teal").save(small, "JPEG")
def peak_kb():
    # VmHWM: this program's own high-water mark. ru_maxrss would carry the parent's RSS
    # over fork + exec and hide the growth under it.
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(l for l in status if l.startswith("VmHWM")).split()[1])
what = sys.argv[2]
work = {"pillow": bench.pillow_baseline, "fixia": bench.fixia_variants}.get(what)
if work is None:
    bench.upload_to_ready(small.getvalue(), 1)  # warm-up: app, seed, codecs
    before = peak_kb()
    bench.upload_to_ready(data, 1)
else:
    work(small.getvalue())  # warm-up: codecs loaded
    before = peak_kb()
    work(data)
after = peak_kb()
print(json.dumps({"grew_mb": round((after - before) / 1024, 1)}))
"""


def peak_mb(what: str, data: bytes) -> float:
    """Peak RSS growth over one image in a fresh interpreter (the photo is read from a file:
    making it in the probe would raise the peak first and hide the figure)."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        probe = subprocess.run(  # noqa: S603 - this interpreter, our own probe
            [sys.executable, "-c", _PROBE, str(Path(__file__).parent), what, file.name],
            capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
    grew: float = json.loads(probe.stdout.strip().splitlines()[-1])["grew_mb"]
    return grew


def markdown(report: dict[str, Any]) -> str:
    rows = report["results"]
    lines = [
        f"A {WIDTH}x{HEIGHT} JPEG ({report['input_kb']} KB) into thumb, card and full, "
        "WebP + JPEG (6 files). Medians of the same run.",
        "",
        "| path | ms per image | images/s | peak RSS growth MB |",
        "|---|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['median_ms']} | {r['images_per_s']} | {r['peak_mb']} |")
    lines += ["", f"Fixia's variants vs Pillow directly: **{report['speedup']}×** the throughput."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = photo()
    results = {
        "Pillow directly (baseline)": {**per_second(pillow_baseline, data, args.rounds)},
        "fixia variants (worker CPU)": {**per_second(fixia_variants, data, args.rounds)},
        "upload to ready (HTTP, in process)": upload_to_ready(data, args.rounds),
    }
    for name, what in zip(results, ("pillow", "fixia", "upload"), strict=True):
        results[name]["peak_mb"] = peak_mb(what, data)
    base = results["Pillow directly (baseline)"]["images_per_s"]
    ours = results["fixia variants (worker CPU)"]["images_per_s"]
    report = {
        "input": f"{WIDTH}x{HEIGHT} JPEG",
        "input_kb": len(data) // 1024,
        "rounds": args.rounds,
        "results": results,
        "speedup": round(ours / base, 2),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "media.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (args.out / "media.md").write_text("# Media: upload to ready variants\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
