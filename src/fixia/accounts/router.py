from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status
from pydantic import BaseModel, Field

from fixia.accounts import erasure, registration, service, tokens
from fixia.accounts.dependencies import CurrentUser
from fixia.accounts.presenters import me_out
from fixia.accounts.schemas import (
    ChangePasswordIn,
    EmailIn,
    LoginIn,
    MeOut,
    Message,
    MeUpdate,
    ProfileUpdate,
    PublicProfessional,
    RefreshIn,
    RegisterIn,
    ResetPasswordIn,
    TokenIn,
    TokenPair,
)
from fixia.catalog import cached
from fixia.catalog.fastpath import professional_key
from fixia.deps import CacheDep, SessionDep, SettingsDep
from fixia.platform.ratelimit import LoginThrottle, login_throttle, rate_limit

auth = APIRouter(prefix="/auth", tags=["auth"])
users = APIRouter(tags=["users"])
UserAgent = Annotated[str | None, Header(max_length=512)]
GENERIC = "If the account exists, we sent an e-mail with the next steps."


class LogoutIn(BaseModel):
    refresh_token: Annotated[str, Field(max_length=200)] | None = None
    everywhere: bool = False


@auth.post(
    "/register", status_code=status.HTTP_201_CREATED, dependencies=[Depends(rate_limit("register"))]
)
async def register(data: RegisterIn, session: SessionDep, settings: SettingsDep) -> MeOut:
    # The same answer for a new account and for a taken e-mail or DNI (accounts/registration).
    user = await registration.register(session=session, settings=settings, data=data)
    return me_out(user, settings)


@auth.post("/verify-email", dependencies=[Depends(rate_limit("verify"))])
async def verify_email(data: TokenIn, session: SessionDep) -> Message:
    await service.verify_email(session=session, token=data.token)
    return Message(detail="E-mail verified.")


@auth.post(
    "/resend-verification",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(rate_limit("verify"))],
)
async def resend_verification(data: EmailIn, session: SessionDep, settings: SettingsDep) -> Message:
    await service.resend_verification(session=session, settings=settings, email=data.email)
    return Message(detail=GENERIC)


@auth.post("/login", dependencies=[Depends(rate_limit("login"))])
async def login(
    data: LoginIn,
    session: SessionDep,
    settings: SettingsDep,
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
    user_agent: UserAgent = None,
) -> TokenPair:
    return await service.login(
        session=session,
        settings=settings,
        email=data.email,
        password=data.password,
        user_agent=user_agent,
        throttle=throttle,
    )


@auth.post("/refresh")
async def refresh(
    data: RefreshIn, session: SessionDep, settings: SettingsDep, user_agent: UserAgent = None
) -> TokenPair:
    return await tokens.rotate(
        session=session, settings=settings, token=data.refresh_token, user_agent=user_agent
    )


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(user: CurrentUser, session: SessionDep, data: LogoutIn | None = None) -> None:
    data = data or LogoutIn()
    await tokens.logout(
        session=session, user=user, refresh_token=data.refresh_token, everywhere=data.everywhere
    )


@auth.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(rate_limit("password"))],
)
async def forgot_password(data: EmailIn, session: SessionDep, settings: SettingsDep) -> Message:
    await service.forgot_password(session=session, settings=settings, email=data.email)
    return Message(detail=GENERIC)


@auth.post("/reset-password", dependencies=[Depends(rate_limit("password"))])
async def reset_password(
    data: ResetPasswordIn, session: SessionDep, settings: SettingsDep
) -> Message:
    await service.reset_password(
        session=session, settings=settings, token=data.token, new_password=data.new_password
    )
    return Message(detail="Password changed; log in again.")


@auth.post("/change-password", dependencies=[Depends(rate_limit("password"))])
async def change_password(
    data: ChangePasswordIn, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Message:
    await service.change_password(
        session=session,
        settings=settings,
        user=user,
        current=data.current_password,
        new_password=data.new_password,
    )
    return Message(detail="Password changed; every session was closed.")


@users.get("/me")
async def get_me(user: CurrentUser, settings: SettingsDep) -> MeOut:
    return me_out(user, settings)


@users.put("/me")
async def update_me(
    data: MeUpdate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> MeOut:
    return me_out(
        await service.update_me(session=session, settings=settings, user=user, data=data), settings
    )


@users.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> None:
    await service.delete_me(session=session, user=user)
    # Photos and documents are personal data: rows now, objects by a job after the commit.
    for erase in erasure.holders(request):
        await erase(session=session, settings=settings, user_id=user.id)


@users.put("/me/professional-profile")
async def update_profile(
    data: ProfileUpdate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> MeOut:
    return me_out(await service.update_profile(session=session, user=user, data=data), settings)


@users.get("/professionals/{professional_id}", response_model=PublicProfessional)
async def get_professional(
    request: Request,
    professional_id: uuid.UUID,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Response:
    # Hits never get here (catalog/fastpath.py): this stores the bytes they answer with.
    return await cached.stored(
        request,
        cache,
        key=lambda _version: professional_key(professional_id),
        ttl_s=settings.cache.profile_ttl_s,
        name="professional_response",
        load=lambda: cached.professional(
            session=session, cache=cache, settings=settings, professional_id=professional_id
        ),
    )
