"""`flask backup create` and `flask backup restore`: one archive that gives every row and every
media file back, into a fresh database of either backend, or refuses and changes nothing."""

import io
import json
import shutil
import tarfile
import threading
import time
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import JSON, Text, insert, null, select, text, type_coerce, update

from app import create_app
from extensions import db
from models.coupon import coupon_plans
from models.invitation_data import InvitationData
from models.order import Order, OrderItem
from services import backups
from tests.dbutil import fresh_database, server_url
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.invitation_fixtures import paid_invitation
from tests.media_files import jpeg, png_with_alpha
from tests.payment_fixtures import run_cli
from utils.storage import LocalStorage, StorageError, get_storage

PAID_AT = datetime(2026, 11, 28, 15, 4, 5, 123456, tzinfo=UTC)


# --- Fixtures and helpers ------------------------------------------------------------------


def _new_database_app(url: str) -> object:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


@pytest.fixture(scope="module")
def restore_app():
    """An app on a second, freshly migrated database of the suite's backend."""
    with fresh_database("restore") as url:
        app = _new_database_app(url)
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def target(restore_app, tmp_path, monkeypatch):
    """The second app, with an empty media folder of this test's own; emptied afterwards."""
    monkeypatch.setitem(restore_app.config, "MEDIA_ROOT", str(tmp_path / "restored-media"))
    yield restore_app
    with restore_app.app_context():
        _empty_every_table()


def _empty_every_table() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    db.session.remove()


def all_rows(app=None) -> dict[str, list[tuple]]:
    """Every row of every table in key order; JSON columns as their stored text, so a JSON
    `null` and an SQL NULL are told apart."""
    with app.app_context() if app else nullcontext(), db.engine.connect() as connection:
        return {
            table.name: connection.execute(
                select(
                    *[
                        type_coerce(column, Text) if isinstance(column.type, JSON) else column
                        for column in table.columns
                    ]
                ).order_by(*table.primary_key.columns)
            ).all()
            for table in db.metadata.sorted_tables
        }


def stored_media(app=None) -> dict[str, bytes]:
    with app.app_context() if app else nullcontext():
        storage = LocalStorage()
        return {key: storage.read(key) for key in storage.list_keys()}


def upload(client, headers, invitation_id: int, content: bytes):
    return client.post(
        f"/api/editor/{invitation_id}/media",
        data={"file": (io.BytesIO(content), "foto.jpg"), "media_type": "photo"},
        content_type="multipart/form-data",
        headers=headers,
    )


def only_archive(folder: Path) -> Path:
    files = list(folder.iterdir())
    assert len(files) == 1, files
    return files[0]


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile(backups.MANIFEST))


def create(runner, destination: Path, *options: str) -> Path:
    result = runner.invoke(args=["backup", "create", str(destination), *options])
    assert result.exit_code == 0, result.output
    return only_archive(destination)


@pytest.fixture
def shop(client, make, auth_headers, media_root):
    """A shop with a bit of everything: accented and emoji names, a paid invitation with its
    order, photos and their thumbnails on disk, content with JSON lists, a JSON null and an
    SQL NULL, big Decimal totals with microsecond timestamps, a coupon tied to a plan."""
    owner = make.user(first_name="María José", last_name="Ñahui 💍")
    headers = auth_headers(owner)
    invitation = paid_invitation(client, headers)
    for photo in (jpeg(1200, 900), png_with_alpha()):
        assert upload(client, headers, invitation["id"], photo).status_code == 201
    changed = client.patch(
        f"/api/editor/{invitation['id']}/data",
        json={
            "couple_bride_name": "Ñusta Quispe",
            "welcome_message": "¡Los esperamos! 🎉\nCon cariño, «los novios».",
            "godparents": [{"role": "Padrinos de anillos", "names": "José & Begoña Peña"}],
            "ceremony_latitude": -12.046374,
            "rsvp_deadline": "2026-12-24",
        },
        headers=headers,
    )
    assert changed.status_code == 200, changed.get_json()
    db.session.execute(
        update(InvitationData)
        .where(InvitationData.invitation_id == invitation["id"])
        .values(custom_fields=None, sections=null())
    )
    plan = make.plan(name="Plan Élite", price=Decimal("1234.56"))
    coupon = make.coupon(code="BODA2026", valid_until=PAID_AT + timedelta(days=30))
    db.session.execute(insert(coupon_plans).values(coupon_id=coupon.id, plan_id=plan.id))
    template = make.template(name="Jardín secreto")
    for number, total in enumerate(("99999999.99", "0.01", "1111.10"), start=1):
        order = Order(
            order_number=f"INV-2026-{number:05d}",
            user_id=owner.id,
            status="paid",
            payment_status="paid",
            subtotal=Decimal(total),
            total=Decimal(total),
            coupon_id=coupon.id,
            coupon_code=coupon.code,
            paid_at=PAID_AT + timedelta(microseconds=number),
        )
        order.items.append(
            OrderItem(
                plan_id=plan.id,
                template_id=template.id,
                plan_name=plan.name,
                template_name=template.name,
                unit_price=Decimal(total),
                line_total=Decimal(total),
            )
        )
        db.session.add(order)
    db.session.commit()
    return owner


