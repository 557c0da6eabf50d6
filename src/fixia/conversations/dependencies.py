from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from fixia.accounts.dependencies import CurrentUser
from fixia.conversations import service
from fixia.conversations.models import Conversation
from fixia.deps import SessionDep


async def party_conversation(
    conversation_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> Conversation:
    """Only the two parties; admins go through the moderation routes (audited)."""
    return await service.party_conversation(
        session=session, user=user, conversation_id=conversation_id
    )


PartyConversation = Annotated[Conversation, Depends(party_conversation)]
