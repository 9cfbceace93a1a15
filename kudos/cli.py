"""The kudos command: serve, demo data and accounts, plus Flask's and Flask-Migrate's."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from kudos import demo, services
from kudos.database import migration_state
from kudos.extensions import db
from kudos.models import Role


def init_app(app: Flask) -> None:
    """Attach the core commands to the app's CLI."""
    app.cli.add_command(serve_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(users_group)


def _create_app():
    from kudos import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Kudos: community, feedback and satisfaction hub."""


def load_demo(scale: str, seed: int) -> None:
    """Load the demo community with a progress bar."""
    state = migration_state()
    if not state["reachable"]:
        raise services.AccountError("The database cannot be reached; check DATABASE_URL.")
    if not state["at_head"]:
        raise services.AccountError("The database is not up to date: run `kudos db upgrade`.")
    if services.count_users():
        raise services.AccountError("The database already has accounts; demo data needs it empty.")
    with click.progressbar(length=demo.total_units(scale), label="Loading demo data") as bar:
        demo.load(scale, seed, advance=bar.update)


def print_demo_logins() -> None:
    click.echo(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
    for email, _, role in demo.DEMO_LOGINS:
        click.echo(f"  {role.value:<7} {email}")


@click.command("serve")
@click.option("--demo", "with_demo", is_flag=True, help="Load demo data into an empty database.")
@click.option("--scale", type=click.Choice(sorted(demo.SCALES)), default="small", hidden=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve_command(with_demo: bool, scale: str, host: str, port: int, workers: int) -> None:
    """Upgrade the database, optionally load demo data, and serve with gunicorn."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    if with_demo:
        if services.count_users():
            click.echo("The database already has accounts; demo data not loaded.")
        else:
            load_demo(scale, seed=1)
        if services.email_taken(demo.DEMO_LOGINS[0][0]):
            print_demo_logins()
    app = current_app._get_current_object()
    # Workers fork from this process: they must not share its database connections.
    db.session.remove()
    db.engine.dispose()
    click.echo(f"Kudos is running at http://{host}:{port}  (Ctrl+C to stop)")
    run_gunicorn(app, host, port, workers)


def run_gunicorn(app: Flask, host: str, port: int, workers: int) -> None:
    """Serve app with gunicorn's threaded workers (never Flask's development server)."""
    from gunicorn.app.base import BaseApplication

    class KudosServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            self.cfg.set("forwarded_allow_ips", "127.0.0.1")
            # gunicorn 27 opens a control socket at one fixed path per home folder; two
            # servers on a host would fight over it, and Kudos does not use it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return app

    KudosServer().run()


@click.command("demo")
@click.option(
    "--scale", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True
)
@click.option("--seed", default=1, show_default=True, type=int)
@with_appcontext
def demo_command(scale: str, seed: int) -> None:
    """Load a deterministic demo community into an empty, upgraded database."""
    try:
        load_demo(scale, seed)
    except services.AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Loaded the {scale} demo community (seed {seed}).")
    print_demo_logins()


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="member", show_default=True
)
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, role: str, name: str | None, password_stdin: bool) -> None:
    """Create an account from the shell."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, name or email.split("@")[0], password, role)
    except services.AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")
