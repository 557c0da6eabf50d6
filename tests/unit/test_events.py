from fixia import events


def test_subscribers_receive_events_and_failures_are_isolated() -> None:
    seen: list[tuple[str, dict[str, object]]] = []

    def broken(_: events.DomainEvent) -> None:
        raise RuntimeError("listener bug")

    unsubscribe = [
        events.subscribe("user.registered", broken),
        events.subscribe("user.registered", lambda e: seen.append((e.name, e.data))),
        events.subscribe("*", lambda e: seen.append(("*", e.data))),
    ]
    events.observe("user.registered", user_id="u1")
    events.observe("other", x=1)
    for stop in unsubscribe:
        stop()
    events.observe("user.registered", user_id="u2")
    assert seen == [
        ("user.registered", {"user_id": "u1"}),
        ("*", {"user_id": "u1"}),
        ("*", {"x": 1}),
    ]


async def test_changes_are_delivered_after_commit_and_dropped_on_rollback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A rolled-back unit of work emits nothing; a committed one delivers once, after it."""
    import pytest

    from fixia.config import Settings
    from fixia.db import create_engine, session_factory, transactional

    seen: list[str] = []
    stop = events.subscribe("thing.changed", lambda e: seen.append(str(e.data["n"])))
    engine = create_engine(
        Settings(env="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/e.db")
    )
    sessions = session_factory(engine)

    async def failing() -> None:
        async with transactional(sessions) as session:
            events.emit(session, "thing.changed", n=1)
            raise RuntimeError("the request failed")

    try:
        with pytest.raises(RuntimeError):
            await failing()
        async with transactional(sessions) as session:
            events.emit(session, "thing.changed", n=2)
            assert seen == []  # not before the commit
        assert seen == ["2"]
    finally:
        stop()
        await engine.dispose()
