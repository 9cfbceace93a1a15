"""Sections that feature packages add to the profile page, without the core importing them.

A feature registers a section when its views are imported (create_app does that); the profile
view asks for the sections of the user it shows and includes each template, which receives its
context as `section` beside the page's own `user`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kudos.models import User

SectionContext = Callable[[User], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    context: SectionContext


_sections: dict[str, Section] = {}


def register_section(name: str, template: str, context: SectionContext) -> None:
    """Add a section to every profile page; registering a name again replaces it."""
    _sections[name] = Section(name, template, context)


def sections(user: User) -> list[tuple[str, dict[str, Any]]]:
    """Return (template, context) for each registered section, in registration order."""
    return [(section.template, section.context(user)) for section in _sections.values()]
