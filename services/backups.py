"""One archive of the database and the media, and its restore (docs/operations.md, "Backups and
restore").

The archive is a tar.gz: `db/<table>.jsonl` for every table in dependency order, read in one
consistent snapshot and streamed by primary key; `media/<key>` for every stored file; and
`manifest.json` last, with the Alembic revision, the row counts and each member's sha256.
Values are written by type (Decimal as text, datetimes ISO 8601, bytes base64, JSON columns
as their stored text), so a restore gives back exactly what was read, on either backend.
"""

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import JSON, Column, MetaData, Table, Text, insert, literal, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, StatementError

from extensions import db
from utils.ftp_manager import FtpsError
from utils.media import UnsafeMediaPathError
from utils.storage import StorageError, get_storage
from utils.time import utcnow

FORMAT = "invitaciones-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARCHIVE_PREFIX = "invitaciones-backup-"
TABLES_DIR = "db/"
MEDIA_DIR = "media/"
BATCH_ROWS = 1000
# A table's lines are kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 16 * 1024 * 1024
MYSQL_DIALECTS = ("mysql", "mariadb")
STORAGE_ERRORS = (StorageError, FtpsError, UnsafeMediaPathError)
DECODERS = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    time: time.fromisoformat,
    Decimal: Decimal,
    bytes: base64.b64decode,
}


class BackupError(Exception):
    """A backup or restore refused, for the operator at the command line (not an API error)."""

    @property
    def message(self) -> str:
        return str(self)


@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    media_files: int
    media_skipped: list[str] = field(default_factory=list)

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


@dataclass
class RestoreResult:
    revision: str | None
    tables: int
    rows: int
    media_files: int


def create_backup(destination: Path, *, include_media: bool = True) -> BackupResult:
    """Write one archive into `destination` (made 0700 if missing); the archive is 0600 and
    appears whole under its final name or not at all."""
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = utcnow()
    final = destination / f"{ARCHIVE_PREFIX}{created:%Y%m%dT%H%M%SZ}.tar.gz"
    if final.exists():
        raise BackupError(f"{final} already exists: wait a second and run the backup again.")
    handle, temporary = tempfile.mkstemp(dir=destination, prefix=f".{ARCHIVE_PREFIX}")
    try:
        with os.fdopen(handle, "wb") as raw:
            # The name goes into the gzip header only (the temporary one otherwise would).
            with tarfile.open(final.name, "w:gz", fileobj=raw, compresslevel=6) as archive:
                writer = _ArchiveWriter(archive, created)
                manifest: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION}
                manifest["created_at"] = created.isoformat()
                manifest.update(_write_database(writer))
                manifest["media"] = _write_media(writer) if include_media else {"included": False}
                manifest["members"] = writer.members
                writer.add_bytes(MANIFEST, json.dumps(manifest, indent=1).encode())
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return BackupResult(
        path=final,
        tables=len(manifest["tables"]),
        rows=sum(table["rows"] for table in manifest["tables"]),
        media_files=manifest["media"].get("files", 0),
        media_skipped=manifest["media"].get("skipped", []),
    )


def restore_backup(path: Path, *, include_media: bool = True) -> RestoreResult:
    """Restore the archive into an empty database at its revision, then its media.

    Everything is checked before anything is written. The media are copied first and the rows
    inserted last, in one transaction: whatever fails, the database is left empty and the same
    command can simply be run again (media keys are never reused, so copying twice is harmless).
    """
    manifest = verify_archive(path)
    _check_models(manifest)
    with db.engine.connect() as connection:
        _check_target(connection, manifest)
    media_files = _restore_media(path) if include_media else 0
    rows = _restore_rows(path, manifest)
    return RestoreResult(manifest["alembic_revision"], len(manifest["tables"]), rows, media_files)


