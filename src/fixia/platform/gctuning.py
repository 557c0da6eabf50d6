"""The cyclic garbage collector's settings in a serving worker.

Measured in process with 16 concurrent requests (docs/observability.md, Garbage collection):
at CPython's default young threshold (700) a collection ran every ~17 requests, each walking
the objects of every request still in flight, and young collections took 55-80 µs of a
1.5-2.2 ms request. A collection's cost grows far slower than the threshold (0.9 → 2.9 ms
for ten times it), so at 7000 they took 11-17 µs. The price is a few thousand more container
objects waiting for a collection: a megabyte or two. A full collection walked the whole heap,
mostly imported modules and the built app (~130 ms, ~45 µs a request); freezing after
start-up takes them out of it (~5 ms). gc.freeze came to CPython from Instagram's servers.
"""

from __future__ import annotations

import gc

from fixia.config.runtime import GcSettings


def tune(settings: GcSettings) -> None:
    """Apply `settings` to this process: call it once the app is built, in each worker."""
    if settings.freeze_after_start:
        # Garbage first: what is frozen is never collected.
        gc.collect()
        gc.freeze()
    if settings.gen0_threshold:
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(settings.gen0_threshold, gen1, gen2)
