"""The owner's links: custom slugs, guest links and their CSV import, WhatsApp links, QR codes,
deactivation, and nobody else's."""

import io
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

import pytest
import segno
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models.invitation import Invitation
from models.invitation_data import InvitationData
from models.invitation_response import InvitationResponse
from models.invitation_url import KIND_CUSTOM, KIND_GUEST, InvitationUrl
from services import invitation_urls
from services.invitation_urls import IMPORT_MAX_ROWS, RESERVED_SLUGS
from tests.invitation_fixtures import (
    FULL_FEATURES,
    create_draft,
    paid_invitation,
    recorded_statements,
)
from utils.media import local_app_url
from utils.phones import PHONE_RULE

ONE_GUEST_CSV = b"guest_name,max_guests\nA,1\n"
ITEM_KEYS = {
    "id", "kind", "code", "url", "guest_name", "max_guests", "phone", "whatsapp_url", "visits",
    "is_active", "response_status",
}  # fmt: skip


@pytest.fixture
def invitation(client, headers, make):
    """A draft of the owner's with every feature (its plan set directly): {id, main_code}."""
    return _with_features(client, headers, make, FULL_FEATURES)


def _with_features(client, headers, make, features: dict) -> dict:
    draft = create_draft(client, headers, make.template())
    row = db.session.get(Invitation, draft["id"])
    row.plan = make.plan(features=dict(features))
    db.session.commit()
    return draft


def urls_of(invitation_id: int) -> str:
    return f"/api/invitations/{invitation_id}/urls"


def add_guest(client, headers, invitation_id, **fields):
    body = {"kind": "guest", "guest_name": "Tía Rosa", "max_guests": 2, **fields}
    return client.post(urls_of(invitation_id), json=body, headers=headers)


def add_custom(client, headers, invitation_id, slug):
    return client.post(
        urls_of(invitation_id), json={"kind": "custom", "slug": slug}, headers=headers
    )


