"""What the pager macro (templates/macros/pagination.html) reads of a page of results."""

from __future__ import annotations


class Paged:
    """has_prev, has_next, prev_num and next_num from a page's `page` and `pages`.

    Flask-SQLAlchemy's pagination has the same attributes; the pages of results that are not
    one query's rows (ranked suggestions, search hits, a user's ledger) mix this in.
    """

    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
