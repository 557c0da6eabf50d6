"""The inbox and the conversation page. Everything works by plain forms and reloads; the
page's script (static/app.js) adds live messages and the live badge over the stream."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from fixia.accounts.models import User
from fixia.accounts.web_session import SignedIn
from fixia.conversations import messaging, moderation, presenters, service
from fixia.conversations.live import counts_hello
from fixia.conversations.models import ContextType
from fixia.conversations.schemas import MessageIn, ReportIn
from fixia.db import discard_after_commit
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import DomainError
from fixia.media import service as media_service
from fixia.media.dependencies import StorageDep
from fixia.media.models import MediaAsset, MediaKind
from fixia.media.validation import read_image
from fixia.platform.ratelimit import rate_limit
from fixia.streams.http import StreamAdmission, stream_response
from fixia.web.forms import read_form
from fixia.web.pages import (
    WEB_PAGE_SIZE,
    cursor_param,
    form_data,
    form_errors,
    redirect,
    render,
)

router = APIRouter()


@router.get("/messages")
async def inbox(request: Request, user: SignedIn, session: SessionDep) -> Response:
    archived = request.query_params.get("archived") == "1"
    items, next_cursor = await service.list_for(
        session=session,
        user=user,
        archived=archived,
        cursor=cursor_param(request),
        limit=WEB_PAGE_SIZE,
    )
    context = {
        "conversations": await presenters.conversations_out(session, user.id, items),
        "next_cursor": next_cursor,
        "archived": archived,
    }
    return render(request, "conversations/inbox.html", context)


@router.post("/messages/open/{context_type}/{context_id}")
async def open_conversation(
    request: Request,
    context_type: ContextType,
    context_id: uuid.UUID,
    user: SignedIn,
    session: SessionDep,
) -> Response:
    """The "Enviar mensaje" buttons of the job, proposal and request pages."""
    found = await service.open_for(
        session=session, user=user, context_type=context_type, context_id=context_id
    )
    await session.flush()
    return redirect(request, f"/messages/{found.id}")


async def _page(
    request: Request,
    user: SignedIn,
    session: SessionDep,
    settings: SettingsDep,
    conversation_id: uuid.UUID,
    extra: Mapping[str, object] | None = None,
    status: int = 200,
) -> Response:
    conversation = await service.party_conversation(
        session=session, user=user, conversation_id=conversation_id
    )
    # Opening the page reads the messages: the sender gets the receipt.
    await messaging.mark_read(session=session, conversation=conversation, reader=user)
    items, older = await messaging.history(
        session=session, conversation=conversation, cursor=cursor_param(request), limit=50
    )
    [summary] = await presenters.conversations_out(session, user.id, [conversation])
    context = {
        "conversation": summary,
        "messages": list(reversed(await presenters.messages_out(session, settings, items))),
        "older_cursor": older,
        "max_chars": settings.conversations.max_chars,
        "masked_notice": None,
        **(extra or {}),
    }
    return render(request, "conversations/conversation.html", context, status=status)


@router.get("/messages/{conversation_id}")
async def conversation_page(
    request: Request,
    conversation_id: uuid.UUID,
    user: SignedIn,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    notice = request.query_params.get("masked")
    extra = {"masked_notice": messaging.MASKED_NOTICE.format(kinds=notice)} if notice else {}
    return await _page(request, user, session, settings, conversation_id, extra)


@router.post("/messages/{conversation_id}")
async def send_message(
    request: Request,
    conversation_id: uuid.UUID,
    user: SignedIn,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> Response:
    """Text and, optionally, one image: a multipart form that works without JavaScript."""
    conversation = await service.party_conversation(
        session=session, user=user, conversation_id=conversation_id
    )
    form = await read_form(request)
    try:
        body = str(form.get("body") or "")
        try:
            uploaded = await _uploaded_image(request, form, session, settings, storage, user)
            MessageIn.model_validate({"body": body, "attachment_ids": [a.id for a in uploaded]})
            message, notice = await messaging.send(
                session=session, settings=settings, conversation=conversation, sender=user,
                body=body, attachment_ids=[], uploaded=uploaded,
            )  # fmt: skip
        except (ValidationError, DomainError) as error:
            errors, status = await _send_errors(session, error)
            await session.refresh(user)  # the rollback expired it; the page reads it
            extra = {"errors": errors, "form": {"body": body}}
            return await _page(request, user, session, settings, conversation_id, extra, status)
    finally:
        await form.close()  # the spooled upload's temporary file
    url = f"/messages/{conversation_id}"
    if notice:
        url += "?masked=" + ",".join(message.masked)
    return redirect(request, url + f"#m-{message.id}")


async def _uploaded_image(
    request: Request, form: FormData, session: SessionDep, settings: SettingsDep,
    storage: StorageDep, user: User,
) -> list[MediaAsset]:  # fmt: skip
    """The form's image, checked by the media package and queued for its variants. Only a
    message with a file counts against the upload routes' rate limit."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return []
    await rate_limit("image_uploads")(request)
    data, checked = await read_image(upload, settings.media)
    asset = await media_service.accept(
        session=session, settings=settings, storage=storage, owner=user,
        kind=MediaKind.message_photo, data=data, checked=checked,
        alt=str(form.get("alt") or "").strip()[:200],
    )  # fmt: skip
    return [asset]


async def _send_errors(
    session: SessionDep, error: ValidationError | DomainError
) -> tuple[dict[str, str], int]:
    """The page's field messages and status: 415/413 for a refused file, else 422. Nothing
    of the refused message stays: no upload row, and nothing stored after the commit."""
    await session.rollback()
    discard_after_commit(session)
    if isinstance(error, ValidationError):
        return {"body": "Escribí un mensaje de hasta 2000 caracteres o adjuntá una imagen."}, 422
    errors = await form_errors(session, error)
    return errors, error.status if error.status in (413, 415) else 422


@router.post("/messages/{conversation_id}/read")
async def mark_read(
    request: Request, conversation_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    """The page's script reads a message that arrived live (no JS: the reload reads it)."""
    conversation = await service.party_conversation(
        session=session, user=user, conversation_id=conversation_id
    )
    await messaging.mark_read(session=session, conversation=conversation, reader=user)
    return redirect(request, f"/messages/{conversation.id}")


@router.post("/messages/{conversation_id}/archive")
async def archive(
    request: Request, conversation_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    conversation = await service.party_conversation(
        session=session, user=user, conversation_id=conversation_id
    )
    archived = (await form_data(request)).get("archived") == "1"
    service.set_archived(conversation, user.id, archived)
    return redirect(request, "/messages", ok="archived" if archived else "unarchived")


@router.post("/messages/{conversation_id}/report/{message_id}")
async def report(
    request: Request,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    user: SignedIn,
    session: SessionDep,
) -> Response:
    conversation = await service.party_conversation(
        session=session, user=user, conversation_id=conversation_id
    )
    reason = str((await form_data(request)).get("reason", "")).strip()
    parsed = ReportIn.model_validate({"reason": reason or "Mensaje inapropiado"})
    await moderation.report(
        session=session,
        conversation=conversation,
        reporter=user,
        message_id=message_id,
        reason=parsed.reason,
    )
    return redirect(request, f"/messages/{conversation.id}", ok="reported")


@router.get("/stream", response_class=StreamingResponse)
async def stream(request: Request, _admitted: StreamAdmission, user: SignedIn) -> StreamingResponse:
    """The page's EventSource (same origin, the session cookie)."""
    return stream_response(request, user.id, counts_hello(request, user.id))
