"""The site navigation, showing each section once its feature is installed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: tuple[str, ...] = ()
    in_menu: bool = False  # in the signed-in user's menu rather than the header bar


NAV_ITEMS = (
    NavItem("Questions", "/questions"),
    NavItem("Suggestions", "/suggestions"),
    NavItem("Roadmap", "/roadmap"),
    NavItem("Support", "/support"),
    NavItem("Leaderboards", "/leaderboards"),
    NavItem("Badges", "/badges"),
    NavItem("Analytics", "/analytics", ("lead", "admin")),
    NavItem("Follow-ups", "/follow-ups", ("lead", "admin"), in_menu=True),
    NavItem("Surveys", "/surveys/manage", ("lead", "admin"), in_menu=True),
    NavItem("Admin", "/admin/", ("admin",)),
)


def visible_items() -> list[NavItem]:
    """Return the sections this user may open that the running app actually serves."""
    served = {rule.rule for rule in current_app.url_map.iter_rules()}
    return [
        item
        for item in NAV_ITEMS
        if item.path in served and (not item.roles or current_user.role in item.roles)
    ]


def init_app(app: Flask) -> None:
    @app.context_processor
    def navigation():
        items = visible_items()
        return {
            "nav_items": [item for item in items if not item.in_menu],
            "menu_items": [item for item in items if item.in_menu],
        }
