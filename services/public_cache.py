"""Invalidation side of the public page cache (the reading side is services/public_pages.py).

A cached public page is valid for one (invitation version, link version) pair. Writers bump
the version in the database inside their transaction; once it has committed, the new value is
published to the shared cache so every worker and host stops serving the old page.
"""

from sqlalchemy import select, update

from extensions import db
from models.invitation_url import InvitationUrl
from utils.db import after_commit


def link_changed(*url_ids: int) -> None:
    """Inside a transaction: what these links' public pages show of them has changed
    (their answer, their state). Call it from every write that touches one."""
    ids = sorted({url_id for url_id in url_ids if url_id is not None})
    if not ids:
        return
    db.session.execute(
        update(InvitationUrl)
        .where(InvitationUrl.id.in_(ids))
        .values(version=InvitationUrl.version + 1)
        .execution_options(synchronize_session=False)
    )
    versions = dict(
        db.session.execute(
            select(InvitationUrl.id, InvitationUrl.version).where(InvitationUrl.id.in_(ids))
        )
        .tuples()
        .all()
    )
    after_commit(lambda: _publish("link", versions))


def invitation_changed(invitation_id: int, version: int) -> None:
    """Inside a transaction, after the invitation's version was bumped to `version`."""
    after_commit(lambda: _publish("invitation", {invitation_id: version}))


def _publish(kind: str, versions: dict[int, int]) -> None:
    from services import public_pages

    public_pages.publish_versions(kind, versions)