def verify_archive(path: Path) -> dict:
    """The archive's manifest, once every member's sha256 matches it; else a BackupError."""
    digests, manifest_text = {}, None
    try:
        with tarfile.open(path, "r:gz") as archive:
            for info in archive:
                content = archive.extractfile(info) if info.isfile() else None
                if content is None:
                    raise BackupError(f"{path}: {info.name!r} is not a regular file.")
                if info.name == MANIFEST:
                    manifest_text = content.read()
                else:
                    digests[info.name] = _sha256(content)
            # tarfile stops at a header it cannot parse as if the archive ended there: read
            # the gzip stream to its end, so its CRC is checked too.
            for _chunk in iter(lambda: archive.fileobj.read(1024 * 1024), b""):
                pass
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(
            f"{path} cannot be read as a backup archive (damaged or truncated?): {error}"
        ) from error
    manifest = _parse_manifest(path, manifest_text)
    expected = {name: member["sha256"] for name, member in manifest["members"].items()}
    problems = sorted(name for name in expected.keys() | digests.keys() if not _safe_name(name))
    problems += sorted(set(expected) ^ set(digests))
    problems += sorted(
        name for name in expected.keys() & digests.keys() if expected[name] != digests[name]
    )
    if problems:
        raise BackupError(
            f"{path} fails its checksums ({', '.join(problems[:5])}): the archive is damaged or "
            "was altered. Nothing was restored."
        )
    return manifest


def _parse_manifest(path: Path, text: bytes | None) -> dict:
    if text is None:
        raise BackupError(
            f"{path} ends without its {MANIFEST}: it is damaged or truncated, or not a backup "
            "made by `flask backup`. Nothing was restored."
        )
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise BackupError(f"{path}: {MANIFEST} is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup made by `flask backup`.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} has format version {manifest.get('format_version')}; this release reads "
            f"version {FORMAT_VERSION}."
        )
    if not {"alembic_revision", "tables", "members"} <= manifest.keys():
        raise BackupError(f"{path}: {MANIFEST} is incomplete. Nothing was restored.")
    return manifest


def _safe_name(name: str) -> bool:
    """A member this format writes: the manifest, a table, or a media key that stays inside the
    storage root (no `..`, no absolute path, no hidden part)."""
    if name == MANIFEST or (name.startswith(TABLES_DIR) and name.count("/") == 1):
        return True
    key = PurePosixPath(name.removeprefix(MEDIA_DIR))
    return (
        name.startswith(MEDIA_DIR)
        and "\\" not in name
        and not key.is_absolute()
        and all(part not in ("..", ".") and not part.startswith(".") for part in key.parts)
    )


# --- Writing ------------------------------------------------------------------------------


class _Member:
    """A member being written: its bytes spooled, its sha256 computed on the way."""

    def __init__(self, spool):
        self.spool = spool
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.spool.write(data)
        self.digest.update(data)


class _ArchiveWriter:
    def __init__(self, archive: tarfile.TarFile, created: datetime):
        self.archive = archive
        self.mtime = created.timestamp()
        self.members: dict[str, dict] = {}

    def add_bytes(self, name: str, content: bytes) -> None:
        self._add(name, io.BytesIO(content), len(content), hashlib.sha256(content).hexdigest())

    @contextmanager
    def member(self, name: str):
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            member = _Member(spool)
            yield member
            size = spool.tell()
            spool.seek(0)
            self._add(name, spool, size, member.digest.hexdigest())

    def _add(self, name: str, content, size: int, digest: str) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self.mtime, 0o600
        self.archive.addfile(info, content)
        if name != MANIFEST:
            self.members[name] = {"size": size, "sha256": digest}


def _write_database(writer: _ArchiveWriter) -> dict:
    try:
        with db.engine.connect() as connection:
            _begin_snapshot(connection)
            revision = _revision(connection)
            if revision is None:
                raise BackupError("The database has no schema yet: nothing to back up.")
            tables = [
                _write_table(writer, connection, table) for table in db.metadata.sorted_tables
            ]
            return {
                "database": connection.dialect.name,
                "alembic_revision": revision,
                "tables": tables,
            }
    except DBAPIError as error:
        raise BackupError(
            f"The database could not be read ({error.orig}): is it reachable, and migrated to "
            "this release (`flask db upgrade`)?"
        ) from error


