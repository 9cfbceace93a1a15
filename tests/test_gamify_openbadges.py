"""Open Badges 2.0: the hosted Issuer, BadgeClass and Assertion, revocation, and a validator."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from gamify import badges
from gamify.models import Tag
from kudos.extensions import db
from kudos.models import User

CONTEXT = "https://w3id.org/openbadges/v2"
BASE = "http://localhost"


@pytest.fixture(autouse=True)
def community_tags(app):
    with app.app_context():
        db.session.add_all([Tag(name="aws"), Tag(name="iam")])
        db.session.commit()


def give(app, user_id, slug="teacher", source_key="", post_id=None):
    with app.app_context():
        award = badges.award(user_id, slug, source_key, post_id)
        db.session.commit()
        return award.uuid, award.salt


def get_ld(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    return json.loads(response.get_data(as_text=True))


def test_issuer_has_every_required_field(client, app):
    app.config["BADGE_ISSUER_EMAIL"] = "cloud-foundation@example.com"
    issuer = get_ld(client, "/ob/issuer")
    assert issuer == {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": f"{BASE}/ob/issuer",
        "name": "Kudos",
        "url": f"{BASE}/",
        "email": "cloud-foundation@example.com",
        "description": "Badges earned by helping peers in the Kudos community.",
    }


def test_badge_class_has_every_required_field_and_an_image(client):
    badge = get_ld(client, "/ob/badges/nice-answer")
    assert badge["@context"] == CONTEXT
    assert badge["type"] == "BadgeClass"
    assert badge["id"] == f"{BASE}/ob/badges/nice-answer"
    assert badge["name"] == "Nice Answer"
    assert badge["description"]
    assert badge["issuer"] == f"{BASE}/ob/issuer"
    assert badge["criteria"] == {
        "id": f"{BASE}/badges/nice-answer",
        "narrative": "Each answer of yours that reaches a score of 10 or more.",
    }
    assert badge["image"] == f"{BASE}/ob/badges/nice-answer/image"
    image = client.get("/ob/badges/nice-answer/image")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    svg = image.get_data(as_text=True)
    assert svg.startswith("<svg") and "Nice Answer" in svg and ">NA<" in svg


def test_assertion_has_every_required_field(client, app, make_user, make_question, make_answer):
    member = make_user(email="ada@example.com")
    question = make_question(author_id=make_user())
    answer = make_answer(question, author_id=member)
    award_uuid, salt = give(app, member, "nice-answer", f"post:{answer}", answer)
    assertion = get_ld(client, f"/ob/assertions/{award_uuid}")
    digest = hashlib.sha256(f"ada@example.com{salt}".encode()).hexdigest()
    assert assertion["@context"] == CONTEXT
    assert assertion["type"] == "Assertion"
    assert assertion["id"] == f"{BASE}/ob/assertions/{award_uuid}"
    assert assertion["recipient"] == {
        "type": "email",
        "hashed": True,
        "salt": salt,
        "identity": f"sha256${digest}",
    }
    assert assertion["badge"] == f"{BASE}/ob/badges/nice-answer"
    assert assertion["verification"] == {"type": "hosted"}
    issued = datetime.fromisoformat(assertion["issuedOn"].replace("Z", "+00:00"))
    assert issued.utcoffset().total_seconds() == 0
    assert assertion["evidence"]["id"] == f"{BASE}/questions/{question}#post-{answer}"
    assert "ada@example.com" not in json.dumps(assertion)
    assert client.get(f"/ob/assertions/{award_uuid}").headers["Access-Control-Allow-Origin"] == "*"


def test_each_award_has_its_own_salt(app, make_user):
    member = make_user()
    first = give(app, member, "teacher")
    second = give(app, member, "supporter")
    assert first[1] != second[1] and first[0] != second[0]


def test_tag_award_says_which_tag(client, app, make_user):
    award_uuid, _ = give(app, make_user(), "tag-silver", "tag:aws")
    assertion = get_ld(client, f"/ob/assertions/{award_uuid}")
    assert assertion["narrative"] == "Earned as the silver tag badge in aws."
    assert "evidence" not in assertion


def test_assertion_download_is_an_attachment(client, app, make_user):
    award_uuid, _ = give(app, make_user())
    response = client.get(f"/ob/assertions/{award_uuid}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kudos-teacher-{award_uuid}.json"'
    )
    assert json.loads(response.get_data(as_text=True))["id"] == f"{BASE}/ob/assertions/{award_uuid}"


def test_a_revoked_assertion_is_410_gone(client, app, make_user):
    award_uuid, _ = give(app, make_user())
    with app.app_context():
        admin = db.session.get(User, make_user(role="admin"))
        badges.revoke(badges.find_award(award_uuid), admin, "Earned with a sock puppet")
    for path in (f"/ob/assertions/{award_uuid}", f"/ob/assertions/{award_uuid}/download"):
        response = client.get(path)
        assert response.status_code == 410
        assert response.get_json() == {
            "@context": CONTEXT,
            "id": f"{BASE}/ob/assertions/{award_uuid}",
            "revoked": True,
            "revocationReason": "Earned with a sock puppet",
        }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/ob/assertions/00000000-0000-4000-8000-000000000000", "no badge assertion with this id"),
        ("/ob/assertions/not-a-uuid", "not a badge assertion id"),
        ("/ob/assertions/00000000-0000-4000-8000-00000000000G", "not a badge assertion id"),
        ("/ob/badges/ninja", "no badge called “ninja”"),
        ("/ob/badges/ninja/image", "no badge called “ninja”"),
    ],
)
def test_unknown_or_malformed_ids_are_404_json(client, path, message):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "Not found" and message in body["message"]


# ---------------------------------------------------------------------------------------------
# The reference validator, in a virtualenv of its own (its pins clash with ours)

OB_VENV = Path(
    os.environ.get("KUDOS_OPENBADGES_VENV") or Path(tempfile.gettempdir()) / "kudos-openbadges-venv"
)
# openbadges 1.1.2 pins pycryptodome==3.6.6 (which does not build on this Python),
# python-jose==3.0.1 and pytz==2017.2; pip will not override a pin, so the package is
# installed without its dependencies and these are installed with the three relaxed.
OB_PACKAGE = "openbadges==1.1.2"
OB_DEPENDENCIES = (
    "aniso8601>=1.2.0",
    "Click==6.7",
    "future==0.16.0",
    "jsonschema==2.6.0",
    "language-tags==0.4.3",
    "openbadges-bakery>=1.1.0",
    "pycryptodome>=3.20",
    "pydux==0.2.2",
    "PyLD==0.7.1",
    "python-jose>=3.3",
    "python-mimeparse==1.6.0",
    "pytz>=2023.3",
    "requests>=2.13",
    "requests-cache==0.4.13",
    "rfc3986==0.4.1",
    "validators==0.11.2",
)
OB_STAMP = " ".join((OB_PACKAGE, *OB_DEPENDENCIES))

# Runs inside the validator's virtualenv: serves the JSON-LD context the package ships (there
# is no internet), lets requests reach this machine only, and prints the validator's report.
VALIDATOR = r"""
import json
import sys
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)

