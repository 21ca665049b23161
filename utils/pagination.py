"""The list envelope of API.md: {items, page, per_page, total, pages}."""

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
    """Run `query` for one page; `per_page` above the maximum is capped, not refused."""
    per_page = min(per_page, MAX_PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
