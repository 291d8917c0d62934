"""The 24-hour rule (as Odoo's l10n_fr_pos_cert): a session takes no sale more than 24 hours
after it opened; it must be closed (its closing made) and a new one opened."""
from datetime import timedelta, timezone

MAX_SESSION_AGE = timedelta(hours=24)


def too_old(opened_at, sold_at):
    """Whether a sale at `sold_at` comes more than 24 h after its session opened."""
    if opened_at is None or sold_at is None:
        return False
    if opened_at.tzinfo is None:
        opened_at = opened_at.replace(tzinfo=timezone.utc)
    if sold_at.tzinfo is None:
        sold_at = sold_at.replace(tzinfo=timezone.utc)
    return sold_at - opened_at > MAX_SESSION_AGE
