from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.money import ledger
from fixia.money.models import Milestone
from fixia.money.schemas import MilestoneOut


async def milestone_out(session: AsyncSession, milestone: Milestone) -> MilestoneOut:
    held = await ledger.balance(session, ledger.held(milestone.id))
    fields = {c: getattr(milestone, c) for c in MilestoneOut.model_fields if c != "held"}
    return MilestoneOut.model_validate({**fields, "held": ledger.from_cents(held)})


async def plan_out(session: AsyncSession, plan: list[Milestone]) -> list[MilestoneOut]:
    return [await milestone_out(session, m) for m in plan]
