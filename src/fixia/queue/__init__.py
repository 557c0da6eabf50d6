"""Work after the commit: procrastinate's job queue (docs/operations/queue.md).

On PostgreSQL a job is written by the request's own transaction, so it exists exactly when
the business change does (a transactional outbox). On the embedded SQLite default the same
tasks run in process, deferred once the transaction has committed.
"""
