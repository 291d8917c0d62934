"""Unit tests of SharedReads: pollers woken together share one read, and never a stale one."""
import threading

import pytest

from addons.pos_longpolling import shared_reads
from addons.pos_longpolling.shared_reads import MAX_ANSWERS, WAKE_ALL, SharedReads


class Fetcher:
    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def __call__(self):
        self.calls += 1
        return self.answers.pop(0)


def test_pollers_with_the_same_question_share_one_read():
    reads, fetch = SharedReads(), Fetcher(["m1"])
    assert [reads.read(("a",), 0, fetch) for _ in range(1000)] == [["m1"]] * 1000
    assert fetch.calls == 1


def test_a_wake_up_of_one_of_the_channels_makes_the_next_read_ask_again():
    reads, fetch = SharedReads(), Fetcher([], ["m1"], ["m1"])
    assert reads.read(("a", "b"), 0, fetch) == []
    reads.invalidate(["b"])
    assert reads.read(("a", "b"), 0, fetch) == ["m1"]
    reads.invalidate(["other"])  # another channel: the answer stands
    assert reads.read(("a", "b"), 0, fetch) == ["m1"] and fetch.calls == 2
    reads.invalidate(WAKE_ALL)
    assert reads.read(("a", "b"), 0, fetch) == ["m1"] and fetch.calls == 3


def test_an_answer_read_across_a_wake_up_is_not_kept():
    """It may have been read before the message that caused the wake-up was visible."""
    reads = SharedReads()

    def slow_fetch():
        reads.invalidate(["a"])  # a message commits while this read is under way
        return []
    assert reads.read(("a",), 0, slow_fetch) == []
    fetch = Fetcher(["m1"])
    assert reads.read(("a",), 0, fetch) == ["m1"] and fetch.calls == 1


def test_different_questions_get_their_own_answers_and_old_ones_are_dropped():
    reads = SharedReads()
    assert reads.read(("a",), 1, Fetcher(["after 1"])) == ["after 1"]
    assert reads.read(("a",), 2, Fetcher(["after 2"])) == ["after 2"]
    for last in range(3, MAX_ANSWERS + 3):
        reads.read(("a",), last, Fetcher([]))
    fetch = Fetcher(["again"])
    assert reads.read(("a",), 1, fetch) == ["again"] and fetch.calls == 1


def test_pollers_asking_while_the_same_read_is_under_way_wait_for_its_answer():
    """PostgreSQL reads yield: the pollers woken meanwhile must not each query the database."""
    reads, started, release = SharedReads(), threading.Event(), threading.Event()
    calls = []

    def slow_fetch():
        calls.append(1)
        started.set()
        release.wait(5)
        return ["m1"]

    answers = []
    first = threading.Thread(target=lambda: answers.append(reads.read(("a",), 0, slow_fetch)))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=lambda: answers.append(reads.read(("a",), 0, slow_fetch)))
              for _ in range(20)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert answers == [["m1"]] * 21 and len(calls) == 1


def test_a_failed_read_lets_the_waiting_pollers_read_for_themselves(monkeypatch):
    """The first poller gets the error; those that waited for its read then read themselves
    and get the messages, never None."""
    waiting = threading.Semaphore(0)

    class CountedRead(shared_reads._Read):
        def __init__(self):
            super().__init__()
            wait = self.done.wait

            def counted_wait(timeout=None):
                waiting.release()
                return wait(timeout)
            self.done.wait = counted_wait

    monkeypatch.setattr(shared_reads, "_Read", CountedRead)
    reads, started, release = SharedReads(), threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(5)
        raise ConnectionError("database gone")

    errors, answers = [], []

    def first_poller():
        try:
            answers.append(reads.read(("a",), 0, failing))
        except ConnectionError as exc:
            errors.append(exc)

    first = threading.Thread(target=first_poller)
    first.start()
    assert started.wait(5)
    waiters = [threading.Thread(target=lambda: answers.append(
        reads.read(("a",), 0, Fetcher(["m1"])))) for _ in range(5)]
    for thread in waiters:
        thread.start()
    for _ in waiters:  # every one of them waits for the failing read before it fails
        assert waiting.acquire(timeout=5)
    release.set()
    for thread in [first, *waiters]:
        thread.join(5)
    assert [str(e) for e in errors] == ["database gone"]
    assert answers == [["m1"]] * 5
    release.set()
    with pytest.raises(ConnectionError):  # and a read alone reports its error too
        reads.read(("b",), 0, failing)
