"""The in-memory tail of the bus: one read per wake-up for every poller of a process, never a
message skipped or repeated, pollers behind it sent to the database."""
import random
import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from addons.pos_longpolling import bus, wakeup
from addons.pos_longpolling.tail import MessageTail


class Bus:
    """A list of (id, channel, message) standing for the table, counting reads."""

    def __init__(self):
        self.rows, self.reads = [], 0

    def add(self, channel, message):
        self.rows.append((len(self.rows) + 1, channel, message))

    def read_after(self, after, limit):
        self.reads += 1
        return [row for row in self.rows if row[0] > after][:limit]

    def read_high(self):
        return len(self.rows)

    def catch_up(self, tail):
        tail.catch_up(self.read_after, self.read_high)


def ids(entries):
    return [entry.id for entry in entries]


def test_a_new_tail_covers_what_comes_after_the_bus_as_it_found_it():
    table, tail = Bus(), MessageTail()
    table.add("a", '"old"')
    assert tail.after({"a"}, 0, 10) is None  # nothing read yet
    table.catch_up(tail)
    assert tail.after({"a"}, 0, 10) is None  # before the tail: the database answers
    assert tail.after({"a"}, 1, 10) == []
    table.add("a", '"new"')
    table.add("b", '"other"')
    tail.woken()
    table.catch_up(tail)
    assert [(e.id, e.message) for e in tail.after({"a"}, 1, 10)] == [(2, '"new"')]
    assert ids(tail.after({"a", "b"}, 1, 10)) == [2, 3]
    assert ids(tail.after({"a", "b"}, 1, 1)) == [2]


def test_one_read_per_wake_up_whatever_the_number_of_pollers():
    table, tail = Bus(), MessageTail()
    table.catch_up(tail)
    table.add("a", "1")
    tail.woken()
    reads_before = table.reads
    for _ in range(1000):
        table.catch_up(tail)
        assert ids(tail.after({"a"}, 0, 10)) == [1]
    assert table.reads == reads_before + 1


def test_no_read_without_a_wake_up_unless_the_tail_is_older_than_its_max_age():
    table, tail = Bus(), MessageTail(max_age=0.05)
    table.catch_up(tail)
    table.add("a", "1")  # committed by a process that cannot wake this one
    table.catch_up(tail)
    assert tail.after({"a"}, 0, 10) == []
    time.sleep(0.06)
    table.catch_up(tail)
    assert ids(tail.after({"a"}, 0, 10)) == [1]


def test_the_oldest_messages_go_past_the_limits_and_their_pollers_read_the_database():
    table, tail = Bus(), MessageTail(max_messages=8, max_bytes=1000)
    table.catch_up(tail)
    for n in range(1, 10):
        table.add("a", str(n))
    tail.woken()
    table.catch_up(tail)
    assert tail.low == 3  # 9 > 8: three quarters (6) kept
    assert tail.after({"a"}, 2, 100) is None
    assert ids(tail.after({"a"}, 3, 100)) == [4, 5, 6, 7, 8, 9]
    table.add("a", "x" * 1000)  # alone above the bytes' limit: kept, the older ones go
    tail.woken()
    table.catch_up(tail)
    assert tail.low == 9 and ids(tail.after({"a"}, 9, 100)) == [10]


def test_long_catch_ups_read_page_by_page(monkeypatch):
    monkeypatch.setattr("addons.pos_longpolling.tail.READ_PAGE", 3)
    table, tail = Bus(), MessageTail()
    table.catch_up(tail)
    for n in range(7):
        table.add("a", str(n))
    tail.woken()
    table.catch_up(tail)
    assert ids(tail.after({"a"}, 0, 100)) == list(range(1, 8))


def test_pollers_of_a_process_read_the_bus_once_per_wake_up(addon_instance):
    """Twenty pollers of twenty channels, one message each in one transaction: the tail reads
    the bus once (plus its first read), and every poller gets its own message."""
    engine, channels = addon_instance.engine, [bus.pos_channel("test", "x", n) for n in range(20)]
    bus.poll(engine, channels[:1], 0, timeout=0)  # the tail's first read
    selects = []
    event.listen(engine, "before_cursor_execute",
                 lambda *args: selects.append(args[2]) if args[2].startswith("SELECT") else None)
    last = wakeup.dispatcher_for(engine).tail.high
    answers = {}

    def poller(channel):
        answers[channel] = bus.poll(engine, [channel], last, timeout=10)

    threads = [threading.Thread(target=poller, args=(c,)) for c in channels]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while wakeup.dispatcher_for(engine).waiting_count() < len(channels):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    selects.clear()
    with bus.BusTransaction(engine) as transaction:
        for channel in channels:
            transaction.send(channel, {"to": channel})
    for thread in threads:
        thread.join(15)
    assert {c: [m["message"] for m in answers[c]] for c in channels} == {
        c: [{"to": c}] for c in channels}
    reads = len([s for s in selects if "pos_longpolling_message" in s])
    if engine.dialect.name == "postgresql":
        # The sending process puts its own messages in its tail, unless its listener took
        # the NOTIFY first (threads here, not greenlets): then one read, as on SQLite.
        assert reads <= 1
    else:
        assert reads == 1


