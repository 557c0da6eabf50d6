"""Queue gauges read from procrastinate's tables at each scrape: depth, the age of the oldest
due job, running and failed jobs by task. Every worker exports the same numbers (they are the
database's), so dashboards and alerts take max() across workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

STATS_SQL = """
SELECT j.task_name, j.status, count(*) AS n,
       max(extract(epoch FROM now() - greatest(coalesce(j.scheduled_at, d.at), d.at))) AS age
FROM procrastinate_jobs j
LEFT JOIN LATERAL (
    SELECT min(e.at) AS at FROM procrastinate_events e
    WHERE e.job_id = j.id AND e.type = 'deferred'
) d ON true
WHERE j.status IN ('todo', 'doing', 'failed')
  AND (j.status <> 'todo' OR j.scheduled_at IS NULL OR j.scheduled_at <= now())
GROUP BY j.task_name, j.status
"""


def read_stats(dsn: str, timeout_s: float = 2.0) -> list[tuple[str, str, int, float]]:
    with psycopg.connect(dsn, connect_timeout=max(int(timeout_s), 1), autocommit=True) as conn:
        rows: list[Any] = conn.execute(STATS_SQL).fetchall()
    return [(str(t), str(s), int(n), float(a or 0)) for t, s, n, a in rows]


class QueueCollector(Collector):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "fixia_queue_jobs_waiting", "Jobs due and not yet started, by task", labels=["task"]
        )
        running = GaugeMetricFamily(
            "fixia_queue_jobs_running", "Jobs a worker is running, by task", labels=["task"]
        )
        failed = GaugeMetricFamily(
            "fixia_queue_jobs_failed",
            "Jobs that failed for good (retries used up), by task",
            labels=["task"],
        )
        oldest = GaugeMetricFamily(
            "fixia_queue_oldest_job_age_seconds", "Age of the oldest job due and not started"
        )
        up = GaugeMetricFamily("fixia_queue_stats_up", "1 when the queue's tables could be read")
        try:
            rows = read_stats(self.dsn)
        except psycopg.Error:
            up.add_metric([], 0)
            yield up
            return
        age = 0.0
        for task, status, n, job_age in rows:
            if status == "todo":
                waiting.add_metric([task], n)
                age = max(age, job_age)
            elif status == "doing":
                running.add_metric([task], n)
            else:
                failed.add_metric([task], n)
        oldest.add_metric([], age)
        up.add_metric([], 1)
        yield from (waiting, running, failed, oldest, up)
