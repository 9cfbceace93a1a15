"""Browser smoke test: sign up, log out and log back in through Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import flask_migrate
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from kudos import create_app

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


def require_chromium() -> None:
    """Skip without Debian's Chromium, or fail when the run demands browser tests."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
    if os.environ.get("KUDOS_REQUIRE_E2E") == "1":
        pytest.fail(f"KUDOS_REQUIRE_E2E=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """Build and migrate the Kudos app (CSRF on) that live_server serves."""
    require_chromium()
    tmp = tmp_path_factory.mktemp("e2e")
    with pytest.MonkeyPatch.context() as mp:
        # Only the mapping below configures this app, whatever the calling shell exported.
        for name in list(os.environ):
            if name.startswith("KUDOS_") or name == "DATABASE_URL":
                mp.delenv(name)
        mp.setenv("KUDOS_INSTANCE_PATH", str(tmp / "instance"))
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'e2e.db'}",
                "SECRET_KEY": "e2e",
            }
        )
    with app.app_context():
        flask_migrate.upgrade(directory=app.extensions["migrate"].directory)
    yield app
    with app.app_context():
        from kudos.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    """Serve live_app on a free loopback port; yield its base URL."""
    app = live_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kudos-e2e", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Launch Debian's Chromium headless (never a Playwright-downloaded build)."""
    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserLog:
    """What went wrong in the browser while a test drove it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        # Chromium logs a Content-Security-Policy violation (an inline script or style, another
        # origin) as a console error, as it does any other resource that fails to load.
        assert self.console_errors == [], "console errors:\n" + "\n".join(self.console_errors)
        assert self.page_errors == [], "uncaught page errors:\n" + "\n".join(self.page_errors)
        assert self.bad_responses == [], "failed responses:\n" + "\n".join(self.bad_responses)


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def page(browser, browser_log):
    """Open a fresh browser context whose console errors and failed responses are logged."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    def on_console(msg):
        if msg.type == "error":
            browser_log.console_errors.append(f"{page.url}: {msg.text}")

    def on_response(response):
        if response.status >= 400:
            browser_log.bad_responses.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: browser_log.page_errors.append(f"{page.url}: {exc}"))
    page.on("response", on_response)
    try:
        yield page
    finally:
        with contextlib.suppress(PlaywrightError):
            context.close()


def test_sign_up_log_out_and_log_back_in(live_server, page, browser_log):
    email = "ada@example.com"
    name = "Ada Lovelace"
    password = "analytical-engine-1843"

    page.goto(f"{live_server}/register")
    expect(page).to_have_title("Sign up · Kudos")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Sign up").click()

    flashes = page.locator(".flashes")
    expect(flashes).to_contain_text(f"Welcome to Kudos, {name}")
    user_menu = page.locator("header details.user-menu")
    expect(user_menu.locator("summary")).to_have_text(name)

    user_menu.locator("summary").click()
    logout = user_menu.get_by_role("button", name="Log out")
    expect(logout).to_be_visible()
    logout.click()
    expect(flashes).to_contain_text("You have been logged out.")
    expect(page.locator("header details.user-menu")).to_have_count(0)
    expect(page.locator("header").get_by_role("link", name="Log in")).to_be_visible()

    page.goto(f"{live_server}/login")
    expect(page).to_have_title("Log in · Kudos")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()

    expect(flashes).to_contain_text(f"Welcome back, {name}")
    expect(user_menu.locator("summary")).to_have_text(name)
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "remember_token" in cookies, cookies

    browser_log.assert_clean()


def sign_up(page, base: str, email: str, name: str, password: str) -> None:
    page.goto(f"{base}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".flashes")).to_contain_text(f"Welcome to Kudos, {name}")


def earlier_points(app, email: str, points: int) -> None:
    """Give a member points earned a month ago (so none of them count this week)."""
    from gamify import engine
    from kudos.extensions import db
    from kudos.models import User, utcnow

    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.email == email))
        at = utcnow() - timedelta(days=30)
        engine.record(
            "answer_accepted",
            user_id,
            key=f"e2e-seed:{email}",
            source_type="test",
            points=points,
            at=at,
        )
        db.session.commit()


def community_tags(app, names: str) -> None:
    from gamify.models import Tag
    from kudos.extensions import db

    with app.app_context():
        db.session.add_all([Tag(name=name) for name in names.split()])
        db.session.commit()