def list_urls(client, headers, invitation_id, **query):
    response = client.get(urls_of(invitation_id), query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def import_csv(client, headers, invitation_id, content: bytes, name="invitados.csv"):
    return client.post(
        f"{urls_of(invitation_id)}/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def stored_links(invitation_id: int, kind: str = KIND_GUEST) -> list[InvitationUrl]:
    return list(
        db.session.scalars(
            select(InvitationUrl)
            .where(InvitationUrl.invitation_id == invitation_id, InvitationUrl.kind == kind)
            .order_by(InvitationUrl.id)
        )
    )


def whatsapp_text(item: dict) -> str:
    return unquote(urlsplit(item["whatsapp_url"]).query.removeprefix("text="))


# --- Listing ------------------------------------------------------------------------------


def test_a_new_draft_lists_its_main_link_only(client, headers, invitation):
    items = list_urls(client, headers, invitation["id"])

    assert len(items) == 1
    main = items[0]
    assert set(main) == ITEM_KEYS
    assert (main["kind"], main["code"], main["is_active"]) == (
        "main",
        invitation["main_code"],
        True,
    )
    assert main["url"] == f"{local_app_url()}/r/{invitation['main_code']}"
    assert (main["whatsapp_url"], main["phone"], main["response_status"]) == (None, None, None)


def test_include_inactive_takes_true_or_false_only(client, headers, invitation):
    response = client.get(
        urls_of(invitation["id"]), query_string={"include_inactive": "maybe"}, headers=headers
    )

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["include_inactive"]


def test_the_list_costs_the_same_queries_for_one_link_and_fifty(client, headers, make):
    counts = {}
    for size in (1, 50):
        draft = _with_features(client, headers, make, FULL_FEATURES)
        for n in range(size):
            link = InvitationUrl(
                invitation_id=draft["id"],
                kind=KIND_GUEST,
                code=f"q{draft['id']}x{n}",
                guest_name=f"Invitado {n}",
                max_guests=2,
                phone="51987654321",
            )
            db.session.add(link)
            db.session.flush()
            if n % 2 == 0:
                db.session.add(
                    InvitationResponse(
                        invitation_id=draft["id"],
                        invitation_url_id=link.id,
                        guest_name=f"Invitado {n}",
                        status="confirmed",
                        number_of_guests=2,
                    )
                )
        db.session.commit()
        with recorded_statements() as statements:
            items = list_urls(client, headers, draft["id"])
        assert len(items) == size + 1
        assert items[1]["response_status"] == "confirmed"
        assert items[1]["whatsapp_url"].startswith("https://wa.me/51987654321?text=")
        counts[size] = len(statements)

    assert counts[1] == counts[50], counts


def test_the_invitation_itself_shows_phone_and_whatsapp_url_of_its_links(
    client, headers, invitation
):
    add_guest(client, headers, invitation["id"], phone="987 654 321")

    body = client.get(f"/api/invitations/{invitation['id']}", headers=headers).get_json()

    guest = next(url for url in body["urls"] if url["kind"] == "guest")
    assert guest["phone"] == "51987654321"
    assert guest["whatsapp_url"].startswith("https://wa.me/51987654321?text=")


# --- Custom slugs -------------------------------------------------------------------------


def test_a_custom_slug_is_trimmed_and_lower_cased(client, headers, invitation):
    response = add_custom(client, headers, invitation["id"], "  Ana-Y-Luis-2027 ")

    assert response.status_code == 201, response.get_json()
    link = response.get_json()
    assert set(link) == ITEM_KEYS
    assert (link["kind"], link["code"]) == ("custom", "ana-y-luis-2027")
    assert link["url"] == f"{local_app_url()}/r/ana-y-luis-2027"
    assert link["whatsapp_url"] is None
    assert [item["kind"] for item in list_urls(client, headers, invitation["id"])] == [
        "main",
        "custom",
    ]


@pytest.mark.parametrize(
    "slug",
    ["ab", "a" * 61, "-ana", "ana-", "ana--luis", "ana_luis", "ana luis", "ñandú", "", "   "],
)
def test_a_malformed_slug_is_422(client, headers, invitation, slug):
    response = add_custom(client, headers, invitation["id"], slug)

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["slug"]
    assert stored_links(invitation["id"], KIND_CUSTOM) == []


@pytest.mark.parametrize("slug", ["api", " Admin ", "www", "LOGIN", "libro-de-reclamaciones"])
def test_a_reserved_slug_is_422(client, headers, invitation, slug):
    response = add_custom(client, headers, invitation["id"], slug)

    assert response.status_code == 422
    assert "reserved" in response.get_json()["details"]["slug"][0]


def test_the_reserved_words_include_the_sites_own_paths():
    assert {"api", "admin", "r", "i", "static", "media", "health", "docs", "login"} <= (
        RESERVED_SLUGS
    )


def test_a_slug_is_unique_across_every_invitation_and_kind(client, headers, invitation, make):
    other = _with_features(client, headers, make, FULL_FEATURES)
    assert add_custom(client, headers, other["id"], "ana-y-luis").status_code == 201

    taken = add_custom(client, headers, invitation["id"], "ANA-y-Luis")
    main_code = add_custom(client, headers, invitation["id"], other["main_code"].upper())

    for response in (taken, main_code):
        assert response.status_code == 409
        assert response.get_json()["error"] == "slug_taken"
    assert stored_links(invitation["id"], KIND_CUSTOM) == []


def test_a_slug_taken_between_the_check_and_the_insert_is_slug_taken(
    client, headers, invitation, make, monkeypatch
):
    other = _with_features(client, headers, make, FULL_FEATURES)
    assert add_custom(client, headers, other["id"], "boda-2027").status_code == 201
    # As if a concurrent request had inserted it after this one looked.
    monkeypatch.setattr(invitation_urls, "_link_with_code", lambda _code: None)

    response = add_custom(client, headers, invitation["id"], "boda-2027")

    assert response.status_code == 409
    assert response.get_json()["error"] == "slug_taken"
    assert stored_links(invitation["id"], KIND_CUSTOM) == []


def test_one_custom_slug_per_invitation_until_the_old_one_is_deleted(client, headers, invitation):
    first = add_custom(client, headers, invitation["id"], "ana-y-luis").get_json()

    second = add_custom(client, headers, invitation["id"], "luis-y-ana")
    assert second.status_code == 409
    assert second.get_json()["error"] == "conflict"
    assert "delete" in second.get_json()["message"]

    client.delete(f"{urls_of(invitation['id'])}/{first['id']}", headers=headers)
    replaced = add_custom(client, headers, invitation["id"], "luis-y-ana")
    assert replaced.status_code == 201
    assert replaced.get_json()["code"] == "luis-y-ana"


def test_a_retired_slug_comes_back_to_its_own_invitation_only(client, headers, invitation, make):
    first = add_custom(client, headers, invitation["id"], "ana-y-luis").get_json()
    client.delete(f"{urls_of(invitation['id'])}/{first['id']}", headers=headers)
    other = _with_features(client, headers, make, FULL_FEATURES)

    stolen = add_custom(client, headers, other["id"], "ana-y-luis")
    back = add_custom(client, headers, invitation["id"], "ana-y-luis")

    assert stolen.status_code == 409 and stolen.get_json()["error"] == "slug_taken"
    assert back.status_code == 201
    assert (back.get_json()["id"], back.get_json()["is_active"]) == (first["id"], True)


def test_custom_slugs_need_the_plan_feature(client, headers, make):
    draft = _with_features(client, headers, make, {**FULL_FEATURES, "custom_slug": False})

    response = add_custom(client, headers, draft["id"], "ana-y-luis")

    assert response.status_code == 403
    assert response.get_json()["error"] == "feature_not_in_plan"


def test_a_paid_invitation_gets_its_custom_slug(client, headers, make):
    paid = paid_invitation(client, headers)

    response = add_custom(client, headers, paid["id"], "boda-ana-luis")

    assert response.status_code == 201
    assert response.get_json()["code"] == "boda-ana-luis"


# --- Guest links --------------------------------------------------------------------------


def test_a_guest_link_has_a_random_code_and_a_whatsapp_link(client, headers, invitation):
    response = add_guest(
        client, headers, invitation["id"], guest_name="  Familia Pérez ", phone="+51 987-654-321"
    )

    assert response.status_code == 201, response.get_json()
    link = response.get_json()
    assert set(link) == ITEM_KEYS
    assert (link["kind"], link["guest_name"], link["max_guests"]) == ("guest", "Familia Pérez", 2)
    assert link["phone"] == "51987654321"
    assert len(link["code"]) == 10 and link["code"].isalnum() and link["code"].islower()
    assert link["whatsapp_url"].startswith("https://wa.me/51987654321?text=")
    text = whatsapp_text(link)
    assert "Familia Pérez" in text and "2 pases" in text
    assert text.endswith(f"{local_app_url()}/r/{link['code']}")


def test_one_pass_is_said_in_the_singular(client, headers, invitation):
    link = add_guest(client, headers, invitation["id"], max_guests=1).get_json()

    assert "1 pase." in whatsapp_text(link)


def test_without_a_phone_the_whatsapp_link_lets_the_owner_pick_the_contact(
    client, headers, invitation
):
    link = add_guest(client, headers, invitation["id"], phone=None).get_json()

    assert link["phone"] is None
    assert link["whatsapp_url"].startswith("https://wa.me/?text=")


def test_the_owners_message_fills_its_placeholders_and_keeps_other_braces(
    client, headers, invitation
):
    data = db.session.scalar(
        select(InvitationData).where(InvitationData.invitation_id == invitation["id"])
    )
    data.whatsapp_message = "Hola {guest_name} {x} {0}: {passes} pases & más {link} {guest_name}"
    db.session.commit()

    link = add_guest(client, headers, invitation["id"], guest_name="{link}", max_guests=3)
    item = link.get_json()

    short = f"{local_app_url()}/r/{item['code']}"
    assert whatsapp_text(item) == f"Hola {{link}} {{x}} {{0}}: 3 pases & más {short} {{link}}"
    expected = quote(f"Hola {{link}} {{x}} {{0}}: 3 pases & más {short} {{link}}", safe="")
    assert item["whatsapp_url"] == f"https://wa.me/?text={expected}"


def test_an_invitation_without_data_gets_the_default_message(client, headers, invitation):
    db.session.delete(
        db.session.scalar(
            select(InvitationData).where(InvitationData.invitation_id == invitation["id"])
        )
    )
    db.session.commit()

    link = add_guest(client, headers, invitation["id"]).get_json()

    assert whatsapp_text(link).startswith("¡Hola, Tía Rosa!")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"guest_name": "   "}, "guest_name"),
        ({"guest_name": "x" * 151}, "guest_name"),
        ({"max_guests": 0}, "max_guests"),
        ({"max_guests": 21}, "max_guests"),
        ({"max_guests": "2"}, "max_guests"),
        ({"max_guests": 2.5}, "max_guests"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "987 654 32"}, "phone"),
        ({"phone": "+51 ٩٨٧٦٥٤٣٢١"}, "phone"),
        ({"slug": "ana-y-luis"}, "slug"),
        ({"kind": "main"}, "kind"),
        ({"kind": None}, "kind"),
    ],
)
def test_a_bad_guest_link_is_422_and_creates_nothing(client, headers, invitation, body, field):
    response = add_guest(client, headers, invitation["id"], **body)

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == [field]
    assert stored_links(invitation["id"]) == []