def _begin_snapshot(connection: Connection) -> None:
    """One read-only transaction for every table, so rows written meanwhile are all in the
    backup or all left out (an order never without its lines)."""
    dialect = connection.dialect.name
    if dialect in MYSQL_DIALECTS:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        connection.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    elif dialect == "sqlite":
        # pysqlite opens no transaction for reads by itself; writers wait until it ends.
        connection.exec_driver_sql("BEGIN")
    else:
        raise BackupError(f"Backups support SQLite and MySQL/MariaDB, not {dialect}.")


def _write_table(writer: _ArchiveWriter, connection: Connection, table: Table) -> dict:
    stored = _as_stored(table)
    name, rows = f"{TABLES_DIR}{table.name}.jsonl", 0
    with writer.member(name) as member:
        for batch in _batches(connection, stored):
            for row in batch:
                line = {column: _encode(value, table.name, column) for column, value in row.items()}
                member.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
                member.write(b"\n")
            rows += len(batch)
    return {"name": table.name, "member": name, "rows": rows, "columns": list(stored.c.keys())}


def _batches(connection: Connection, table: Table):
    """The table's rows in primary-key order, BATCH_ROWS at a time (keyset pagination)."""
    key = list(table.primary_key.columns)
    if not key:
        raise BackupError(f"Table {table.name} has no primary key to read it in batches by.")
    query = select(table).order_by(*key).limit(BATCH_ROWS)
    last = None
    while True:
        page = query
        if last is not None:
            page = query.where(key[0] > last[0] if len(key) == 1 else tuple_(*key) > tuple_(*last))
        rows = connection.execute(page).mappings().all()
        if rows:
            yield rows
        if len(rows) < BATCH_ROWS:
            return
        last = [rows[-1][column.name] for column in key]


def _encode(value, table: str, column: str):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise BackupError(
        f"{table}.{column} holds a {type(value).__name__}, which backups cannot store."
    )


def _write_media(writer: _ArchiveWriter) -> dict:
    """Every stored file. Read after the database snapshot: a file deleted since (its row gone
    too, after the snapshot) is skipped and named in the manifest, not a failure."""
    storage = get_storage()
    try:
        keys = storage.list_keys()
    except STORAGE_ERRORS as error:
        raise BackupError(f"The media could not be listed: {error}") from error
    skipped, total = [], 0
    for key in keys:
        try:
            content = storage.read(key)
        except STORAGE_ERRORS as error:
            if key in storage.list_keys():
                raise BackupError(f"The media file {key} could not be read: {error}") from error
            skipped.append(key)
            continue
        writer.add_bytes(f"{MEDIA_DIR}{key}", content)
        total += len(content)
    return {"included": True, "files": len(keys) - len(skipped), "bytes": total, "skipped": skipped}


# --- Restoring ----------------------------------------------------------------------------


def _check_models(manifest: dict) -> None:
    """The archive's tables and columns are this release's, else its rows would not fit."""
    archived = {table["name"]: table["columns"] for table in manifest["tables"]}
    current = {table.name: list(table.c.keys()) for table in db.metadata.sorted_tables}
    different = sorted(
        name
        for name in archived.keys() | current.keys()
        if set(archived.get(name, ())) != set(current.get(name, ()))
    )
    if different:
        raise BackupError(
            f"The archive's tables differ from this release's ({', '.join(different[:5])}): "
            f"restore it with the release that made it (revision {manifest['alembic_revision']}), "
            "then upgrade that one."
        )


