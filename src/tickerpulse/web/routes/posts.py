"""Editorial posts: readers open them (by tier), staff write, schedule and edit them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tickerpulse.db.platform import EditorialPost
from tickerpulse.platform import posts
from tickerpulse.platform.tiers import Gate, Tier
from tickerpulse.web.auth import CsrfChecked, StaffDep, ViewerDep, utcnow
from tickerpulse.web.deps import BIGINT_MAX, RowId, SessionDep, TemplatesDep

router = APIRouter()
TierName = Annotated[str, Form(pattern="^(free|pro|premium)$")]


@router.get("/posts", response_class=HTMLResponse)
def post_list(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: ViewerDep
) -> Response:
    """Every published analysis, newest first; those above the reader's plan are marked."""
    listed = posts.published_posts(session, tier=viewer.tier, now=utcnow())
    return templates.TemplateResponse(request, "posts/list.html", {"posts": listed})


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    post_id: RowId,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: ViewerDep,
) -> Response:
    """One analysis, if it is published and the reader's plan includes it."""
    post = session.get(EditorialPost, post_id)
    if post is None or (post.publish_at > utcnow() and not viewer.is_staff):
        raise HTTPException(status_code=404)
    needed = Tier.parse(post.min_tier)
    if viewer.tier < needed:
        raise Gate("this analysis", needed, viewer.signed_in)
    context = {
        "post": post,
        "body": posts.render_markdown(post.body_md),
        "assets": posts.post_assets(session, post_id),
    }
    return templates.TemplateResponse(request, "posts/post.html", context)


@router.get("/staff/posts", response_class=HTMLResponse)
def staff_posts(
    request: Request, session: SessionDep, templates: TemplatesDep, viewer: StaffDep
) -> Response:
    """Staff: every post (scheduled ones too) and the form for a new one."""
    rows = posts.all_posts(session)
    context = {"rows": rows, "post": None, "assets": "", "csrf": viewer.csrf, "now": utcnow()}
    return templates.TemplateResponse(request, "posts/staff.html", context)


@router.get("/staff/posts/{post_id}", response_class=HTMLResponse)
def staff_edit(
    request: Request, post_id: RowId, session: SessionDep, templates: TemplatesDep, viewer: StaffDep
) -> Response:
    """Staff: the edit form of one post."""
    post = session.get(EditorialPost, post_id)
    if post is None:
        raise HTTPException(status_code=404)
    context = {
        "rows": [], "post": post, "assets": ", ".join(posts.post_assets(session, post_id)),
        "csrf": viewer.csrf, "now": utcnow(),
    }  # fmt: skip
    return templates.TemplateResponse(request, "posts/staff.html", context)


@router.post("/staff/posts", dependencies=[CsrfChecked])
def save(
    request: Request,
    session: SessionDep,
    templates: TemplatesDep,
    viewer: StaffDep,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    body: Annotated[str, Form(min_length=1, max_length=100_000)],
    min_tier: TierName,
    assets: Annotated[str, Form(max_length=2000)] = "",
    publish_at: Annotated[str, Form(max_length=40)] = "",
    post_id: Annotated[int | None, Form(ge=1, le=BIGINT_MAX)] = None,
) -> Response:
    """Staff: create or update a post; unknown asset ids or a bad date are reported, not saved."""
    assert viewer.user is not None
    now = utcnow()
    wanted = [a.strip() for a in assets.split(",") if a.strip()]
    errors = [
        f"Unknown asset id “{a}” (ids look like stock:AAPL)."
        for a in posts.unknown_assets(session, wanted)
    ]
    when = now
    if publish_at.strip():
        try:
            when = datetime.fromisoformat(publish_at.strip())
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        except ValueError:
            errors.append("Publish time must look like 2026-12-01T18:00 (UTC).")
    post = session.get(EditorialPost, post_id) if post_id else None
    if post_id and post is None:
        raise HTTPException(status_code=404)
    if errors:
        context = {
            "rows": [], "post": post, "assets": assets, "csrf": viewer.csrf, "now": now,
            "errors": errors, "draft": {"title": title, "body": body, "min_tier": min_tier},
        }  # fmt: skip
        return templates.TemplateResponse(request, "posts/staff.html", context, status_code=400)
    if post is None:
        post = EditorialPost(author_id=viewer.user.user_id, created_at=now)
    post.title, post.body_md, post.min_tier = title.strip(), body, min_tier
    post.publish_at, post.updated_at = when, now
    posts.save_post(session, post, assets=wanted)
    session.commit()
    return RedirectResponse(f"/staff/posts/{post.post_id}?notice=saved", status_code=303)