def test_a_bad_phone_is_explained(client, headers, invitation):
    response = add_guest(client, headers, invitation["id"], phone="555-1234")

    assert PHONE_RULE in response.get_json()["details"]["phone"][0]


def test_a_body_without_kind_is_422_naming_kind(client, headers, invitation):
    response = client.post(urls_of(invitation["id"]), json={"slug": "x"}, headers=headers)

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["kind"]


def test_max_guest_links_counts_active_guest_links_only(client, headers, make):
    draft = _with_features(client, headers, make, {**FULL_FEATURES, "max_guest_links": 2})
    first = add_guest(client, headers, draft["id"]).get_json()
    add_guest(client, headers, draft["id"])
    add_custom(client, headers, draft["id"], "ana-y-luis")

    refused = add_guest(client, headers, draft["id"])
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "plan_limit_reached"

    client.delete(f"{urls_of(draft['id'])}/{first['id']}", headers=headers)
    assert add_guest(client, headers, draft["id"]).status_code == 201
    assert len([link for link in stored_links(draft["id"]) if link.is_active]) == 2


def test_a_code_taken_meanwhile_is_drawn_again_once(client, headers, invitation, monkeypatch):
    codes = iter([invitation["main_code"], "fresh00001"])
    monkeypatch.setattr(invitation_urls, "new_link_code", lambda: next(codes))

    response = add_guest(client, headers, invitation["id"])

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["code"] == "fresh00001"
    assert [link.code for link in stored_links(invitation["id"])] == ["fresh00001"]


