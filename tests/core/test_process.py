"""core.process.settle: what is alive when a process has loaded leaves the collector's
full passes; garbage made afterwards is still collected."""

import gc
import weakref

from core import process


class _Node:
    pass


def test_settle_freezes_what_is_alive_and_later_cycles_are_still_collected():
    kept = _Node()
    kept.me = kept  # a cycle that lives on (like a module's objects)
    try:
        process.settle()
        assert gc.get_freeze_count() > 0

        later = _Node()
        later.me = later
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()  # the rest of the suite keeps the collector as it found it