def _check_target(connection: Connection, manifest: dict) -> None:
    revision, wanted = _revision(connection), manifest["alembic_revision"]
    if revision != wanted:
        raise BackupError(
            f"The database is at revision {revision or 'none (no schema yet)'}, the archive at "
            f"{wanted}: create an empty database, run `flask db upgrade` on it (or "
            f"`flask db upgrade {wanted}` if this release is newer), then restore. "
            "Nothing was changed."
        )
    filled = [table.name for table in db.metadata.sorted_tables if _has_rows(connection, table)]
    if filled:
        raise BackupError(
            f"The database is not empty ({', '.join(filled[:5])} have rows): restore only into a "
            "new database (create it, run `flask db upgrade`, then restore). Nothing was changed."
        )


def _has_rows(connection: Connection, table: Table) -> bool:
    return connection.execute(select(literal(1)).select_from(table).limit(1)).first() is not None


def _restore_media(path: Path) -> int:
    storage, count = get_storage(), 0
    with tarfile.open(path, "r:gz") as archive:
        for info in archive:
            if not info.name.startswith(MEDIA_DIR):
                continue
            key = info.name.removeprefix(MEDIA_DIR)
            content = archive.extractfile(info)
            if content is None:
                raise BackupError(f"{path}: {info.name!r} is not a regular file.")
            try:
                storage.save(key, content.read())
            except STORAGE_ERRORS as error:
                raise BackupError(
                    f"The media file {key} could not be stored ({error}); the database is still "
                    "empty: fix the storage and run the restore again."
                ) from error
            count += 1
    return count


def _restore_rows(path: Path, manifest: dict) -> int:
    tables = {table["member"]: table for table in manifest["tables"]}
    total = 0
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # The write lock from the start: nobody writes between the check and the inserts.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        _check_target(connection, manifest)
        # Tables come in dependency order and foreign keys stay checked: rows that do not
        # fit the schema roll the whole restore back.
        with tarfile.open(path, "r:gz") as archive:
            for info in archive:
                entry = tables.get(info.name)
                if entry is None:
                    continue
                table = db.metadata.tables[entry["name"]]
                rows = _insert_rows(connection, table, archive.extractfile(info))
                if rows != entry["rows"]:
                    raise BackupError(
                        f"{table.name}: {rows} rows read, the manifest says {entry['rows']}."
                    )
                total += rows
        connection.commit()
    return total


def _insert_rows(connection: Connection, table: Table, lines) -> int:
    stored = _as_stored(table)
    decoders = {column.name: _decoder(column) for column in stored.columns}
    decoders = {name: decode for name, decode in decoders.items() if decode is not None}
    statement, batch, count = insert(stored), [], 0
    try:
        for line in lines:
            row = json.loads(line)
            for name, decode in decoders.items():
                if row.get(name) is not None:
                    row[name] = decode(row[name])
            batch.append(row)
            if len(batch) == BATCH_ROWS:
                connection.execute(statement, batch)
                count, batch = count + len(batch), []
        if batch:
            connection.execute(statement, batch)
            count += len(batch)
    except StatementError as error:
        raise BackupError(
            f"The rows of {table.name} do not fit this database ({error.orig or error}); "
            "nothing was restored."
        ) from error
    return count


def _decoder(column: Column):
    """How to turn a column's archived value back into what its type binds (by the Python type
    of the type itself, or of the one a TypeDecorator such as UTCDateTime wraps)."""
    for kind in (column.type, getattr(column.type, "impl_instance", None)):
        if kind is None:
            continue
        try:
            return DECODERS.get(kind.python_type)
        except (NotImplementedError, AttributeError):
            continue
    return None


# --- Shared -------------------------------------------------------------------------------


def _as_stored(table: Table) -> Table:
    """`table` with its JSON columns read and written as their text: SQL NULL and a JSON null
    stay apart, and documents keep the exact text they were stored with."""
    columns = [
        Column(
            column.name,
            Text() if _is_json(column) else column.type,
            primary_key=column.primary_key,
            autoincrement=False,
        )
        for column in table.columns
    ]
    return Table(table.name, MetaData(), *columns)


def _is_json(column: Column) -> bool:
    return isinstance(column.type, JSON) or isinstance(
        getattr(column.type, "impl_instance", None), JSON
    )


def _revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _sha256(content) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: content.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()
