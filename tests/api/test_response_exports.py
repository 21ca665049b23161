"""`GET /api/invitations/<id>/responses/export`: the guest list as CSV or Excel, streamed."""

import contextvars
import csv
import io
import tempfile
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert
from werkzeug.test import EnvironBuilder

from extensions import db
from models.invitation_response import InvitationResponse
from services import invitation_responses
from services.invitation_responses import EXPORT_COLUMNS, XLSX_CONTENT_TYPE
from tests.api.test_invitation_responses import answer, change, guest_link
from tests.invitation_fixtures import create_draft, recorded_statements

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
BOM = "\ufeff".encode()
HEADER = [
    "Nombre",
    "Estado",
    "Personas",
    "Teléfono",
    "Email",
    "Mensaje",
    "Restricciones alimentarias",
    "Pase (invitado)",
    "Pases",
    "Código",
    "Respondido",
    "Actualizado",
]


@pytest.fixture
def invitation(client, headers, make) -> int:
    return create_draft(client, headers, make.template())["id"]


def export_url(invitation_id: int, query: str = "") -> str:
    return f"/api/invitations/{invitation_id}/responses/export{query}"


def download(client, headers, invitation_id: int, query: str = ""):
    # Buffered: the test client would otherwise read the stream outside the request.
    response = client.get(export_url(invitation_id, query), headers=headers, buffered=True)
    assert response.status_code == 200, response.data[:300]
    return response


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The workbook's cells as the CSV spells them (numbers as digits, empty as "")."""
    sheet = load_workbook(io.BytesIO(data))["Invitados"]
    return [
        ["" if value is None else str(value) for value in row]
        for row in sheet.iter_rows(values_only=True)
    ]


@pytest.fixture
def guest_list(invitation):
    """Three answers with accents, a formula, a line break and a control character."""
    link = guest_link(invitation, "Familia Muñoz", 4)
    rosa = answer(
        invitation,
        "Rosa Muñoz",
        guests=3,
        link=link,
        phone="51987654321",
        email="rosa@example.com",
        message='=HYPERLINK("http://evil.example","clic")',
        dietary_restrictions="Sin gluten, ñoquis no",
        at=START,
    )
    change(rosa, status="confirmed", guests=2, at=START + timedelta(days=1, hours=2))
    answer(
        invitation,
        "-Luis",
        status="declined",
        phone="+1 555 0100",
        email="@luis",
        message="Línea 1\r\nLínea 2\x01",
        dietary_restrictions="\tTAB",
        at=START + timedelta(hours=1),
    )
    answer(invitation, "Ana", guests=1, message="\rCR", at=START + timedelta(hours=2))
    return link


def test_the_csv_lists_every_answer_newest_first_with_its_pass(
    client, headers, invitation, guest_list
):
    response = download(client, headers, invitation)

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="invitados-{invitation}.csv"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = csv_rows(response.data)
    assert rows[0] == HEADER == list(EXPORT_COLUMNS)
    assert len(rows) == 4
    assert rows[1] == [
        "Ana",
        "Confirmado",
        "1",
        "",
        "",
        "'\nCR",
        "",
        "",
        "",
        "",
        "2026-12-01T12:00:00-05:00",
        "2026-12-01T12:00:00-05:00",
    ]
    assert rows[2] == [
        "'-Luis",
        "No asiste",
        "1",
        "'+1 555 0100",
        "'@luis",
        "Línea 1\nLínea 2",
        "'\tTAB",
        "",
        "",
        "",
        "2026-12-01T11:00:00-05:00",
        "2026-12-01T11:00:00-05:00",
    ]
    assert rows[3] == [
        "Rosa Muñoz",
        "Confirmado",
        "2",
        "51987654321",
        "rosa@example.com",
        '\'=HYPERLINK("http://evil.example","clic")',
        "Sin gluten, ñoquis no",
        "Familia Muñoz",
        "4",
        guest_list.code,
        "2026-12-01T10:00:00-05:00",
        "2026-12-02T12:00:00-05:00",
    ]


