"""The list envelope every paginated route answers: {items, page, per_page, total, pages}."""

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from extensions import db

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0


def paginate(query: Select, page: int, per_page: int) -> Page:
    """Run `query` for one page; `per_page` above the maximum is capped, not refused.

    A page that is not full is the last one, so it tells the total without a COUNT; only a
    full page, or an empty page after the first (past the end?), asks the database.
    """
    per_page = min(per_page, MAX_PER_PAGE)
    offset = (page - 1) * per_page
    items = list(db.session.scalars(query.limit(per_page).offset(offset)))
    if 0 < len(items) < per_page or (page == 1 and not items):
        total = offset + len(items)
    else:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = db.session.scalar(counted) or 0
    return Page(items=items, page=page, per_page=per_page, total=total)