def test_a_transactions_own_messages_go_in_when_they_follow_on():
    table, tail = Bus(), MessageTail()
    table.add("a", '"1"')
    table.catch_up(tail)  # the first read: high 1
    assert tail.append_following([(2, "a", '"2"'), (3, "b", '"3"')])
    assert ids(tail.after({"a", "b"}, 1, 10)) == [2, 3] and tail.high == 3
    assert not tail.append_following([(5, "a", '"5"')])  # id 4 may be another's, not read yet
    assert not tail.append_following([(3, "a", '"3"')])  # held already
    assert not tail.append_following([(4, "a", '"4"'), (6, "a", '"6"')])  # not one run of ids
    reads = table.reads
    table.catch_up(tail)  # no wake-up since: nothing to read
    assert tail.high == 3 and table.reads == reads


def test_own_messages_wait_for_a_read_under_way_and_for_a_first_read():
    tail = MessageTail()
    assert not tail.append_following([(1, "a", '"1"')])  # nothing read yet: high unknown
    Bus().catch_up(tail)
    with tail._read_lock:  # a read under way: it, or the NOTIFY's read, brings them
        assert not tail.append_following([(1, "a", '"1"')])
    assert tail.append_following([(1, "a", '"1"')])


def test_racing_senders_and_pollers_get_every_message_once_in_id_order(addon_instance):
    """Four senders in transactions held open a random while, six pollers (two channels each,
    one starting behind the tail): each poller gets exactly its channels' messages, once, in
    id order."""
    engine, senders, per_sender = addon_instance.engine, 4, 30
    channels = [bus.pos_channel("test", "race", n) for n in range(3)]
    start_ids = {}

    def sender(number):
        for n in range(per_sender):
            with bus.BusTransaction(engine) as transaction:
                transaction.send(channels[n % 3], {"sender": number, "n": n})
                if n % 5 == 0:
                    transaction.send(channels[(n + 1) % 3], {"sender": number, "n": -n})
                time.sleep(random.random() * 0.003)

    received = {}

    def poller(index, polled, last):
        start_ids[index] = last
        got = received[index] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.is_set():
            for message in bus.poll(engine, polled, last, timeout=0.3):
                got.append((message["id"], message["channel"], message["message"]))
                last = message["id"]

    for n in range(5):  # before the tail's first read: poller 0 starts behind it
        with bus.BusTransaction(engine) as transaction:
            transaction.send(channels[n % 3], {"sender": -1, "n": n})
    bus.poll(engine, channels, 0, timeout=0)  # the tail's first read
    tail = wakeup.dispatcher_for(engine).tail
    assert tail.after(set(channels), 0, 10) is None and tail.low > 0
    done = threading.Event()
    pollers = [threading.Thread(target=poller, args=(
        i, [channels[i % 3], channels[(i + 1) % 3]], 0 if i == 0 else tail.high))
        for i in range(6)]
    sending = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
    for thread in [*pollers, *sending]:
        thread.start()
    for thread in sending:
        thread.join(90)
    time.sleep(1.0)  # the pollers' last answers
    done.set()
    for thread in pollers:
        thread.join(10)
    with engine.connect() as connection:
        stored = bus.fetch(connection, channels, 0, limit=100000)
    for index, got in received.items():
        polled = {channels[index % 3], channels[(index + 1) % 3]}
        expected = [(m["id"], m["channel"], m["message"]) for m in stored
                    if m["channel"] in polled and m["id"] > start_ids[index]]
        assert got == expected, f"poller {index}"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=80), st.data())
def test_what_a_poller_gets_is_every_held_message_of_its_channels_after_last(channels, data):
    """Whatever was appended and trimmed: after() is the held messages of the asked channels
    with a larger id than `last`, in id order, cut at `limit` (the by-channel lists agree with
    the entries)."""
    table, tail = Bus(), MessageTail(max_messages=12)
    table.catch_up(tail)
    for channel in channels:
        table.add(channel, f'"{channel}"')
        tail.woken()
        table.catch_up(tail)
    held = [(entry.id, entry.channel) for entry in tail._view[1]]
    assert [id_ for id_, _ in held] == list(range(tail.low + 1, tail.high + 1))
    wanted = data.draw(st.sets(st.sampled_from("abcdef")))
    last = data.draw(st.integers(tail.low, tail.high + 1))
    limit = data.draw(st.integers(1, 20))
    expected = [id_ for id_, channel in held if channel in wanted and id_ > last][:limit]
    assert ids(tail.after(wanted, last, limit)) == expected
    assert tail.after(wanted, tail.low - 1, limit) is None  # behind the tail: the database
