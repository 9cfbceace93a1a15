"""Sections that feature packages add to the home page, without the core importing them.

A feature registers a section when its views are imported (create_app does that); the home
view asks for the sections for the current visitor and includes each template, which receives
its context as `section`. The visitor may be signed out (Flask-Login's anonymous user).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SectionContext = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    context: SectionContext


_sections: dict[str, Section] = {}


def register_section(name: str, template: str, context: SectionContext) -> None:
    """Add a section to the home page; registering a name again replaces it."""
    _sections[name] = Section(name, template, context)


def sections(viewer: Any) -> list[tuple[str, dict[str, Any]]]:
    """Return (template, context) for each registered section, in registration order."""
    return [(section.template, section.context(viewer)) for section in _sections.values()]