# --- Round trips ---------------------------------------------------------------------------


def test_a_backup_restores_every_row_and_media_file_into_a_fresh_database(
    shop, runner, target, tmp_path
):
    archive = create(runner, tmp_path / "backups")
    source_rows, source_media = all_rows(), stored_media()

    restored = run_cli(target, ["backup", "restore", str(archive)])

    assert restored.exit_code == 0, restored.output
    assert all_rows(target) == source_rows
    assert stored_media(target) == source_media
    filled = {name for name, rows in source_rows.items() if rows}
    assert {"users", "orders", "order_items", "coupon_plans", "invitation_data"} <= filled
    assert len(source_media) == 4  # two photos, each with its thumbnail
    with target.app_context():
        data = db.session.execute(
            select(
                type_coerce(InvitationData.custom_fields, Text),
                type_coerce(InvitationData.sections, Text),
                InvitationData.rsvp_deadline,
            )
        ).one()
        totals = db.session.scalars(select(Order.total).order_by(Order.id)).all()
    assert data == ("null", None, date(2026, 12, 24))
    assert Decimal("99999999.99") in totals and Decimal("0.01") in totals


def test_the_archive_is_private_and_describes_itself(shop, runner, tmp_path):
    archive = create(runner, tmp_path / "backups")

    manifest = manifest_of(archive)
    assert archive.name.startswith("invitaciones-backup-") and archive.name.endswith("Z.tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    with db.engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert manifest["alembic_revision"] == revision
    assert [table["name"] for table in manifest["tables"]] == [
        table.name for table in db.metadata.sorted_tables
    ]
    counts = {table["name"]: table["rows"] for table in manifest["tables"]}
    assert counts["orders"] == 4 and counts["users"] == 1
    assert manifest["media"]["files"] == 4
    assert all(len(member["sha256"]) == 64 for member in manifest["members"].values())


def test_the_app_runs_on_the_restored_database(shop, runner, target, tmp_path):
    archive = create(runner, tmp_path / "backups", "--no-media")
    assert run_cli(target, ["backup", "restore", str(archive), "--no-media"]).exit_code == 0
    client = target.test_client()

    login = client.post("/api/auth/login", json={"email": shop.email, "password": DEFAULT_PASSWORD})
    registered = client.post(
        "/api/auth/register",
        json={
            "email": "nueva@example.com",
            "password": "clave12345",
            "first_name": "Nueva",
            "last_name": "Clienta",
        },
    )

    assert login.status_code == 200, login.get_json()
    # The ids go on after the restored ones.
    assert registered.status_code == 201, registered.get_json()
    assert registered.get_json()["user"]["id"] > shop.id


def test_no_media_leaves_the_files_out_of_the_archive_and_of_the_restore(
    shop, runner, target, tmp_path
):
    archive = create(runner, tmp_path / "backups", "--no-media")

    restored = run_cli(target, ["backup", "restore", str(archive)])

    assert restored.exit_code == 0, restored.output
    assert manifest_of(archive)["media"] == {"included": False}
    with tarfile.open(archive, "r:gz") as tar:
        assert not [name for name in tar.getnames() if name.startswith("media/")]
    assert all_rows(target) == all_rows()
    assert stored_media(target) == {}


@pytest.mark.skipif(server_url() is None, reason="needs MariaDB (TEST_DATABASE_URL)")
def test_a_mariadb_backup_restores_into_sqlite_and_back(shop, runner, target, tmp_path):
    source_rows = all_rows()
    archive = create(runner, tmp_path / "from-mariadb")
    sqlite_app = _new_database_app(f"sqlite:///{tmp_path / 'moved.db'}")
    sqlite_app.config["MEDIA_ROOT"] = str(tmp_path / "sqlite-media")

    into_sqlite = run_cli(sqlite_app, ["backup", "restore", str(archive)])
    back = run_cli(sqlite_app, ["backup", "create", str(tmp_path / "from-sqlite")])
    into_mariadb = run_cli(
        target, ["backup", "restore", str(only_archive(tmp_path / "from-sqlite"))]
    )

    assert (into_sqlite.exit_code, back.exit_code, into_mariadb.exit_code) == (0, 0, 0)
    assert all_rows(sqlite_app) == source_rows
    assert all_rows(target) == source_rows
    assert stored_media(target) == stored_media()
    with sqlite_app.app_context():
        db.engine.dispose()


def test_media_on_ftps_go_into_the_archive_and_back(
    on_ftps, client, make, auth_headers, runner, target, tmp_path, monkeypatch
):
    headers = auth_headers(make.user())
    invitation = paid_invitation(client, headers)
    assert upload(client, headers, invitation["id"], jpeg()).status_code == 201
    before = {key: (on_ftps.root / key).read_bytes() for key in on_ftps.files()}
    archive = create(runner, tmp_path / "backups")
    shutil.rmtree(on_ftps.root)
    on_ftps.root.mkdir()
    for name, value in on_ftps.config().items():
        monkeypatch.setitem(target.config, name, value)

    restored = run_cli(target, ["backup", "restore", str(archive)])

    assert restored.exit_code == 0, restored.output
    assert len(before) == 2
    assert {key: (on_ftps.root / key).read_bytes() for key in on_ftps.files()} == before
    assert all_rows(target) == all_rows()


# --- Consistency ---------------------------------------------------------------------------


def test_a_backup_taken_while_orders_are_written_holds_each_order_with_all_its_lines(
    app, make, runner, tmp_path, monkeypatch
):
    user_id, plan_id, template_id = make.user().id, make.plan().id, make.template().id
    db.session.remove()
    # Small pages: the backup reads orders and their lines in many queries, far apart in time.
    monkeypatch.setattr(backups, "BATCH_ROWS", 5)
    written, stop = [], threading.Event()

    def write_orders():
        with app.app_context():
            while not stop.is_set():
                with db.engine.begin() as connection:
                    order_id = connection.execute(
                        insert(Order).values(
                            order_number=f"LIVE-{len(written):05d}",
                            user_id=user_id,
                            status="pending",
                            payment_status="unpaid",
                            subtotal=Decimal("20.00"),
                            discount_total=Decimal("0.00"),
                            total=Decimal("20.00"),
                            currency="PEN",
                            created_at=datetime.now(UTC),
                            updated_at=datetime.now(UTC),
                        )
                    ).inserted_primary_key[0]
                    for _ in range(2):
                        connection.execute(
                            insert(OrderItem).values(
                                order_id=order_id,
                                plan_id=plan_id,
                                template_id=template_id,
                                plan_name="Plan",
                                template_name="Plantilla",
                                quantity=1,
                                unit_price=Decimal("10.00"),
                                line_total=Decimal("10.00"),
                            )
                        )
                written.append(order_id)

    writer = threading.Thread(target=write_orders)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while len(written) < 20 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        archive = create(runner, tmp_path / "backups", "--no-media")
    finally:
        stop.set()
        writer.join()

    with tarfile.open(archive, "r:gz") as tar:
        orders = [json.loads(line)["id"] for line in tar.extractfile("db/orders.jsonl")]
        lines = [json.loads(line)["order_id"] for line in tar.extractfile("db/order_items.jsonl")]
    assert len(orders) >= 20
    assert sorted(lines) == sorted(orders * 2)


# --- Refusals ------------------------------------------------------------------------------


def _changed_byte(archive: Path) -> Path:
    content = bytearray(archive.read_bytes())
    content[len(content) // 2] ^= 0xFF
    damaged = archive.with_name("damaged.tar.gz")
    damaged.write_bytes(bytes(content))
    return damaged


def _altered_member(archive: Path, name: str) -> Path:
    """The archive with one member's content changed and recompressed: gzip finds nothing wrong,
    only the manifest's sha256 can tell."""
    altered = archive.with_name("altered.tar.gz")
    with tarfile.open(archive, "r:gz") as source, tarfile.open(altered, "w:gz") as copy:
        for info in source:
            content = source.extractfile(info).read()
            if info.name == name:
                assert b"@example.com" in content
                content = content.replace(b"@example.com", b"@example.org")
            info.size = len(content)
            copy.addfile(info, io.BytesIO(content))
    return altered


@pytest.mark.parametrize(
    "spoil, message",
    [
        (_changed_byte, "cannot be read as a backup archive"),
        (lambda archive: _altered_member(archive, "db/users.jsonl"), "fails its checksums"),
    ],
    ids=["changed-byte", "altered-member"],
)
def test_a_damaged_archive_is_refused_and_restores_nothing(
    shop, runner, target, tmp_path, spoil, message
):
    spoiled = spoil(create(runner, tmp_path / "backups"))

    result = run_cli(target, ["backup", "restore", str(spoiled)])

    assert result.exit_code != 0
    assert message in result.output
    assert not any(all_rows(target).values())
    assert stored_media(target) == {}


def test_restore_into_a_database_with_rows_is_refused_and_changes_nothing(
    shop, runner, target, tmp_path
):
    archive = create(runner, tmp_path / "backups")
    with target.app_context():
        UserFactory(email="ya-estaba@example.com")
        db.session.remove()
    before = all_rows(target)

    result = run_cli(target, ["backup", "restore", str(archive)])

    assert result.exit_code != 0
    assert "not empty" in result.output and "flask db upgrade" in result.output
    assert all_rows(target) == before
    assert stored_media(target) == {}


def test_restore_into_a_database_at_another_revision_is_refused(shop, runner, target, tmp_path):
    archive = create(runner, tmp_path / "backups")
    with target.app_context(), db.engine.begin() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        connection.execute(text("UPDATE alembic_version SET version_num = 'elsewhere'"))
    try:
        result = run_cli(target, ["backup", "restore", str(archive)])
    finally:
        with target.app_context(), db.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision}
            )

    assert result.exit_code != 0
    assert f"at revision elsewhere, the archive at {revision}" in result.output
    assert "flask db upgrade" in result.output
    assert not any(all_rows(target).values())
    assert stored_media(target) == {}


