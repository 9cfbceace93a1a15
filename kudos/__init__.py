"""Kudos: a self-hosted community, feedback and satisfaction hub."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Build a configured Kudos app; touches no database and no network."""
    from kudos import cli, config, errors, markdown, navigation, security, visits
    from kudos.database import resource_dir
    from kudos.extensions import csrf, db, login_manager, migrate

    app = Flask(
        __name__,
        instance_path=os.environ.get("KUDOS_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=resource_dir("templates"),
        static_folder=resource_dir("static"),
    )
    config.load(app, test_config)
    # The SQLite file and the generated secret key live here (as in the Flask tutorial).
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=resource_dir("migrations"))
    csrf.init_app(app)
    security.init_app(app, login_manager)
    errors.init_app(app)
    navigation.init_app(app)
    markdown.init_app(app)
    visits.init_app(app)

    from kudos import views

    app.register_blueprint(views.main)
    app.register_blueprint(views.auth)
    app.register_blueprint(views.users)
    app.register_blueprint(views.admin)
    cli.init_app(app)

    # Feature packages are imported here only, so that kudos itself depends on none.
    import gamify.badge_views
    import gamify.badges
    import gamify.cli
    import gamify.demo  # registers its demo step
    import gamify.views

    app.register_blueprint(gamify.views.bp)
    app.register_blueprint(gamify.badge_views.bp)
    app.cli.add_command(gamify.cli.points_group)
    app.cli.add_command(gamify.badge_views.badges_group)
    visits.visit_recorded.connect(gamify.badges.on_visit_recorded)

    # After gamify: feedback plugs its badges into gamify's and its demo step follows the Q&A.
    import feedback.badges
    import feedback.demo  # registers its demo step
    import feedback.views

    app.register_blueprint(feedback.views.bp)

    # Announcements: the model (for the metadata and Alembic), the pages with their home-page
    # feed, and the demo step, which runs after the Q&A one (registration order is run order).
    import feedback.announcement_demo
    import feedback.announcement_views
    import feedback.announcements

    app.register_blueprint(feedback.announcement_views.bp)

    # Surveys and the follow-up queue of low scores (which support ratings also feed): the
    # models, the pages with the home-page list of open surveys, and the demo waves.
    import feedback.followup_views
    import feedback.followups
    import feedback.survey_demo
    import feedback.survey_views
    import feedback.surveys

    app.register_blueprint(feedback.survey_views.bp)
    app.register_blueprint(feedback.followup_views.bp)

    # Support requests: the models, the pages and JSON, the autoclose job and the demo year.
    import feedback.support_cli
    import feedback.support_demo
    import feedback.support_models
    import feedback.support_views

    app.register_blueprint(feedback.support_views.bp)
    app.cli.add_command(feedback.support_cli.support_group)

    # The backfill of sentiment scores for text saved before they were stored.
    import feedback.sentiment_cli

    app.cli.add_command(feedback.sentiment_cli.sentiment_group)

    # Importers join the core's `kudos import` group.
    import feedback.historic
    import gamify.import_cli
    from kudos.imports import import_group

    import_group.add_command(feedback.historic.import_feedback_command)
    import_group.add_command(gamify.import_cli.stackexchange_command)
    app.cli.add_command(import_group)

    # Analytics reads every feature's tables; nothing imports it but this factory.
    import analytics.views

    app.register_blueprint(analytics.views.bp)

    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )
    return app