def test_the_workbook_holds_the_same_cells_as_the_csv(client, headers, invitation, guest_list):
    workbook = download(client, headers, invitation, "?format=xlsx")
    text = download(client, headers, invitation, "?format=csv")

    assert workbook.headers["Content-Type"] == XLSX_CONTENT_TYPE
    assert (
        workbook.headers["Content-Disposition"]
        == f'attachment; filename="invitados-{invitation}.xlsx"'
    )
    assert xlsx_rows(workbook.data) == csv_rows(text.data)
    sheet = load_workbook(io.BytesIO(workbook.data))["Invitados"]
    rosa = list(sheet.iter_rows(min_row=4, max_row=4))[0]
    # Text, never a formula; numbers are numbers.
    assert rosa[5].value == '\'=HYPERLINK("http://evil.example","clic")'
    assert rosa[5].data_type == "s"
    assert (rosa[2].value, rosa[8].value) == (2, 4)
    assert sheet["A1"].font.bold


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_invitation_without_answers_exports_the_header_only(
    client, headers, invitation, file_format
):
    response = download(client, headers, invitation, f"?format={file_format}")

    rows = csv_rows(response.data) if file_format == "csv" else xlsx_rows(response.data)
    assert rows == [HEADER]


@pytest.mark.parametrize("query", ["?format=pdf", "?format=", "?format=CSV"])
def test_another_format_is_a_422_json_error(client, headers, invitation, query):
    response = client.get(export_url(invitation, query), headers=headers)

    assert response.status_code == 422
    assert response.mimetype == "application/json"
    assert "format" in response.get_json()["details"]


def test_answers_of_other_invitations_are_not_exported(client, headers, invitation, make):
    other = create_draft(client, headers, make.template())["id"]
    answer(other, "De la otra")
    answer(invitation, "Mía")

    rows = csv_rows(download(client, headers, invitation).data)

    assert [row[0] for row in rows[1:]] == ["Mía"]


def test_the_export_runs_the_same_statements_for_1_or_50_answers(client, headers, make):
    small = create_draft(client, headers, make.template())["id"]
    large = create_draft(client, headers, make.template())["id"]
    answer(small, "Sola", link=guest_link(small, "Sola", 2))
    for index in range(50):
        link = guest_link(large, f"Pase {index}", 2) if index % 2 else None
        answer(large, f"Invitado {index}", link=link, at=START + timedelta(seconds=index))

    counts = {}
    for invitation_id in (small, large):
        for file_format in ("csv", "xlsx"):
            with recorded_statements() as statements:
                response = download(client, headers, invitation_id, f"?format={file_format}")
            counts[invitation_id, file_format] = len(statements)

    assert len(csv_rows(download(client, headers, large).data)) == 51
    assert len(set(counts.values())) == 1, counts
    # The user, the invitation, one batch of answers.
    assert counts[small, "csv"] <= 3, counts
    assert response.status_code == 200


