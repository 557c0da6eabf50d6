"""`fixia`: serve the app and manage its database."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from fixia import __version__
from fixia.audit.cli import audit_app
from fixia.config import Settings, get_settings
from fixia.exitcodes import ExitCode
from fixia.models import import_all
from fixia.trust.cli import trust_app

app = typer.Typer(
    help="Fixia marketplace service.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User administration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
jobs_app = typer.Typer(help="Scheduled jobs, safe to run from cron.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(jobs_app, name="jobs")
app.add_typer(audit_app, name="audit")
app.add_typer(trust_app, name="trust")
console = Console(stderr=True)
T = TypeVar("T")
JsonOption = typer.Option("--json", help="Machine-readable output on stdout")
YesOption = typer.Option("--yes", help="Confirm up front (automation; no prompt)")


@app.callback()
def _configure_mappers() -> None:
    # Every command's rows reference others (an audit row a user, a trust score a profile):
    # load every mapper here, once, so the domains' commands need not import the registry.
    import_all()


# uvicorn's supervisor pings each worker over a pipe and kills one that does not answer in
# time, counting from the spawn. A new worker answers only once it has re-imported this
# module (spawn start method) and started its pong thread; under load on a 2-core host that
# took 13-21 s (docs/operations/stack.md), so uvicorn's 5 s default killed every replacement
# before it answered: a restart loop. The pong thread is not the event loop, so a shorter
# timeout would not catch a stuck loop anyway (HAProxy's /readyz check does); this one only
# has to catch a frozen process.
WORKER_HEALTHCHECK_TIMEOUT_S = 120


def _run(fn: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(fn(get_settings()))


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=ExitCode.FAILURE)


def _confirm(question: str, *, yes: bool) -> None:
    """As fixiactl's: --yes answers up front; with no terminal to ask on, refuse (exit 3)."""
    if yes:
        return
    if not sys.stdin.isatty():
        console.print(f"[red]refused:[/red] {question} (no terminal to confirm on)")
        console.print("[yellow]hint:[/yellow] confirm with --yes")
        raise typer.Exit(code=ExitCode.REFUSED)
    if not typer.confirm(question, default=False):
        raise typer.Exit(code=ExitCode.REFUSED)


def _say(as_json: bool, data: Any, human: str) -> None:
    typer.echo(json.dumps(data) if as_json else human)


def load_env_file(path: Path) -> None:
    """KEY=VALUE lines into the environment, before settings are read (no shell quoting)."""
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            os.environ[key.strip()] = value


class ServerChoice(StrEnum):
    UVICORN = "uvicorn"
    GRANIAN = "granian"


@app.command()
def serve(
    env_file: Annotated[Path | None, typer.Option(help="KEY=VALUE settings file")] = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    server: Annotated[
        ServerChoice | None,
        typer.Option(help="The HTTP server (default: the serve.server setting)"),
    ] = None,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = False,
    seed_demo: Annotated[bool, typer.Option("--seed-demo", help="Seed demo data if empty")] = False,
    worker_healthcheck_timeout: Annotated[
        int, typer.Option(min=5, help="Seconds a worker may take to answer uvicorn's ping")
    ] = WORKER_HEALTHCHECK_TIMEOUT_S,
) -> None:
    """Serve the API with uvicorn or granian (docs/performance.md, Server)."""
    from fixia.platform import servers

    if env_file is not None:
        load_env_file(env_file)
        get_settings.cache_clear()
    settings = get_settings()
    chosen = server or settings.serve.server  # the setting is validated by its type
    _fresh_metrics_dir()
    from fixia.observability.logging import configure_logging

    # The server's own lines (the supervisor's, the workers') in the app's JSON format.
    configure_logging(settings.observability.log_level)
    if migrate_first:
        from fixia import migrate

        migrate.upgrade(settings)
    if seed_demo:
        from fixia.seed import DemoSeedRefused, seed_demo_if_empty

        try:
            created = asyncio.run(seed_demo_if_empty(settings))
        except DemoSeedRefused as refused:
            raise _fail(str(refused)) from refused
        if created:
            console.print(f"seeded demo data: {created}")
    servers.run(
        "granian" if chosen == ServerChoice.GRANIAN else "uvicorn",
        host=host,
        port=port,
        workers=workers,
        graceful_shutdown_s=settings.serve.graceful_shutdown_s,
        healthcheck_timeout_s=worker_healthcheck_timeout,
    )