def test_ask_answer_upvote_accept_and_see_the_points(
    live_app, live_server, page, browser, browser_log
):
    title = "How do we reach the shared ingress from a new VPC?"
    sign_up(page, live_server, "asker@example.com", "Asha Asker", "asker-password-1")
    # Upvoting takes 15 points under the default preset, and only existing tags come free.
    earlier_points(live_app, "asker@example.com", 14)
    community_tags(live_app, "networking kubernetes")
    page.goto(f"{live_server}/questions/ask")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body").fill("Our new VPC cannot resolve the **ingress** host name.")
    page.get_by_label("Tags").fill("networking kubernetes")
    page.get_by_role("button", name="Post your question").click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".prose strong")).to_have_text("ingress")
    question_url = page.url

    other = browser.new_context()
    other.set_default_timeout(TIMEOUT_MS)
    helper = other.new_page()
    helper.on(
        "console",
        lambda msg: msg.type == "error" and browser_log.console_errors.append(msg.text),
    )
    try:
        sign_up(helper, live_server, "helper@example.com", "Hugo Helper", "helper-password-1")
        helper.goto(question_url)
        helper.get_by_label("Your answer").fill("Attach the VPC to the transit gateway first.")
        helper.get_by_role("button", name="Post your answer").click()
        expect(helper.locator(".flashes")).to_contain_text("Your answer is posted.")
        helper.goto(f"{live_server}/")
        helper.locator("header details.user-menu summary").click()
        helper.get_by_role("link", name="Profile").click()
        helper_profile = helper.url
    finally:
        other.close()

    page.goto(question_url)
    answer = page.locator("article.post").nth(1)
    answer.get_by_role("button", name="upvote").click()
    expect(page.locator("article.post").nth(1).locator(".score")).to_have_text("1")
    page.locator("article.post").nth(1).get_by_role("button", name="Accept this answer").click()
    expect(page.locator(".flashes")).to_contain_text("Answer accepted.")
    expect(page.locator("article.post.accepted")).to_have_count(1)

    page.goto(helper_profile)
    expect(page.locator(".points-total")).to_have_text("26")
    expect(page.locator(".points-section")).to_contain_text("answer accepted")
    page.locator("header details.user-menu summary").click()
    page.get_by_role("link", name="Profile").click()
    expect(page.locator(".points-total")).to_have_text("17")  # 15 before, 2 for accepting

    page.goto(f"{live_server}/leaderboards?period=week")
    rows = page.locator("table.lb-table tbody tr")
    expect(rows.nth(0)).to_contain_text("Hugo Helper")
    expect(rows.nth(0)).to_contain_text("25")
    expect(rows.nth(1)).to_contain_text("Asha Asker")
    expect(rows.nth(1)).to_contain_text("2")

    browser_log.assert_clean()


def test_a_member_earns_teacher_and_sees_the_notification(
    live_app, live_server, page, browser, browser_log
):
    sign_up(page, live_server, "student@example.com", "Stu Dent", "student-password-1")
    earlier_points(live_app, "student@example.com", 14)  # upvoting needs 15 points
    community_tags(live_app, "iam")
    page.goto(f"{live_server}/questions/ask")
    page.get_by_label("Title").fill("Which IAM role do pipelines assume in prod?")
    page.get_by_label("Body").fill("Our deploy job gets AccessDenied in the prod account.")
    page.get_by_label("Tags").fill("iam")
    page.get_by_role("button", name="Post your question").click()
    question_url = page.url

    other = browser.new_context()
    other.set_default_timeout(TIMEOUT_MS)
    teacher = other.new_page()
    teacher.on(
        "console",
        lambda msg: msg.type == "error" and browser_log.console_errors.append(msg.text),
    )
    try:
        sign_up(teacher, live_server, "teacher@example.com", "Tea Cher", "teacher-password-1")
        teacher.goto(question_url)
        teacher.get_by_label("Your answer").fill("Pipelines assume the deploy role of the account.")
        teacher.get_by_role("button", name="Post your answer").click()
        expect(teacher.locator(".flashes")).to_contain_text("Your answer is posted.")

        page.goto(question_url)
        page.locator("article.post").nth(1).get_by_role("button", name="upvote").click()
        expect(page.locator("article.post").nth(1).locator(".score")).to_have_text("1")

        teacher.goto(f"{live_server}/")
        bell = teacher.locator("header a[href='/notifications']")
        expect(bell).to_have_attribute("aria-label", "1 unread notification")
        bell.click()
        expect(teacher.locator("main")).to_contain_text("Teacher")
        teacher.goto(f"{live_server}/badges/teacher")
        expect(teacher.locator("main")).to_contain_text("Tea Cher")
    finally:
        other.close()

    browser_log.assert_clean()


