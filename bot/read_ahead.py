"""An iterator's next items made on a worker thread while the caller uses the current one.

The transaction import checks and converts the next block of a file (Arrow and Python
work) while SQLite writes the current one: SQLite releases the GIL while it writes, so
on two cores the two overlap instead of taking turns. `depth` bounds what waits, and so
the memory held.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The same items in the same order; an exception of `items` is raised here, at the
    point the caller would have met it. Closing the result early stops the worker."""
    waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:
            offer(_Failed(error))
            return
        offer(_DONE)

    worker = threading.Thread(target=work, name="cvm-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
