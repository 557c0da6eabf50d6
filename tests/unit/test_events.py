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
    events.emit("user.registered", user_id="u1")
    events.emit("other", x=1)
    for stop in unsubscribe:
        stop()
    events.emit("user.registered", user_id="u2")
    assert seen == [
        ("user.registered", {"user_id": "u1"}),
        ("*", {"user_id": "u1"}),
        ("*", {"x": 1}),
    ]
