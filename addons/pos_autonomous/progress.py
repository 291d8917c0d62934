"""A long copy's progress in numbers and words (rows, rate, time left): a till's full import
(till/status.py) and a package being made (central/builds.py)."""
from core.models import utc_now
from core.times import as_utc


def rate_and_time_left(done, total, started_at, now=None):
    """(rows/s, seconds left or None) of a copy of `total` rows started at `started_at`."""
    elapsed = max(((now or utc_now()) - as_utc(started_at)).total_seconds(), 1e-3)
    rate = done / elapsed
    left = max(total - done, 0)
    return round(rate, 1), (round(left / rate, 1) if rate else None)


def progress_words(done, total, started_at, now=None):
    """`1200/3000 rows, 500 rows/s, 4 s left`: a full import's or a package's progress."""
    rate, left = rate_and_time_left(done, total, started_at, now)
    return (f"{done}/{total} rows, {round(rate)} rows/s"
            + (f", {round(left)} s left" if left is not None else ""))