def make_lead(app, email: str, name: str, password: str) -> None:
    from kudos import services

    with app.app_context():
        services.create_user(email, name, password, "lead")


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flashes")).to_contain_text("Welcome back")


def test_a_suggestion_is_voted_planned_and_its_author_hears_back(
    live_app, live_server, page, browser, browser_log
):
    title = "Self-service DNS zones for every team"
    note = "Planned for next quarter, together with the new hub network."
    sign_up(page, live_server, "idea@example.com", "Ida Idea", "idea-password-1")
    page.goto(f"{live_server}/suggestions/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Today every zone is a **ticket** and a week of waiting.")
    page.get_by_role("button", name="Post your suggestion").click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".prose strong")).to_have_text("ticket")
    suggestion_url = page.url

    make_lead(live_app, "triage@example.com", "Tri Age", "triage-password-1")
    others = []
    try:
        for email, name, password, lead in (
            ("fan@example.com", "Fay Fan", "fan-password-1", False),
            ("triage@example.com", "Tri Age", "triage-password-1", True),
        ):
            context = browser.new_context()
            context.set_default_timeout(TIMEOUT_MS)
            others.append(context)
            other = context.new_page()
            other.on(
                "console",
                lambda msg: msg.type == "error" and browser_log.console_errors.append(msg.text),
            )
            if lead:
                log_in(other, live_server, email, password)
                other.goto(suggestion_url)
                status_form = other.locator("form[action$='/status']")
                status_form.get_by_label("New status").select_option("planned")
                status_form.get_by_label("Note to followers").fill(note)
                status_form.get_by_role("button", name="Change status").click()
                expect(other.locator(".flashes")).to_contain_text("The suggestion is now planned")
                expect(other.locator("#history")).to_contain_text(note)
            else:
                sign_up(other, live_server, email, name, password)
                other.goto(suggestion_url)
                other.get_by_role("button", name="Vote for this").click()
                expect(other.locator(".vote-count")).to_have_text("1")
                expect(other.get_by_role("button", name="Undo my vote")).to_be_visible()
    finally:
        for context in others:
            context.close()

    page.goto(f"{live_server}/")
    bell = page.locator("header a[href='/notifications']")
    expect(bell).to_have_attribute("aria-label", "2 unread notifications")  # and Idea Starter
    bell.click()
    expect(page.locator("main")).to_contain_text(f"“{title}” is now planned: {note}")
    page.locator("header details.user-menu summary").click()
    page.get_by_role("link", name="Profile").click()
    expect(page.locator(".points-total")).to_have_text("13")  # 1 + 2 submitted + 10 planned
    expect(page.locator(".points-section")).to_contain_text("+10, suggestion planned")

    browser_log.assert_clean()


def answered_question(app, title: str) -> None:
    """Put an answered question in the community, as an established member would."""
    from gamify import services
    from gamify.models import Tag
    from kudos import services as accounts
    from kudos.extensions import db

    with app.app_context():
        if db.session.scalar(db.select(Tag.id).where(Tag.name == "kubernetes")) is None:
            db.session.add(Tag(name="kubernetes"))  # an earlier journey may have made it
            db.session.commit()
        asker = accounts.create_user("kube-asker@example.com", "Kai Asker", None, "member")
        helper = accounts.create_user("kube-helper@example.com", "Hal Helper", None, "member")
        question = services.ask(asker, title, "Our pods stay pending after a deploy.", "kubernetes")
        services.answer(helper, question.id, "Check the namespace quota: it is usually full.")


