"""Account pages: register, verify e-mail, log in/out, forgot/reset password, my account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from fixia.accounts import registration, service, tokens
from fixia.accounts.presenters import me_out
from fixia.accounts.schemas import (
    ChangePasswordIn,
    EmailIn,
    LoginIn,
    RegisterIn,
    ResetPasswordIn,
    TokenIn,
)
from fixia.accounts.web_session import (
    REFRESH,
    SignedIn,
    WebUser,
    clear_session_cookies,
    set_session_cookies,
)
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import DomainError
from fixia.platform.cookies import cookie_name
from fixia.platform.ratelimit import LoginThrottle, login_throttle, rate_limit
from fixia.web.pages import (
    FORM_ERRORS,
    domain_errors,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
    safe_next,
    validation_errors,
)

router = APIRouter()


def _register_input(data: dict[str, object]) -> dict[str, object]:
    specialties = str(data.get("specialties") or "")
    values = dict(data)
    values["specialties"] = [s.strip() for s in specialties.split(",") if s.strip()]
    if data.get("role") != "professional":
        for key in ("description", "specialties", "experience"):
            values.pop(key, None)
    return values


@router.get("/register")
async def register_page(request: Request, user: WebUser) -> Response:
    return render(request, "accounts/register.html", {"form": {"role": "client"}})


@router.post("/register", dependencies=[Depends(rate_limit("register"))])
async def register(
    request: Request, user: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await form_data(request)
    try:
        signup = parse(RegisterIn, _register_input(data))
        await registration.register(session=session, settings=settings, data=signup)
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, "/login", ok="registered")
    return render(request, "accounts/register.html", {"form": data, "errors": errors}, 422)


@router.get("/verify-email", dependencies=[Depends(rate_limit("verify"))])
async def verify_email(request: Request, user: WebUser, session: SessionDep) -> Response:
    try:
        data = parse(TokenIn, {"token": request.query_params.get("token", "")})
        await service.verify_email(session=session, token=data.token)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError):
            await domain_errors(session, error)
        return render(request, "accounts/verify_failed.html", status=400)
    return redirect(request, "/login", ok="verified")


@router.get("/login")
async def login_page(request: Request, user: WebUser) -> Response:
    form = {"next": safe_next(request.query_params.get("next"), "/account")}
    return render(request, "accounts/login.html", {"form": form})


@router.post("/login", dependencies=[Depends(rate_limit("login"))])
async def login(
    request: Request,
    user: WebUser,
    session: SessionDep,
    settings: SettingsDep,
    throttle: Annotated[LoginThrottle, Depends(login_throttle)],
) -> Response:
    data = await form_data(request)
    try:
        credentials = parse(LoginIn, {k: v for k, v in data.items() if k != "next"})
        pair = await service.login(
            session=session,
            settings=settings,
            email=credentials.email,
            password=credentials.password,
            user_agent=request.headers.get("user-agent"),
            throttle=throttle,
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        response = redirect(request, safe_next(data.get("next"), "/account"))
        set_session_cookies(response, settings, pair)
        return response
    data.pop("password", None)
    return render(request, "accounts/login.html", {"form": data, "errors": errors}, 400)


@router.post("/logout")
async def logout(
    request: Request, user: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    if user is not None:
        await tokens.logout(
            session=session,
            user=user,
            refresh_token=request.cookies.get(cookie_name(settings, REFRESH)),
            everywhere=False,
        )
    request.state.user = None
    response = redirect(request, "/", ok="logged_out")
    clear_session_cookies(response, settings)
    return response


@router.get("/forgot-password")
async def forgot_page(request: Request, user: WebUser) -> Response:
    return render(request, "accounts/forgot.html")


@router.post("/forgot-password", dependencies=[Depends(rate_limit("password"))])
async def forgot(
    request: Request, user: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await form_data(request)
    try:
        email = parse(EmailIn, data).email
    except ValidationError as error:
        return render(
            request, "accounts/forgot.html", {"form": data, "errors": validation_errors(error)}, 422
        )
    await service.forgot_password(session=session, settings=settings, email=email)
    return redirect(request, "/login", ok="reset_sent")


@router.get("/reset-password")
async def reset_page(request: Request, user: WebUser) -> Response:
    form = {"token": request.query_params.get("token", "")}
    return render(request, "accounts/reset.html", {"form": form})


@router.post("/reset-password", dependencies=[Depends(rate_limit("password"))])
async def reset(
    request: Request, user: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await form_data(request)
    try:
        values = parse(ResetPasswordIn, data)
        await service.reset_password(
            session=session, settings=settings, token=values.token, new_password=values.new_password
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, "/login", ok="password_changed")
    return render(request, "accounts/reset.html", {"form": data, "errors": errors}, 422)


@router.get("/account")
async def account(request: Request, user: SignedIn, settings: SettingsDep) -> Response:
    return render(request, "accounts/account.html", {"me": me_out(user, settings)})


@router.post("/account/password", dependencies=[Depends(rate_limit("password"))])
async def change_password(
    request: Request, user: SignedIn, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await form_data(request)
    try:
        values = parse(ChangePasswordIn, data)
        await service.change_password(
            session=session,
            settings=settings,
            user=user,
            current=values.current_password,
            new_password=values.new_password,
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        response = redirect(request, "/login", ok="password_changed")
        clear_session_cookies(response, settings)
        return response
    context = {"me": me_out(user, settings), "errors": errors}
    return render(request, "accounts/account.html", context, 422)
