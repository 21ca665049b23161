"""`/r/<code>`: people are counted and sent to the SPA; preview crawlers get Open Graph tags."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from extensions import db
from models.invitation import Invitation
from models.invitation_url import InvitationUrl
from tests.guest_fixtures import add_media, edit_data, guest_link, published_invitation
from utils.media import local_app_url
from utils.time import utcnow

PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
CRAWLERS = [
    "WhatsApp/2.23.20.0 A",
    "WhatsApp/2.2407.3 i",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Facebot",
    "Twitterbot/1.0",
    "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


class MetaTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("property") or attributes.get("name")
        if tag == "meta" and name:
            self.tags[name] = attributes.get("content")


def meta_tags(html: str) -> dict[str, str]:
    parser = MetaTags()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def published(client, headers):
    return published_invitation(client, headers)


def visits(code: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(InvitationUrl.visits).where(InvitationUrl.code == code))


def test_a_person_is_counted_and_sent_to_the_spa(app, client, published):
    code = published["main_code"]

    response = client.get(f"/r/{code}", headers={"User-Agent": PHONE_BROWSER})

    assert response.status_code == 302
    assert response.headers["Location"] == f"{app.config['FRONTEND_URL']}/i/{code}"
    assert response.headers["Cache-Control"] == "no-store"
    assert visits(code) == 1
    client.get(f"/r/{code}")
    assert visits(code) == 2
    assert db.session.scalar(
        select(InvitationUrl.last_visited_at).where(InvitationUrl.code == code)
    )


def test_guest_links_redirect_with_their_own_code(app, client, published):
    code = guest_link(published["id"]).code
    response = client.get(f"/r/{code}")
    assert response.headers["Location"].endswith(f"/i/{code}")
    assert visits(code) == 1


@pytest.mark.parametrize("user_agent", CRAWLERS)
def test_preview_crawlers_get_open_graph_tags_and_are_not_counted(client, published, user_agent):
    code = published["main_code"]

    response = client.get(f"/r/{code}", headers={"User-Agent": user_agent})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    tags = meta_tags(response.get_data(as_text=True))
    assert tags["og:title"] == "Ana & Luis · sábado 13 de marzo de 2027"
    assert tags["og:url"].endswith(f"/r/{code}")
    assert tags["og:type"] == "website"
    assert tags["og:locale"] == "es_PE"
    assert tags["og:description"]
    assert visits(code) == 0


def test_og_image_is_the_og_image_else_the_card_else_the_cover_else_the_template_preview(
    client, headers, make, media_root
):
    template = make.template(preview_url="/static/templates/rosa.png")
    invitation = published_invitation(client, headers, template=template)
    code = invitation["main_code"]

    def og_image():
        html = client.get(f"/r/{code}", headers={"User-Agent": CRAWLERS[0]}).get_data(as_text=True)
        return meta_tags(html)

    card = og_image()
    assert card["og:image"].startswith(f"{local_app_url()}/media/cards/")
    assert (card["og:image:width"], card["og:image:height"]) == ("1200", "630")
    # A card that could not be drawn: the cover, else the template's preview.
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation["id"])
        .values(preview_card_hash=None, preview_card_key=None)
    )
    db.session.commit()
    assert og_image()["og:image"] == f"{local_app_url()}/static/templates/rosa.png"
    assert "og:image:width" not in og_image()
    add_media(invitation["id"], 1, "cover")
    assert og_image()["og:image"] == f"{local_app_url()}/media/uploads/cover-0.jpg"
    assert og_image()["og:image:type"] == "image/jpeg"
    add_media(invitation["id"], 1, "og_image")
    assert og_image()["og:image"] == f"{local_app_url()}/media/uploads/og_image-0.jpg"


def test_hostile_names_are_escaped_in_the_preview(client, headers, published):
    edit_data(client, headers, published["id"],
              couple_bride_name='"><script>alert(1)</script>',
              og_description="<img src=x onerror=alert(1)>")  # fmt: skip

    html = client.get(f"/r/{published['main_code']}", headers={"User-Agent": CRAWLERS[0]}).get_data(
        as_text=True
    )

    assert "<script>" not in html and "<img" not in html
    tags = meta_tags(html)
    assert tags["og:title"].startswith('"><script>alert(1)</script> & Luis')
    assert tags["og:image:alt"] == tags["og:title"]
    assert tags["og:description"] == "<img src=x onerror=alert(1)>"


def test_long_titles_and_descriptions_are_cut_for_the_bubble(client, headers, published):
    edit_data(client, headers, published["id"], couple_bride_name="A" * 100,
              og_description="palabra " * 35)  # fmt: skip
    html = client.get(f"/r/{published['main_code']}", headers={"User-Agent": CRAWLERS[0]}).get_data(
        as_text=True
    )
    tags = meta_tags(html)
    assert len(tags["og:title"]) <= 65
    assert len(tags["og:description"]) <= 155


def test_unknown_inactive_and_unpublished_links_are_404(client, headers, published):
    assert client.get("/r/no-such-code").status_code == 404
    link = guest_link(published["id"])
    code = link.code
    db.session.execute(
        update(InvitationUrl).where(InvitationUrl.code == code).values(is_active=False)
    )
    db.session.commit()
    assert client.get(f"/r/{code}").status_code == 404
    client.post(f"/api/invitations/{published['id']}/unpublish", headers=headers)
    for user_agent in (PHONE_BROWSER, CRAWLERS[0]):
        response = client.get(f"/r/{published['main_code']}", headers={"User-Agent": user_agent})
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"
    assert visits(published["main_code"]) == 0


def test_past_its_time_online_the_link_is_410(client, published):
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == published["id"])
        .values(published_at=utcnow() - timedelta(days=200))
    )
    db.session.commit()
    response = client.get(f"/r/{published['main_code']}")
    assert response.status_code == 410
    assert response.get_json()["error"] == "invitation_expired"
