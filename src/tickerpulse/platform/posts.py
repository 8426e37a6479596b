"""Editorial posts: staff Markdown rendered to sanitised HTML, listed per asset and tier.

Markdown is rendered with raw HTML off and the result cleaned again by nh3
(an allow-list sanitiser), so a post can never carry a script to readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tickerpulse.db.models import Asset
from tickerpulse.db.platform import EditorialPost, EditorialPostAsset
from tickerpulse.platform.tiers import Tier

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
LINK_ATTRIBUTES = {"rel": "nofollow noopener"}


_MARKUP = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"(?<!\w)(\*\*|__|\*|_|`+|~~)(?=\S)(.+?)(?<=\S)\1(?!\w)"), r"\2"),  # emphasis, code
    (re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)", re.M), ""),  # block marks
]


def plain_text(markdown: str) -> str:
    """Markdown as plain reading text, for excerpts: ``**BTC** rallied`` → ``BTC rallied``."""
    text = markdown
    for pattern, replacement in (*_MARKUP, _MARKUP[2]):  # twice: ***both*** nests
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def render_markdown(text: str) -> str:
    """Safe HTML for a post body."""
    return nh3.clean(_markdown.render(text), link_rel=LINK_ATTRIBUTES["rel"])


@dataclass(frozen=True)
class PostSummary:
    """A post as a list shows it; ``locked`` when the reader's tier is below the post's."""

    post_id: int
    title: str
    publish_at: datetime
    min_tier: Tier
    locked: bool
    excerpt: str


def published_posts(
    session: Session,
    *,
    tier: Tier,
    now: datetime,
    asset_id: str | None = None,
    limit: int = 30,
) -> list[PostSummary]:
    """Published posts (about one asset, if given), newest first, those above ``tier`` locked."""
    stmt = select(EditorialPost).where(EditorialPost.publish_at <= now)
    if asset_id is not None:
        stmt = stmt.join(
            EditorialPostAsset, EditorialPostAsset.post_id == EditorialPost.post_id
        ).where(EditorialPostAsset.asset_id == asset_id)
    rows = session.scalars(stmt.order_by(EditorialPost.publish_at.desc()).limit(limit)).all()
    return [_summary(p, tier) for p in rows]


def _summary(post: EditorialPost, tier: Tier) -> PostSummary:
    needed = Tier.parse(post.min_tier)
    first = post.body_md.strip().split("\n\n", 1)[0]
    return PostSummary(
        post_id=post.post_id,
        title=post.title,
        publish_at=post.publish_at,
        min_tier=needed,
        locked=tier < needed,
        excerpt="" if tier < needed else plain_text(first)[:280],
    )


def all_posts(session: Session) -> list[EditorialPost]:
    """Every post, scheduled ones too, latest publication first (for staff)."""
    return list(session.scalars(select(EditorialPost).order_by(EditorialPost.publish_at.desc())))


def unknown_assets(session: Session, asset_ids: list[str]) -> list[str]:
    """The ids among ``asset_ids`` that name no asset, in the order given."""
    known = set(session.scalars(select(Asset.asset_id).where(Asset.asset_id.in_(asset_ids))))
    return [a for a in asset_ids if a not in known]


def post_assets(session: Session, post_id: int) -> list[str]:
    """The asset ids a post is attached to."""
    return list(
        session.scalars(
            select(EditorialPostAsset.asset_id)
            .where(EditorialPostAsset.post_id == post_id)
            .order_by(EditorialPostAsset.asset_id)
        )
    )


def save_post(
    session: Session,
    post: EditorialPost,
    *,
    assets: list[str],
) -> EditorialPost:
    """Insert or update a post and replace its asset list."""
    session.add(post)
    session.flush()
    session.execute(delete(EditorialPostAsset).where(EditorialPostAsset.post_id == post.post_id))
    for asset_id in dict.fromkeys(assets):
        session.add(EditorialPostAsset(post_id=post.post_id, asset_id=asset_id))
    return post