def _fresh_metrics_dir() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR before the workers start: files left by the previous
    run's processes would otherwise be added to this run's counters. Runs before anything
    imports prometheus_client, which picks its multiprocess mode at import."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head", as_json: Annotated[bool, JsonOption] = False) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from fixia import migrate

    migrate.upgrade(get_settings(), revision)
    _say(as_json, {"upgraded_to": revision}, f"upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the revisions it would revert; change nothing")
    ] = False,
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Revert migrations down to REVISION (e.g. -1 or base): asks first (--yes), as it may
    drop columns and their data; --dry-run lists what it would revert."""
    from fixia import migrate

    settings = get_settings()
    plan = migrate.downgrade_plan(_run(_current_revisions), revision)
    if dry_run:
        _say(
            as_json,
            {"dry_run": True, "revert": plan},
            "would revert: " + (", ".join(plan) or "nothing"),
        )
        return
    _confirm(f"Revert {len(plan)} migration(s) ({', '.join(plan)})?", yes=yes)
    migrate.downgrade(settings, revision)
    _say(as_json, {"reverted": plan}, f"reverted {', '.join(plan) or 'nothing'}")


async def _current_revisions(settings: Settings) -> frozenset[str]:
    from fixia import migrate
    from fixia.db import create_engine

    engine = create_engine(settings)
    try:
        return await migrate.current_revisions(engine)
    finally:
        await engine.dispose()


@db_app.command("current")
def db_current(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Show the schema revision and whether it is at head."""
    from fixia import migrate

    revs = _run(_current_revisions)
    heads = migrate.head_revisions()
    current, head, at_head = sorted(revs), sorted(heads), revs == heads
    info = {"current": current, "head": head, "at_head": at_head}
    typer.echo(
        json.dumps(info)
        if as_json
        else f"current: {', '.join(current) or '(none)'}  head: {', '.join(head)}"
        f"  {'at head' if at_head else 'BEHIND'}"
    )
    if not at_head:
        raise typer.Exit(code=ExitCode.REFUSED)


@db_app.command("check")
def db_check(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Fail if the models and the migrations disagree."""
    from alembic.util.exc import AutogenerateDiffsDetected

    from fixia import migrate

    try:
        migrate.check(get_settings())
    except AutogenerateDiffsDetected as exc:
        raise _fail(f"models differ from migrations; write a migration.\n{exc}") from exc
    _say(as_json, {"agree": True}, "models and migrations agree")


@db_app.command("reindex-search")
def db_reindex_search(
    everything: Annotated[
        bool, typer.Option("--all", help="Every listing, not only those never analysed")
    ] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Analyse listings for search again and refresh the words typo correction offers
    (docs/search.md); prints how many of each."""
    from fixia.catalog import service, spelling
    from fixia.db import create_engine, session_factory, transactional

    async def reindex(settings: Settings) -> dict[str, int]:
        engine = create_engine(settings)
        try:
            async with transactional(session_factory(engine)) as session:
                done = await service.reindex_search(session=session, everything=everything)
                terms = await spelling.refresh_terms(session=session)
                return {"reindexed": done, "terms": terms}
        finally:
            await engine.dispose()

    counts = _run(reindex)
    _say(as_json, counts, f"reindexed {counts['reindexed']} listings, {counts['terms']} terms")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Realistic es-AR demo data")] = False,
    scale: Annotated[
        int, typer.Option("--scale", min=0, max=2_000_000, help="Bulk-generate N services")
    ] = 0,
    random_seed: Annotated[int, typer.Option("--seed")] = 42,
    images: Annotated[
        bool, typer.Option("--images/--no-images", help="--scale: covers and avatars (URLs)")
    ] = True,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only into an empty database")
    ] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Seed demo data or a large synthetic dataset."""
    from fixia import seed as seeding

    if not demo and not scale:
        raise _fail("say what to seed: --demo or --scale N")
    if demo:
        try:
            if if_empty:
                created = _run(seeding.seed_demo_if_empty)
                _counts(as_json, created or {"skipped": "database not empty"})
            else:
                _counts(as_json, _run(lambda s: seeding.seed_demo(s, random_seed=random_seed)))
        except seeding.DemoSeedRefused as refused:
            raise _fail(str(refused)) from refused
    if scale:
        counts = _run(
            lambda s: seeding.seed_scale(
                s, scale, random_seed=random_seed, console=console, images=images
            )
        )
        _counts(as_json, counts)


def _counts(as_json: bool, counts: dict[str, Any]) -> None:
    _say(as_json, counts, ", ".join(f"{k}: {v}" for k, v in counts.items()))


@users_app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)] = "Administrador",
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="FIXIA_ADMIN_PASSWORD"
        ),
    ] = "",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Create a verified administrator account."""
    from fixia.accounts import service as accounts_service
    from fixia.db import create_engine, session_factory, transactional
    from fixia.errors import DomainError
    from fixia.platform.passwords import password_problems

    problems = password_problems(password)
    if problems:
        raise _fail("password " + "; ".join(problems))

    async def create(settings: Settings) -> str:
        engine = create_engine(settings)
        try:
            async with transactional(session_factory(engine)) as session:
                user = await accounts_service.create_admin(
                    session=session, email=email, name=name, password=password
                )
                return str(user.id)
        finally:
            await engine.dispose()

    try:
        user_id = _run(create)
    except DomainError as exc:
        raise _fail(exc.detail) from exc
    _say(as_json, {"user_id": user_id, "email": email}, user_id)