def test_batches_read_every_answer_once_in_order(client, headers, invitation, monkeypatch):
    for index in range(50):
        # Pairs share an instant, so the keyset's id tie-break is exercised.
        answer(invitation, f"Invitado {index:02d}", at=START + timedelta(seconds=index // 2))
    with recorded_statements() as statements:
        one_batch = csv_rows(download(client, headers, invitation).data)
    monkeypatch.setattr(invitation_responses, "EXPORT_BATCH", 20)

    with recorded_statements() as batched_statements:
        batched = csv_rows(download(client, headers, invitation).data)

    assert batched == one_batch
    names = [row[0] for row in batched[1:]]
    assert len(names) == len(set(names)) == 50
    # Ids grow with the insertion order, so within an instant the later answer comes first.
    assert names[:4] == ["Invitado 49", "Invitado 48", "Invitado 47", "Invitado 46"]
    # 50 answers in batches of 20: 20, 20, 10 — two statements more than one batch.
    assert len(batched_statements) == len(statements) + 2


def test_an_abandoned_workbook_download_removes_its_temporary_file(
    app, invitation, owner, auth_headers, monkeypatch
):
    for index in range(30):
        answer(invitation, f"Invitado {index}", at=START + timedelta(seconds=index))
    spooled = []

    class RecordedSpool(tempfile.SpooledTemporaryFile):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            spooled.append(self)

    monkeypatch.setattr(invitation_responses.tempfile, "SpooledTemporaryFile", RecordedSpool)
    monkeypatch.setattr(invitation_responses, "XLSX_CHUNK", 512)

    status, received = stream(
        app, export_url(invitation, "?format=xlsx"), auth_headers(owner), stop_after=1
    )

    assert status.startswith("200")
    assert received == 512
    assert len(spooled) == 1 and spooled[0].closed


def test_a_workbook_export_that_fails_midway_leaves_no_temporary_file(
    app, invitation, owner, auth_headers, monkeypatch
):
    for index in range(30):
        answer(invitation, f"Invitado {index}", at=START + timedelta(seconds=index))
    monkeypatch.setattr(invitation_responses, "EXPORT_BATCH", 10)
    cells = invitation_responses._export_cells

    def failing(row):
        if row.guest_name == "Invitado 5":
            raise RuntimeError("the database went away")
        return cells(row)

    monkeypatch.setattr(invitation_responses, "_export_cells", failing)
    before = set(Path(tempfile.gettempdir()).glob("openpyxl.*"))

    with pytest.raises(RuntimeError, match="went away"):
        stream(app, export_url(invitation, "?format=xlsx"), auth_headers(owner))

    assert set(Path(tempfile.gettempdir()).glob("openpyxl.*")) <= before


def stream(app, path: str, headers: dict, *, stop_after: int | None = None) -> tuple[str, int]:
    """Serve `path` through the WSGI app, reading the body chunk by chunk without keeping it,
    in one context as a worker does; `stop_after` chunks, the client goes away."""
    environ = EnvironBuilder(path=path, headers=headers).get_environ()

    def serve():
        started = {}

        def start_response(status, _headers, _exc_info=None):
            started["status"] = status

        body = app(environ, start_response)
        received = 0
        try:
            for count, chunk in enumerate(body, start=1):
                received += len(chunk)
                if stop_after is not None and count >= stop_after:
                    break
        finally:
            body.close()
        return started["status"], received

    return contextvars.Context().run(serve)


def add_answers(invitation_id: int, count: int) -> None:
    """`count` answers in one bulk INSERT (a realistic row: names, phone, a message)."""
    db.session.execute(
        insert(InvitationResponse),
        [
            {
                "invitation_id": invitation_id,
                "guest_name": f"Invitado número {index} de la familia Muñoz",
                "status": "confirmed" if index % 3 else "declined",
                "number_of_guests": 1 + index % 4,
                "phone": f"51987{index:06d}",
                "email": f"invitado{index}@example.com",
                "message": "¡Felicidades a los novios! Nos vemos en la fiesta. " * 2,
                "created_at": START + timedelta(seconds=index),
                "updated_at": START + timedelta(seconds=index),
            }
            for index in range(count)
        ],
    )
    db.session.commit()


def peak_while_streaming(app, path: str, headers: dict) -> tuple[int, int]:
    """(peak bytes allocated, bytes received) while one download is served and read."""
    tracemalloc.start()
    try:
        status, received = stream(app, path, headers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status.startswith("200")
    return peak, received


def test_the_csv_streams_in_constant_memory(app, client, headers, make, owner, auth_headers):
    small = create_draft(client, headers, make.template())["id"]
    large = create_draft(client, headers, make.template())["id"]
    add_answers(small, 1_000)
    add_answers(large, 10_000)
    token = auth_headers(owner)
    stream(app, export_url(small), token)  # warm-up: compiled statements, imports

    small_peak, small_size = peak_while_streaming(app, export_url(small), token)
    large_peak, large_size = peak_while_streaming(app, export_url(large), token)

    assert large_size > 9 * small_size
    # Ten times the rows, about the same memory: one batch at a time, never the whole file.
    assert large_peak < 2 * small_peak + 256 * 1024, (small_peak, large_peak, large_size)
    assert large_peak < large_size, (large_peak, large_size)