# --- Deactivating -------------------------------------------------------------------------


def test_deleting_a_guest_link_deactivates_it_and_keeps_its_answer(client, headers, invitation):
    link = add_guest(client, headers, invitation["id"]).get_json()
    db.session.add(
        InvitationResponse(
            invitation_id=invitation["id"],
            invitation_url_id=link["id"],
            guest_name="Tía Rosa",
            status="confirmed",
            number_of_guests=2,
        )
    )
    db.session.commit()
    version = db.session.get(InvitationUrl, link["id"]).version

    response = client.delete(f"{urls_of(invitation['id'])}/{link['id']}", headers=headers)

    assert response.status_code == 204
    assert [item["kind"] for item in list_urls(client, headers, invitation["id"])] == ["main"]
    shown = list_urls(client, headers, invitation["id"], include_inactive="true")
    assert [(item["id"], item["is_active"], item["response_status"]) for item in shown[1:]] == [
        (link["id"], False, "confirmed")
    ]
    row = db.session.get(InvitationUrl, link["id"])
    assert (row.is_active, row.code, row.version) == (False, link["code"], version + 1)
    assert db.session.scalar(select(func.count()).select_from(InvitationResponse)) == 1


def test_deleting_twice_is_fine(client, headers, invitation):
    link = add_guest(client, headers, invitation["id"]).get_json()
    path = f"{urls_of(invitation['id'])}/{link['id']}"

    assert client.delete(path, headers=headers).status_code == 204
    assert client.delete(path, headers=headers).status_code == 204


def test_the_main_link_cannot_be_deleted(client, headers, invitation):
    main = list_urls(client, headers, invitation["id"])[0]

    response = client.delete(f"{urls_of(invitation['id'])}/{main['id']}", headers=headers)

    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"
    assert list_urls(client, headers, invitation["id"])[0]["is_active"] is True