def test_a_failed_backup_leaves_no_archive_behind(shop, runner, tmp_path, monkeypatch):
    def broken_read(_storage, key):
        raise StorageError(f"could not read {key}: Input/output error")

    monkeypatch.setattr(LocalStorage, "read", broken_read)
    destination = tmp_path / "backups"

    result = runner.invoke(args=["backup", "create", str(destination)])

    assert result.exit_code != 0
    assert "could not be read" in result.output
    assert list(destination.iterdir()) == []


def test_a_media_file_deleted_during_the_backup_is_skipped_and_named(
    shop, runner, tmp_path, monkeypatch
):
    vanished = LocalStorage().list_keys()[0]
    real_read = LocalStorage.read

    def read_after_deletion(storage, key):
        if key == vanished:
            LocalStorage().delete(key)
        return real_read(storage, key)

    monkeypatch.setattr(LocalStorage, "read", read_after_deletion)

    result = runner.invoke(args=["backup", "create", str(tmp_path / "backups")])

    assert result.exit_code == 0, result.output
    assert f"Skipped {vanished}" in result.output
    manifest = manifest_of(only_archive(tmp_path / "backups"))
    assert manifest["media"]["skipped"] == [vanished]
    assert manifest["media"]["files"] == 3


# --- Storage listing -----------------------------------------------------------------------


def _files_with_leftovers(root: Path) -> None:
    for name in ("uploads/ab/foto.jpg", "uploads/ab/.upload-1f2e", "cards/7/og.png", ".cache/x"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")


def test_local_storage_lists_every_file_but_uploads_in_progress_and_hidden_ones(media_root):
    _files_with_leftovers(media_root)

    assert LocalStorage().list_keys() == ["cards/7/og.png", "uploads/ab/foto.jpg"]


def test_ftps_storage_lists_every_file_but_uploads_in_progress_and_hidden_ones(on_ftps):
    _files_with_leftovers(on_ftps.root)

    assert get_storage().list_keys() == ["cards/7/og.png", "uploads/ab/foto.jpg"]
