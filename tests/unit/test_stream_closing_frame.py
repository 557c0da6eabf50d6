"""When a slot stops, its streams are told to reconnect after 0.5 s plus a random share of
the spread (2.5 s), so the new slot takes them over a few seconds, not in one burst."""

from __future__ import annotations

from fixia.streams.sse import StreamLimits, closing_frame


def _retry(frame: str) -> int:
    assert frame.startswith("retry: ") and frame.endswith("\n\n")
    return int(frame.removeprefix("retry: ").strip())


def test_closing_frames_spread_reconnects_over_the_window() -> None:
    limits = StreamLimits(heartbeat_s=15, max_age_s=300, replay_batch=200)
    delays = [_retry(closing_frame(limits)) for _ in range(500)]
    assert all(500 <= d < 3000 for d in delays)
    # Spread, not one value: at least one delay in each half second of the window.
    assert {d // 500 for d in delays} == {1, 2, 3, 4, 5}


def test_no_spread_keeps_the_plain_retry() -> None:
    limits = StreamLimits(heartbeat_s=15, max_age_s=300, replay_batch=200, closing_spread_ms=0)
    assert _retry(closing_frame(limits)) == 500