def test_a_link_of_another_own_invitation_is_not_found(client, headers, invitation, make):
    other = _with_features(client, headers, make, FULL_FEATURES)
    link = add_guest(client, headers, other["id"]).get_json()
    path = f"{urls_of(invitation['id'])}/{link['id']}"

    assert client.delete(path, headers=headers).status_code == 404
    assert client.get(f"{path}/qr.png", headers=headers).status_code == 404
    assert client.get(f"{path}/qr.svg", headers=headers).status_code == 404
    assert client.delete(f"{urls_of(invitation['id'])}/999999", headers=headers).status_code == 404
    assert db.session.get(InvitationUrl, link["id"]).is_active is True


# --- Nobody else's ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "kwargs"),
    [
        ("get", "", {}),
        ("post", "", {"json": {"kind": "guest", "guest_name": "X", "max_guests": 1}}),
        ("post", "", {"json": {"kind": "nonsense"}}),
        ("post", "/import", {"data": {"file": (io.BytesIO(ONE_GUEST_CSV), "a.csv")}}),
        ("post", "/import", {"data": {}}),
        ("delete", "/{url_id}", {}),
        ("get", "/{url_id}/qr.png", {}),
        ("get", "/{url_id}/qr.svg", {}),
        ("get", "?include_inactive=maybe", {}),
    ],
)
def test_another_users_invitation_is_404_before_its_body_is_read(
    client, make, auth_headers, invitation, headers, method, suffix, kwargs
):
    guest = add_guest(client, headers, invitation["id"]).get_json()
    stranger = auth_headers(make.user())
    path = urls_of(invitation["id"]) + suffix.format(url_id=guest["id"])

    response = getattr(client, method)(path, headers=stranger, **kwargs)

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    assert len(stored_links(invitation["id"])) == 1 and stored_links(invitation["id"])[0].is_active


def test_every_route_needs_a_token(client, invitation):
    assert client.get(urls_of(invitation["id"])).status_code == 401
    assert client.post(urls_of(invitation["id"]), json={"kind": "custom"}).status_code == 401


# --- Import -------------------------------------------------------------------------------


def test_a_csv_guest_list_creates_every_link(client, headers, invitation):
    content = (
        b"guest_name,max_guests,phone\n"
        b"Familia P\xc3\xa9rez,4,987654321\n"
        b'"Quispe, Ana",1,\n'
        b"Luis,2,+34 612 345 678\n"
    )

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["created"] == 3
    assert [(i["guest_name"], i["max_guests"], i["phone"]) for i in body["items"]] == [
        ("Familia Pérez", 4, "51987654321"),
        ("Quispe, Ana", 1, None),
        ("Luis", 2, "34612345678"),
    ]
    assert all(set(item) == ITEM_KEYS and item["kind"] == "guest" for item in body["items"])
    assert len({item["code"] for item in body["items"]}) == 3
    assert body["items"][0]["whatsapp_url"].startswith("https://wa.me/51987654321?text=")
    assert len(stored_links(invitation["id"])) == 3


def test_excels_csv_utf8_with_bom_semicolons_and_crlf_is_read(client, headers, invitation):
    content = "GUEST_NAME;Max_Guests;Phone\r\nJosé Muñoz;3;999 888 777\r\n;;\r\nÑusta;1;\r\n"

    response = import_csv(client, headers, invitation["id"], b"\xef\xbb\xbf" + content.encode())

    assert response.status_code == 201, response.get_json()
    assert [(i["guest_name"], i["phone"]) for i in response.get_json()["items"]] == [
        ("José Muñoz", "51999888777"),
        ("Ñusta", None),
    ]


def test_a_windows_1252_file_as_excel_saves_it_is_read(client, headers, invitation):
    content = "guest_name;max_guests\r\nFamilia Muñoz;2\r\nSeñora Ibáñez;1\r\n".encode("cp1252")
    assert b"Mu\xf1oz" in content

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 201, response.get_json()
    names = [item["guest_name"] for item in response.get_json()["items"]]
    assert names == ["Familia Muñoz", "Señora Ibáñez"]