def test_a_member_files_anyway_a_lead_solves_and_a_low_rating_is_followed_up(
    live_app, live_server, page, browser, browser_log
):
    answer_title = "Why are pods stuck pending in the shared cluster?"
    subject = "Pods stuck pending since this morning"
    secret = "The quota was lowered by the cost job; do not promise a refund."
    reply = "We raised your namespace quota; the pods are scheduled again."
    reason = "It took most of the day to get an answer."
    answered_question(live_app, answer_title)
    make_lead(live_app, "desk@example.com", "Desk Lead", "desk-password-1")

    sign_up(page, live_server, "pat@example.com", "Pat Pending", "pending-password-1")
    page.goto(f"{live_server}/support/new")
    solved = page.get_by_role("button", name="An answer above solved it")
    expect(solved).to_be_hidden()  # nothing shown yet, so nothing can have solved it
    page.get_by_label("Subject").press_sequentially(subject, delay=10)
    expect(solved).to_be_visible()
    matches = page.locator("#support-matches")
    expect(matches).to_contain_text("These may already answer it")
    expect(matches.get_by_role("link", name=answer_title)).to_be_visible()
    page.get_by_label("Description").fill("Deploys to namespace payments hang with pods pending.")
    page.get_by_label("Category").select_option("kubernetes")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="File the request").click()
    expect(page.locator(".flashes")).to_contain_text("Your request is filed")
    expect(page.locator("h1")).to_have_text(subject)
    request_url = page.url

    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    lead = context.new_page()
    lead.on(
        "console", lambda msg: msg.type == "error" and browser_log.console_errors.append(msg.text)
    )
    try:
        log_in(lead, live_server, "desk@example.com", "desk-password-1")
        lead.goto(f"{live_server}/support")
        lead.get_by_role("link", name=subject).click()
        conversation = lead.locator("#conversation")
        conversation.get_by_label("Reply").fill(secret)
        conversation.get_by_label("Internal note (only leads see it)").check()
        conversation.get_by_role("button", name="Send").click()
        expect(lead.locator(".flashes")).to_contain_text("Internal note added.")
        conversation.get_by_label("Reply").fill(reply)
        conversation.get_by_label("Then set the status to").select_option("solved")
        conversation.get_by_role("button", name="Send").click()
        expect(lead.locator(".flashes")).to_contain_text("Reply sent.")
        expect(lead.locator(".internal-note")).to_contain_text(secret)

        page.goto(request_url)
        expect(page.locator("#conversation")).to_contain_text(reply)
        expect(page.locator("main")).not_to_contain_text(secret)
        rating = page.locator("#rating")
        rating.get_by_label("2", exact=True).check()
        rating.get_by_role("button", name="Send rating").click()
        expect(page.locator("#rating")).to_contain_text("a rating of 2 needs a reason")
        # The refused rating re-renders its form with 400, which Chromium logs: expected here.
        expected = [f"400 {request_url}/rating"]
        assert browser_log.bad_responses == expected, browser_log.bad_responses
        assert [e for e in browser_log.console_errors if "400" in e] == browser_log.console_errors
        browser_log.bad_responses.clear()
        browser_log.console_errors.clear()
        page.locator("#rating").get_by_label("2", exact=True).check()
        page.locator("#rating").get_by_label("What went wrong?").fill(reason)
        page.locator("#rating").get_by_role("button", name="Send rating").click()
        expect(page.locator(".flashes")).to_contain_text("Thank you for rating")
        expect(page.locator("#rating .rating-score")).to_have_text("2")

        lead.goto(f"{live_server}/follow-ups")
        row = lead.locator("table.followup-table tbody tr").filter(has_text=reason)
        expect(row).to_contain_text("Pat Pending")
        expect(row.locator("td").first).to_contain_text("2")
        expect(row.get_by_role("link", name="Support rating")).to_have_attribute(
            "href", request_url.removeprefix(live_server)
        )
    finally:
        context.close()

    browser_log.assert_clean()


def test_a_lead_opens_every_dashboard_and_sees_charts_drawn_offline(
    live_app, live_server, page, browser_log
):
    from analytics.dashboards import DASHBOARDS

    make_lead(live_app, "charts@example.com", "Chad Charts", "charts-password-1")
    with live_app.app_context():
        from feedback import support
        from kudos import services

        member = services.create_user("charted@example.com", "Cha Rted", None, "member")
        support.file_request(member, "Cost report looks wrong", "The totals do not add up.",
                             "billing", "low")  # fmt: skip
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    log_in(page, live_server, "charts@example.com", "charts-password-1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    for name, board in DASHBOARDS.items():
        page.goto(f"{live_server}/analytics/{name}")
        expect(page.locator("h1")).to_have_text(board.title)
        charts = page.locator(".chart")
        for index in range(charts.count()):
            expect(charts.nth(index).locator("svg.main-svg").first).to_be_attached()
        expect(page.locator(".chart svg.main-svg").first).to_be_visible()
    # The request filed above is drawn as a bar.
    page.goto(f"{live_server}/analytics/support")
    expect(page.locator("#panel-volume .chart .barlayer .point").first).to_be_attached()
    assert hosts == {live_server.removeprefix("http://")}, hosts
    browser_log.assert_clean()
