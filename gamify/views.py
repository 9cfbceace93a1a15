"""Pages of the community Q&A and the leaderboards."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("gamify", __name__)
