"""Micro-batching: work items that arrive within a few milliseconds run as one batch.

:class:`MicroBatcher` owns one worker thread. :meth:`MicroBatcher.submit` queues an
item and returns a ``Future``; the worker takes the first waiting item, keeps
collecting items for ``window_s`` seconds (or until ``max_batch`` are waiting), and
hands them to ``process`` in one call. Items are batched only with items of the same
*group* (for the server: the model they were sent to), so a model swap never mixes two
models in one batch. Items queued while a batch runs form the next batch at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

__all__ = ["MicroBatcher"]

Payload = TypeVar("Payload")
Result = TypeVar("Result")


@dataclass
class _Item(Generic[Payload, Result]):
    payload: Payload
    group: Hashable
    future: Future[Result]


#: Put on the queue by :meth:`MicroBatcher.close`: the worker stops after it.
_STOP: Any = object()


class MicroBatcher(Generic[Payload, Result]):
    """Runs ``process(group, payloads) -> results`` on batches of submitted payloads.

    Args:
        process: called on the worker thread with one group's payloads, in submission
            order; returns one result per payload (or raises: every item of the call
            then gets the exception).
        window_s: how long the worker waits for more items after the first one.
        max_batch: the most items per call.
        name: the worker thread's name.
    """

    def __init__(
        self,
        process: Callable[[Any, list[Payload]], Sequence[Result]],
        *,
        window_s: float = 0.002,
        max_batch: int = 32,
        name: str = "yantra-batcher",
    ) -> None:
        if window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {window_s}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._process = process
        self.window_s = float(window_s)
        self.max_batch = int(max_batch)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._pending = 0
        self._pending_lock = threading.Lock()
        #: Sizes of the batches run so far (the last 1000), for tests and stats.
        self.batch_sizes: list[int] = []
        #: How many batches have run.
        self.batches_run = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Items submitted and not answered yet."""
        return self._pending

    def submit(self, payload: Payload, group: Hashable = None) -> Future[Result]:
        """Queue ``payload``; the future gets its result (or the exception of its batch).

        Raises:
            RuntimeError: the batcher is closed.
        """
        if self._closed:
            raise RuntimeError("the batcher is closed")
        future: Future[Result] = Future()
        with self._pending_lock:
            self._pending += 1
        self._queue.put(_Item(payload, group, future))
        return future

    def close(self, timeout: float | None = 10.0) -> None:
        """Finish the queued items, then stop the worker."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def _collect(self, first: _Item[Payload, Result]) -> tuple[list[_Item[Payload, Result]], bool]:
        """``first`` and the items that arrive within the window; whether to stop."""
        batch = [first]
        deadline = time.monotonic() + self.window_s
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch, stop = self._collect(first)
            self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
            self.batches_run += 1
            start = 0
            while start < len(batch):  # consecutive items of one group run together
                end = start + 1
                while end < len(batch) and batch[end].group is batch[start].group:
                    end += 1
                self._run_group(batch[start:end])
                start = end

    def _run_group(self, items: list[_Item[Payload, Result]]) -> None:
        try:
            results = list(self._process(items[0].group, [item.payload for item in items]))
            if len(results) != len(items):
                raise RuntimeError(f"process returned {len(results)} results for {len(items)}")
        except BaseException as error:  # handed to every waiting caller, never lost
            logger.exception("batch of %d failed", len(items))
            for item in items:
                item.future.set_exception(error)
        else:
            for item, result in zip(items, results, strict=True):
                item.future.set_result(result)
        finally:
            with self._pending_lock:
                self._pending -= len(items)