SHIPPED = {OPENBADGES_CONTEXT_V2_URI: OPENBADGES_CONTEXT_V2_DICT}
real_send = HTTPAdapter.send


def send(self, request, **kwargs):
    shipped = SHIPPED.get(request.url.rstrip("/"))
    if shipped is not None:
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(shipped).encode()
        response.headers["Content-Type"] = "application/ld+json"
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response
    if urlsplit(request.url).hostname not in ("127.0.0.1", "localhost"):
        raise requests.ConnectionError("offline: " + request.url)
    return real_send(self, request, **kwargs)


HTTPAdapter.send = send

import openbadges  # noqa: E402

profile = {"email": sys.argv[2]} if len(sys.argv) > 2 else None
result = openbadges.verify(sys.argv[1], profile, use_cache=False, cache_backend=None)
print(json.dumps({"report": result["report"], "graph": result["graph"]}))
"""


def _unavailable(reason: str):
    if os.environ.get("KUDOS_REQUIRE_OPENBADGES") == "1":
        pytest.fail(f"KUDOS_REQUIRE_OPENBADGES=1 but {reason}")
    pytest.skip(reason)


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(command[:4])} ... failed: {' / '.join(tail)}")


@pytest.fixture(scope="session")
def validator_python() -> str:
    """Build (once, cached in OB_VENV) the virtualenv of the openbadges validator."""
    python = OB_VENV / "bin" / "python"
    stamp = OB_VENV / "kudos-stamp"
    OB_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{OB_VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if stamp.exists() and stamp.read_text() == OB_STAMP and python.exists():
            return str(python)
        shutil.rmtree(OB_VENV, ignore_errors=True)
        try:
            _run(sys.executable, "-m", "venv", str(OB_VENV))
            pip = (str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
            _run(*pip, "--no-deps", OB_PACKAGE)
            _run(*pip, *OB_DEPENDENCIES)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
            shutil.rmtree(OB_VENV, ignore_errors=True)
            _unavailable(f"the Open Badges validator could not be installed (no network?): {error}")
        stamp.write_text(OB_STAMP)
    return str(python)


@pytest.fixture
def live_app(app):
    """Serve the test app on a free loopback port, as a backpack would reach it."""
    app.config["BADGE_ISSUER_EMAIL"] = "badges@example.com"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kudos-ob", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def validate(python: str, script: Path, url: str, email: str | None = None) -> dict:
    command = [python, "-W", "ignore", str(script), url, *([email] if email else [])]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_openbadges_validator_accepts_a_hosted_assertion(
    validator_python, live_app, app, tmp_path, make_user, make_question, make_answer
):
    member = make_user(email="grace@example.com")
    answer = make_answer(make_question(author_id=make_user()), author_id=member)
    award_uuid, _ = give(app, member, "nice-answer", f"post:{answer}", answer)
    script = tmp_path / "validate.py"
    script.write_text(VALIDATOR)
    url = f"{live_app}/ob/assertions/{award_uuid}"

    result = validate(validator_python, script, url, "grace@example.com")
    report = result["report"]
    assert report["valid"] is True, json.dumps(report["messages"], indent=2)
    assert report["errorCount"] == 0, report["messages"]
    assert report["recipientProfile"] == {"email": "grace@example.com"}
    types = {node.get("type") for node in result["graph"]}
    assert {"Assertion", "BadgeClass", "Issuer"} <= types

    with app.app_context():
        admin = db.session.get(User, make_user(role="admin"))
        award = badges.find_award(award_uuid)
        badges.revoke(award, admin, "Given by mistake")
        assert db.session.scalar(select(User.email).where(User.id == member))
    revoked = validate(validator_python, script, url)["report"]
    assert revoked["valid"] is False
