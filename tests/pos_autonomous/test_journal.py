"""The till's technical events journal: the clock watch sees the wall clock jump against the
monotonic clock; events go up in order from the last one acknowledged."""
from addons.pos_autonomous.till import journal
from tests.pos_autonomous.up_helpers import local_till


class Clocks:
    def __init__(self):
        self.wall, self.monotonic = 1_000_000.0, 50.0

    def tick(self, seconds, wall_jump=0.0):
        self.wall += seconds + wall_jump
        self.monotonic += seconds


def test_the_clock_watch_sees_a_jump_either_way_and_ignores_drift():
    clocks = Clocks()
    watch = journal.ClockWatch(lambda: clocks.wall, lambda: clocks.monotonic)
    assert watch.check() is None  # the first look only remembers
    clocks.tick(30, wall_jump=5)  # a few seconds of drift or NTP slew
    assert watch.check() is None
    clocks.tick(30, wall_jump=3600)
    assert watch.check() == "the till's clock went forward by 3600 s between two passes"
    clocks.tick(30, wall_jump=-600)
    assert watch.check() == "the till's clock went back by 600 s between two passes"


def test_events_go_up_in_order_after_the_last_acknowledged(central, tmp_path):
    till = local_till(central, tmp_path)
    with till.engine.begin() as connection:
        first = journal.record(connection, journal.SYNC, "pushed 3 entries")
        journal.record(connection, journal.CLOCK_CHANGE, "the clock went back by 600 s")
        journal.record(connection, journal.FULL_RELOAD, "x" * 5000)
    with till.engine.connect() as connection:
        events = journal.events_after(connection, first, 10)
        assert [e["kind"] for e in events] == ["clock_change", "full_reload"]
        assert len(events[1]["message"]) == journal.MAX_MESSAGE
        assert events[0]["at"].endswith("+00:00")
        assert journal.count_after(connection, 0) == 3
    till.engine.dispose()
