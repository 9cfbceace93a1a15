"""`kudos import ...`: the group that features add their importers to.

The core owns the group so that `kudos import --help` lists every importer while the core
imports no feature: create_app adds each feature's command to it.
"""

from __future__ import annotations

import click


@click.group("import")
def import_group() -> None:
    """Bring existing data into Kudos (a Stack Exchange dump, historic feedback...)."""