@jobs_app.command("expire-subscriptions")
def expire_subscriptions(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Expire subscriptions past their end and downgrade their users; prints JSON counts."""
    from fixia.db import transactional
    from fixia.payments import expiry
    from fixia.wiring import one_shot_sessions

    async def expire(settings: Settings) -> dict[str, int]:
        # Downgrades queue e-mails and cancel agreements, and change what caches hold: the
        # sessions carry the queue and the cache, as a request's do.
        async with one_shot_sessions(settings) as sessions, transactional(sessions) as session:
            return await expiry.expire_due(session=session, settings=settings)

    _counts(as_json, _run(expire))


@app.command()
def worker(
    env_file: Annotated[Path | None, typer.Option(help="KEY=VALUE settings file")] = None,
    name: Annotated[str, typer.Option(help="Worker name in the queue's tables and logs")] = "",
    health_port: Annotated[
        int | None, typer.Option(help="Loopback port for /healthz and /metrics (0: none)")
    ] = None,
) -> None:
    """Run the job queue's worker until SIGTERM: running jobs finish within the grace period;
    one still running then is retried by another worker."""
    if env_file is not None:
        load_env_file(env_file)
        get_settings.cache_clear()
    # The slot's file names its uvicorn workers' shared metrics directory; the worker is one
    # process serving its own registry, and must not mix its files into the slot's.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    settings = get_settings()
    if health_port is not None:
        settings.queue.health_port = health_port
    if settings.is_sqlite:
        raise _fail(
            "the embedded SQLite default runs its jobs inside `fixia serve`; "
            "`fixia worker` needs PostgreSQL (set FIXIA_DATABASE_URL)"
        )
    from fixia.observability.logging import configure_logging
    from fixia.worker import run_worker

    configure_logging(settings.observability.log_level)
    worker_name = name or f"worker-{settings.observability.slot or os.getpid()}"
    asyncio.run(run_worker(settings, name=worker_name))


@app.command()
def version(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Print the release, git sha and schema head."""
    from fixia import migrate
    from fixia.buildinfo import git_sha

    settings = get_settings()
    info = {
        "version": __version__,
        "release": settings.release,
        "git_sha": git_sha(),
        "schema_head": sorted(migrate.head_revisions()),
    }
    typer.echo(
        json.dumps(info)
        if as_json
        else f"fixia {info['version']} ({info['release']}, {info['git_sha']}) "
        f"schema {', '.join(info['schema_head'])}"
    )
