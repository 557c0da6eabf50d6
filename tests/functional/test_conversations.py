"""Conversations over HTTP: one per pair and context, messages, read receipts, unread
counts, archive, keyset pages, masking before the contact reveal, reports and admin reads."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import Account, register
from tests.factories.admin import admin as make_admin
from tests.factories.admin import audit_for
from tests.factories.catalog import DbExec
from tests.factories.conversations import open_conversation, proposal_conversation, send, unread
from tests.factories.projects import API, apply, job_between, post_project


async def test_one_conversation_per_pair_and_context(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    project = await post_project(client, owner)
    proposal = await apply(client, pro, project["id"])
    first = await open_conversation(client, owner, "proposal", proposal["id"])
    again = await open_conversation(client, pro, "proposal", proposal["id"])
    assert first["id"] == again["id"]
    assert first["title"] == project["title"]
    assert first["other_party_name"] == pro.data["name"]
    assert again["other_party_name"] == owner.data["name"]
    # A stranger cannot open one on someone else's proposal.
    stranger = await register(client, outbox, role="professional")
    r = await client.post(
        f"{API}/conversations",
        json={"context_type": "proposal", "context_id": proposal["id"]},
        headers=stranger.headers,
    )
    assert r.status_code == 404
    assert r.json()["code"] == "conversation_context_not_found"
    job = await job_between(client, owner, pro)
    on_job = await open_conversation(client, owner, "job", job["job_id"])
    assert on_job["id"] != first["id"]


async def test_messages_unread_counts_read_receipts_and_pages(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    for n in range(5):
        await send(client, pro, conv["id"], f"Mensaje número {n} sobre el trabajo")
    await send(client, owner, conv["id"], "Perfecto, gracias")
    assert (await unread(client, owner))["total"] == 5
    assert (await unread(client, owner))["by_conversation"] == {conv["id"]: 5}
    assert (await unread(client, pro))["total"] == 1
    listed = (await client.get(f"{API}/conversations", headers=owner.headers)).json()
    assert [(c["id"], c["unread"]) for c in listed["items"]] == [(conv["id"], 5)]

    url = f"{API}/conversations/{conv['id']}/messages"
    page = (await client.get(url, params={"limit": 4}, headers=owner.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": 4, "cursor": page["next_cursor"]}, headers=owner.headers
        )
    ).json()
    bodies = [m["body"] for m in page["items"] + rest["items"]]
    assert bodies[0] == "Perfecto, gracias" and len(bodies) == 6 and len(set(bodies)) == 6
    assert rest["next_cursor"] is None

    r = await client.post(f"{API}/conversations/{conv['id']}/read", headers=owner.headers)
    assert r.status_code == 204
    assert (await unread(client, owner))["total"] == 0
    items = (await client.get(url, headers=pro.headers)).json()["items"]
    read = {m["body"]: m["read_at"] is not None for m in items}
    assert read["Mensaje número 0 sobre el trabajo"] is True
    assert read["Perfecto, gracias"] is False  # the professional has not read it yet
    assert (await unread(client, pro))["total"] == 1


async def test_archive_is_per_party_and_a_new_message_unarchives(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    await send(client, pro, conv["id"], "Hola, te paso el presupuesto")
    r = await client.put(
        f"{API}/conversations/{conv['id']}/archived",
        json={"archived": True},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json()["archived"] is True

    async def ids(who, archived: bool) -> list[str]:  # type: ignore[no-untyped-def]
        r = await client.get(
            f"{API}/conversations", params={"archived": archived}, headers=who.headers
        )
        return [c["id"] for c in r.json()["items"]]

    assert await ids(owner, False) == [] and await ids(owner, True) == [conv["id"]]
    assert await ids(pro, False) == [conv["id"]]
    await send(client, pro, conv["id"], "¿Lo pudiste ver?")
    assert await ids(owner, False) == [conv["id"]]


async def test_only_the_parties_read_and_write(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    _owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    await send(client, pro, conv["id"], "Hola")
    admin = await make_admin(client, outbox, db_exec)
    stranger = await register(client, outbox)
    base = f"{API}/conversations/{conv['id']}"
    for who in (stranger, admin):
        for method, path, body in (
            ("GET", "", None),
            ("GET", "/messages", None),
            ("POST", "/messages", {"body": "hola"}),
            ("POST", "/read", None),
            ("PUT", "/archived", {"archived": True}),
        ):
            r = await client.request(method, base + path, json=body, headers=who.headers)
            assert r.status_code == 404, (method, path, r.text)
    # Admins: only after a report.
    r = await client.get(f"{API}/admin/conversations/{conv['id']}/messages", headers=admin.headers)
    assert r.status_code == 403 and r.json()["code"] == "conversation_not_reported"


async def test_report_lets_admins_read_and_every_step_is_audited(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    message = await send(client, pro, conv["id"], "Mensaje ofensivo de prueba")
    r = await client.post(
        f"{API}/conversations/{conv['id']}/messages/{message['id']}/report",
        json={"reason": "Me insultó"},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    admin = await make_admin(client, outbox, db_exec)
    reports = (await client.get(f"{API}/admin/conversations/reports", headers=admin.headers)).json()
    assert [x["conversation_id"] for x in reports["items"]] == [conv["id"]]
    r = await client.get(f"{API}/admin/conversations/{conv['id']}/messages", headers=admin.headers)
    assert r.status_code == 200
    assert [m["body"] for m in r.json()["items"]] == ["Mensaje ofensivo de prueba"]
    r = await client.post(
        f"{API}/admin/conversations/{conv['id']}/resolve",
        json={"reason": "Advertencia enviada"},
        headers=admin.headers,
    )
    assert r.json() == {"resolved": 1}
    actions = [e["action"] for e in await audit_for(client, admin, "conversation", conv["id"])]
    assert actions.count("conversation.reported") == 1
    assert actions.count("conversation.admin_read") == 2  # the read and the resolve
    assert actions.count("conversation.report_resolved") == 1


async def test_text_limit(client: httpx.AsyncClient, outbox: Path) -> None:
    _owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    url = f"{API}/conversations/{conv['id']}/messages"
    assert (
        await client.post(url, json={"body": "a" * 2001}, headers=pro.headers)
    ).status_code == 422
    assert (await client.post(url, json={"body": "  "}, headers=pro.headers)).status_code == 422
    await send(client, pro, conv["id"], "a" * 2000)


async def _reveal(client: httpx.AsyncClient, owner: Account, match_id: str) -> None:
    r = await client.post(f"{API}/matches/{match_id}/contact-reveal", headers=owner.headers)
    assert r.status_code in (200, 201), r.text
    r = await client.post(
        f"{API}/contact-reveals/redeem", json={"token": r.json()["token"]}, headers=owner.headers
    )
    assert r.status_code == 200, r.text


async def test_contact_details_masked_before_the_reveal_and_passed_after(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    job = await job_between(client, owner, pro)
    conv = await open_conversation(client, pro, "job", job["job_id"])
    sent = await send(client, pro, conv["id"], "Llamame al 0280-15-455-1234 o a juan@gmail.com")
    assert "455" not in sent["body"] and "gmail" not in sent["body"]
    assert sent["masked"] == ["email", "phone"]
    assert sent["notice"] and "contacto" in sent["notice"]
    # The recipient never sees the original either.
    items = (
        await client.get(f"{API}/conversations/{conv['id']}/messages", headers=owner.headers)
    ).json()["items"]
    assert "455" not in items[0]["body"] and "notice" not in items[0]
    plain = await send(client, pro, conv["id"], "El presupuesto es $1.500.000")
    assert plain["body"] == "El presupuesto es $1.500.000" and plain["notice"] is None

    await _reveal(client, owner, job["match_id"])
    after = await send(client, pro, conv["id"], "Ahora sí: 0280-15-455-1234")
    assert after["body"] == "Ahora sí: 0280-15-455-1234"
    assert after["masked"] == [] and after["notice"] is None


async def test_repeated_attempts_are_flagged_for_moderation(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    _owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    admin = await make_admin(client, outbox, db_exec)

    async def flagged() -> list[dict[str, object]]:
        r = await client.get(f"{API}/admin/conversations/reports", headers=admin.headers)
        return [x for x in r.json()["items"] if x["conversation_id"] == conv["id"]]

    for attempt in ("mi cel 2804551234", "wa.me/5492804551234"):
        await send(client, pro, conv["id"], attempt)
    assert await flagged() == []
    await send(client, pro, conv["id"], "juan arroba gmail punto com")
    [report] = await flagged()
    assert report["automatic"] is True and report["message_id"] is None
    await send(client, pro, conv["id"], "de nuevo: 2804551234")
    assert len(await flagged()) == 1  # flagged once, not per attempt
    actions = [e["action"] for e in await audit_for(client, admin, "conversation", conv["id"])]
    assert actions.count("conversation.flagged") == 1


@pytest.mark.inprocess  # the eager queue makes the upload's variants at once
async def test_image_attachments_are_the_senders_own_ready_images(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    from tests.factories.catalog import create_service
    from tests.factories.media import jpeg, pdf, upload

    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    listing = await create_service(client, pro)
    photo = (await upload(client, pro, f"/services/{listing['id']}/photos", jpeg())).json()
    sent = await send(client, pro, conv["id"], "Así quedó", attachment_ids=[photo["id"]])
    [attachment] = sent["attachments"]
    assert attachment["id"] == photo["id"] and attachment["url"]
    seen = (
        await client.get(f"{API}/conversations/{conv['id']}/messages", headers=owner.headers)
    ).json()["items"][0]
    assert seen["attachments"] == [attachment]
    doc = await client.post(
        f"{API}/me/documents",
        files={"file": ("d.pdf", pdf(), "application/pdf")},
        data={"label": "license"},
        headers=pro.headers,
    )
    url = f"{API}/conversations/{conv['id']}/messages"
    # Someone else's image, a private document, an unknown id: refused.
    for refused, who in ((photo["id"], owner), (doc.json()["id"], pro), (str(uuid.uuid4()), pro)):
        r = await client.post(url, json={"attachment_ids": [refused]}, headers=who.headers)
        assert r.status_code == 422 and r.json()["code"] == "invalid_attachment", r.text
