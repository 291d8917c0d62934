"""A NOTIFY names its transaction's highest id: the process that sent it and put its messages
in its tail already wakes nobody again; every other NOTIFY wakes the pollers of its channels,
and one without an id (from a process of the version before) wakes them as it always did."""
import threading

from addons.pos_longpolling import wakeup
from addons.pos_longpolling.shared_reads import WAKE_ALL


def test_a_notify_of_this_process_own_transaction_wakes_nobody_again():
    dispatcher = wakeup.Dispatcher()
    with dispatcher.waiting(["a"]) as woken:
        dispatcher.sent_here(41)
        wake_ups = dispatcher.tail._wake_ups
        dispatcher.notified('41 ["a"]')
        assert not woken.is_set() and dispatcher.tail._wake_ups == wake_ups
        dispatcher.notified('41 ["a"]')  # only once: a second one is another's (cannot be)
        assert woken.is_set() and dispatcher.tail._wake_ups == wake_ups + 1


def test_other_notifies_wake_their_channels_with_or_without_an_id():
    dispatcher = wakeup.Dispatcher()
    for payload, channel, wakes in [('7 ["a"]', "a", True), ('7 ["a"]', "b", False),
                                    ('["a b"]', "a b", True), ("8 *", "c", True), (WAKE_ALL, "d", True),
                                    ("not json", "e", True), ("9 [1,", "f", True)]:
        with dispatcher.waiting([channel]) as woken:
            dispatcher.notified(payload)
            assert woken.is_set() is wakes, payload


def test_the_memory_of_own_transactions_is_bounded():
    dispatcher = wakeup.Dispatcher()
    for last_id in range(wakeup.MAX_SENT_HERE + 10):
        dispatcher.sent_here(last_id)
    assert len(dispatcher._sent_here) == wakeup.MAX_SENT_HERE
    with dispatcher.waiting(["a"]) as woken:
        dispatcher.notified('0 ["a"]')  # forgotten: woken, which is always safe
        assert woken.is_set()


def test_own_and_other_notifies_from_threads_at_once_never_lose_a_wake_up():
    dispatcher = wakeup.Dispatcher()
    with dispatcher.waiting(["a"]) as woken:
        for last_id in range(0, 400, 2):
            dispatcher.sent_here(last_id)
        threads = [threading.Thread(target=lambda first=first: [
            dispatcher.notified(f'{n} ["a"]') for n in range(first, 400, 2)]) for first in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert woken.is_set() and dispatcher.tail._wake_ups == 200 and not dispatcher._sent_here