def test_empty_cells_after_the_last_column_are_ignored(client, headers, invitation):
    content = b"guest_name;max_guests;;\r\nAna;2;;\r\nLuis;1\r\n"

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 201, response.get_json()
    assert [i["guest_name"] for i in response.get_json()["items"]] == ["Ana", "Luis"]


def test_columns_may_come_in_any_order_and_blank_lines_are_skipped(client, headers, invitation):
    content = b"max_guests,guest_name\n\n2,Ana\n\n\n1,Luis\n"

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 201
    assert [i["guest_name"] for i in response.get_json()["items"]] == ["Ana", "Luis"]


def test_bad_rows_are_named_by_line_and_nothing_is_created(client, headers, invitation):
    content = (
        b"guest_name,max_guests,phone\n"  # line 1
        b"Ana,2,\n"  # 2
        b"\n"  # 3
        b",2,\n"  # 4
        b"Luis,0,12\n"  # 5
        b'"Carmen\nde la Cruz",25,\n'  # 6-7
        b"Rosa,two,\n"  # 8
        b"Pedro,1,,extra\n"  # 9
    )

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    rows = body["details"]["rows"]
    assert sorted(rows, key=int) == ["4", "5", "6", "8", "9"]
    assert rows["4"] == ["guest_name is required."]
    assert rows["5"] == [
        "max_guests must be a whole number from 1 to 20.",
        f"phone must be {PHONE_RULE}.",
    ]
    assert rows["6"] == ["max_guests must be a whole number from 1 to 20."]
    assert "more values" in rows["9"][0]
    assert stored_links(invitation["id"]) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xef\xbb\xbf\r\n", "empty"),
        (b"name,guests\nAna,2\n", "header"),
        (b"guest_name,phone\nAna,987654321\n", "missing: max_guests"),
        (b"guest_name,max_guests,notes\nAna,2,x\n", "unknown columns: notes"),
        (b"guest_name,max_guests,guest_name\nAna,2,B\n", "repeated: guest_name"),
        (b"guest_name,max_guests\n", "no guests"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a CSV"),
        ("guest_name,max_guests\nAna,2\n".encode("utf-16"), "not a CSV"),
        (b"guest_name,max_guests\n\x81\x8d,2\n", "not a CSV"),
        (b'guest_name,max_guests\n"Ana,2\n', "not valid CSV"),
    ],
)
def test_a_file_that_is_not_a_guest_list_is_422(client, headers, invitation, content, words):
    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 422
    body = response.get_json()
    assert list(body["details"]) == ["file"]
    assert words in body["details"]["file"][0]
    assert stored_links(invitation["id"]) == []


def test_a_phone_in_other_scripts_digits_is_refused(client, headers, invitation):
    content = "guest_name,max_guests,phone\nAna,1,+٥١٩٨٧٦٥٤٣٢١\n".encode()

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 422
    assert response.get_json()["details"]["rows"] == {"2": [f"phone must be {PHONE_RULE}."]}


def test_a_file_is_required(client, headers, invitation):
    response = client.post(
        f"{urls_of(invitation['id'])}/import",
        data={},
        content_type="multipart/form-data",
        headers=headers,
    )

    assert response.status_code == 422
    assert list(response.get_json()["details"]) == ["file"]


def test_more_than_the_maximum_rows_is_422(client, headers, make):
    draft = _with_features(client, headers, make, {**FULL_FEATURES, "max_guest_links": 5000})
    rows = "".join(f"Invitado {n},1\n" for n in range(IMPORT_MAX_ROWS + 1))

    response = import_csv(client, headers, draft["id"], f"guest_name,max_guests\n{rows}".encode())

    assert response.status_code == 422
    assert str(IMPORT_MAX_ROWS) in response.get_json()["details"]["file"][0]
    assert stored_links(draft["id"]) == []


def test_the_maximum_rows_are_imported(client, headers, make):
    draft = _with_features(client, headers, make, {**FULL_FEATURES, "max_guest_links": 5000})
    rows = "".join(f"Invitado {n},1\n" for n in range(IMPORT_MAX_ROWS))

    response = import_csv(client, headers, draft["id"], f"guest_name,max_guests\n{rows}".encode())

    assert response.status_code == 201
    assert response.get_json()["created"] == IMPORT_MAX_ROWS
    assert len({link.code for link in stored_links(draft["id"])}) == IMPORT_MAX_ROWS


