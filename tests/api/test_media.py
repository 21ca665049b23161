"""`GET /media/<name>` serves MEDIA_ROOT's files and nothing outside it."""

import pytest
from PIL import Image

from utils.media import media_url, write_media_file


@pytest.fixture
def media_root(app, tmp_path, monkeypatch):
    root = tmp_path / "media"
    root.mkdir()
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    (tmp_path / "secret.txt").write_text("not for the public")
    return root


def test_a_seeded_image_is_served_with_its_type(runner, client, media_root, monkeypatch, app):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    monkeypatch.setitem(app.config, "MEDIA_BASE_URL", None)
    monkeypatch.delenv("PORT", raising=False)
    assert runner.invoke(args=["seed"]).exit_code == 0
    url = media_url("templates/eterno-amor/preview.jpg")

    response = client.get(url.removeprefix("http://127.0.0.1:5000"), buffered=True)

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == (media_root / "templates/eterno-amor/preview.jpg").read_bytes()
    assert "max-age=3600" in response.headers["Cache-Control"]


def test_a_written_file_is_served_and_revalidated(client, media_root):
    write_media_file("a/b.png", b"\x89PNG fake")
    first = client.get("/media/a/b.png", buffered=True)

    again = client.get(
        "/media/a/b.png", headers={"If-None-Match": first.headers["ETag"]}, buffered=True
    )

    assert (first.status_code, first.data) == (200, b"\x89PNG fake")
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/..%2fsecret.txt",
        "/media/a/../../secret.txt",
        "/media//etc/passwd",
        "/media/%2fetc%2fpasswd",
        "/media/.hidden",
        "/media/a",
        "/media/missing.jpg",
        "/media/a\\..\\..\\secret.txt",
    ],
)
def test_names_leaving_the_media_folder_hidden_files_and_folders_are_404(client, media_root, path):
    write_media_file("a/b.png", b"png")
    (media_root / ".hidden").write_text("dotfile")

    response = client.get(path, follow_redirects=True)  # `//` is first merged by a redirect

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_link_out_of_the_media_folder_is_not_followed(client, media_root):
    (media_root / "escape.txt").symlink_to(media_root.parent / "secret.txt")
    assert client.get("/media/escape.txt").status_code == 404


def test_unsafe_names_are_refused_when_writing(media_root):
    for name in ("../x.jpg", "/etc/x.jpg", "a/.x", ""):
        with pytest.raises(ValueError):
            write_media_file(name, b"x")
    assert not (media_root.parent / "x.jpg").exists()


def test_generated_images_are_valid_jpegs(media_root):
    from utils.template_art import THUMBNAIL_SIZE, template_artwork

    path = write_media_file(
        "t.jpg", template_artwork("Bendición", "Bautizo", "#5B9BD5", "#FFFFFF", THUMBNAIL_SIZE)
    )

    with Image.open(path) as image:
        assert (image.format, image.size) == ("JPEG", THUMBNAIL_SIZE)