def test_an_import_past_max_guest_links_is_403_and_creates_nothing(client, headers, make):
    draft = _with_features(client, headers, make, {**FULL_FEATURES, "max_guest_links": 3})
    add_guest(client, headers, draft["id"])

    refused = import_csv(client, headers, draft["id"], b"guest_name,max_guests\nA,1\nB,1\nC,1\n")
    fits = import_csv(client, headers, draft["id"], b"guest_name,max_guests\nA,1\nB,1\n")

    assert refused.status_code == 403
    assert refused.get_json()["error"] == "plan_limit_reached"
    assert fits.status_code == 201
    assert len(stored_links(draft["id"])) == 3


def test_an_import_over_the_size_limit_is_413(client, headers, invitation, monkeypatch):
    # The 2 MB limit scaled down: a test body over 500 KB goes through a temporary file.
    monkeypatch.setattr(invitation_urls, "IMPORT_MAX_BYTES", 1024)
    content = b"guest_name,max_guests\n" + b"A,1\n" * 300

    response = import_csv(client, headers, invitation["id"], content)

    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert stored_links(invitation["id"]) == []


# --- QR codes -----------------------------------------------------------------------------


def qr_modules(image: Image.Image, size: int, scale: int = 10, border: int = 4) -> list[list[int]]:
    """The dark (1) and light (0) modules read at the centre of each module's square."""
    gray = image.convert("L")
    half = scale // 2
    return [
        [
            int(gray.getpixel(((border + x) * scale + half, (border + y) * scale + half)) < 128)
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_the_png_qr_code_encodes_the_short_link(client, headers, invitation):
    link = add_guest(client, headers, invitation["id"]).get_json()

    response = client.get(f"{urls_of(invitation['id'])}/{link['id']}/qr.png", headers=headers)

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] in ("private, max-age=3600", "max-age=3600, private")
    assert response.headers["Content-Disposition"] == f'inline; filename="{link["code"]}.png"'
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG"
    expected = segno.make(link["url"], error="m", micro=False)
    size = expected.symbol_size(border=0)[0]
    assert image.size == ((size + 8) * 10, (size + 8) * 10)
    assert 250 <= image.size[0] <= 1000
    assert qr_modules(image, size) == [list(row) for row in expected.matrix]
    assert expected.error in ("M", "Q", "H")


def test_the_svg_qr_code_is_an_svg_document(client, headers, invitation):
    link = add_custom(client, headers, invitation["id"], "ana-y-luis").get_json()

    response = client.get(f"{urls_of(invitation['id'])}/{link['id']}/qr.svg", headers=headers)

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == 'inline; filename="ana-y-luis.svg"'
    root = ElementTree.fromstring(response.data)  # noqa: S314 - the app's own SVG
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    expected = segno.make(f"{local_app_url()}/r/ana-y-luis", error="m", micro=False)
    out = io.BytesIO()
    expected.save(out, kind="svg", scale=10, border=4)
    assert response.data == out.getvalue()


def test_a_deleted_link_has_no_qr_code(client, headers, invitation):
    link = add_guest(client, headers, invitation["id"]).get_json()
    client.delete(f"{urls_of(invitation['id'])}/{link['id']}", headers=headers)

    response = client.get(f"{urls_of(invitation['id'])}/{link['id']}/qr.png", headers=headers)

    assert response.status_code == 404


def test_the_document_describes_the_qr_images_and_both_body_shapes(client):
    doc = client.get("/api/openapi.json").get_json()
    paths = doc["paths"]

    png = paths["/api/invitations/{invitation_id}/urls/{url_id}/qr.png"]["get"]
    svg = paths["/api/invitations/{invitation_id}/urls/{url_id}/qr.svg"]["get"]
    create = paths["/api/invitations/{invitation_id}/urls"]["post"]
    assert list(png["responses"]["200"]["content"]) == ["image/png"]
    assert list(svg["responses"]["200"]["content"]) == ["image/svg+xml"]
    shapes = create["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert [shape["$ref"].rsplit("/", 1)[1] for shape in shapes] == [
        "CustomLinkCreate",
        "GuestLinkCreate",
    ]
