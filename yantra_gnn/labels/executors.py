"""Where per-problem work runs: a local process pool (the default) or a Dask cluster.

Labelling a dataset (:mod:`yantra_gnn.labels.prepare`) is a map of one pure function
over problems. An :class:`Executor` runs that map with a bounded number of items in
flight and yields each result as soon as it is done (in completion order; the caller
puts results back in input order):

- :class:`LocalExecutor`: a ``concurrent.futures`` process pool on this machine, kept
  from one map to the next (the workers import torch once, to build graphs) until
  :meth:`~Executor.close`. A worker process that dies (killed, out of memory) breaks the
  pool; the pool is made again and the items that were in flight are resubmitted, each
  at most ``attempts`` times in all.
- :class:`DaskExecutor`: Dask ``distributed`` (``pip install 'yantra-gnn[distributed]'``),
  on a scheduler at ``address`` or on a ``LocalCluster`` it starts itself. Dask
  reschedules the task of a worker that died on another worker (up to its
  ``distributed.scheduler.allowed-failures``), and retries a task that raised
  (``retries=attempts - 1``).

Both call the function in a separate worker process (possibly a daemonic one under
Dask): the function must not start ``multiprocessing`` children. The sandbox starts
each program with ``subprocess`` from a thread, which daemonic processes may do.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import ModuleType, TracebackType
from typing import Any, TypeVar

from yantra_gnn.errors import ConfigError, YantraError
from yantra_gnn.optional import import_optional

__all__ = [
    "DEFAULT_ATTEMPTS",
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "WorkFailedError",
    "make_executor",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: The executor names ``yantra-gnn download --executor`` accepts.
EXECUTORS = ("local", "dask")
#: How many times an item is tried in all before the run fails.
DEFAULT_ATTEMPTS = 3


class WorkFailedError(YantraError, RuntimeError):
    """An item could not be processed in its attempts (its worker died each time, or the
    function raised); the message names the item and the last error."""


def _check_positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return value


class Executor(ABC):
    """Runs ``function(item)`` for many items in worker processes.

    Attributes:
        name: ``"local"`` or ``"dask"``.
        workers: how many items run at once (the default bound on items in flight
            is twice this).
        attempts: how many times an item is tried in all.
    """

    name: str
    workers: int
    attempts: int

    @abstractmethod
    def map_unordered(
        self,
        function: Callable[[T], R],
        items: Iterable[T],
        *,
        max_in_flight: int | None = None,
        describe: Callable[[T], str] = repr,
    ) -> Iterator[tuple[T, R]]:
        """Yield ``(item, function(item))`` as each finishes.

        ``items`` is consumed lazily: at most ``max_in_flight`` items (default
        ``2 * workers``) have been taken from it and not yet yielded back.
        ``describe(item)`` names an item in messages.

        Raises:
            WorkFailedError: an item failed ``attempts`` times.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _bound(self, max_in_flight: int | None) -> int:
        if max_in_flight is None:
            return 2 * self.workers
        return _check_positive("max_in_flight", max_in_flight)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workers={self.workers}, attempts={self.attempts})"


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """In a pool worker: end this process when the driver ``parent`` is gone (killed with
    SIGKILL, a pool's workers would otherwise wait for work forever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class LocalExecutor(Executor):
    """A process pool on this machine (``spawn`` start method: no state of the caller's
    threads leaks into the workers), started on the first map and kept for the next ones
    until :meth:`close` (a map that ends early with items in flight, by an error or an
    abandoned iterator, ends it).

    Args:
        workers: worker processes (default: one per core).
        attempts: how many times an item is tried in all (a worker dying while the item
            is in flight, or the function raising, each cost one attempt).
    """

    name = "local"

    def __init__(self, workers: int | None = None, *, attempts: int = DEFAULT_ATTEMPTS) -> None:
        self.workers = _check_positive(
            "workers", workers if workers is not None else os.cpu_count() or 1
        )
        self.attempts = _check_positive("attempts", attempts)
        self.pools_made = 0
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        self.pools_made += 1
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )

    def map_unordered(
        self,
        function: Callable[[T], R],
        items: Iterable[T],
        *,
        max_in_flight: int | None = None,
        describe: Callable[[T], str] = repr,
    ) -> Iterator[tuple[T, R]]:
        bound = self._bound(max_in_flight)
        source = iter(items)
        exhausted = False
        retry: deque[tuple[T, int]] = deque()  # (item, attempts already made)
        pending: dict[Future[R], tuple[T, int]] = {}
        pool, self._pool = self._pool or self._new_pool(), None
        broken: BaseException | None = None

        def failed(item: T, tried: int, error: BaseException) -> None:
            if tried >= self.attempts:
                raise WorkFailedError(
                    f"{describe(item)} failed {tried} time(s), the last with "
                    f"{type(error).__name__}: {error}"
                ) from error
            logger.warning(
                "%s: attempt %d of %d failed (%s: %s); trying again",
                describe(item),
                tried,
                self.attempts,
                type(error).__name__,
                error,
            )
            retry.append((item, tried))

        try:
            while True:
                broken = None
                while len(pending) < bound and broken is None:
                    if retry:
                        item, tried = retry.popleft()
                    elif not exhausted:
                        try:
                            item, tried = next(source), 0
                        except StopIteration:
                            exhausted = True
                            continue
                    else:
                        break
                    try:
                        pending[pool.submit(function, item)] = (item, tried)
                    except BrokenProcessPool as error:
                        retry.appendleft((item, tried))  # never started: no attempt used
                        broken = error
                if not pending and broken is None:
                    return
                if broken is None:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        item, tried = pending.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool as error:
                            broken = error
                            failed(item, tried + 1, error)
                            continue
                        except Exception as error:
                            failed(item, tried + 1, error)
                            continue
                        yield item, result
                if broken is not None:
                    # A worker died: every item still in flight in this pool is lost with it.
                    for item, tried in pending.values():
                        failed(item, tried + 1, broken)
                    pending.clear()
                    pool.shutdown(wait=True, cancel_futures=True)
                    logger.warning(
                        "a worker process died (%s); starting a new pool and resubmitting "
                        "%d item(s)",
                        broken,
                        len(retry),
                    )
                    pool = self._new_pool()
        finally:
            if not pending and broken is None:
                self._pool = pool  # idle and sound: kept for the next map
            else:  # ended early with items in flight, or broken
                pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes (a later map starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _distributed() -> ModuleType:
    return import_optional("distributed", "running labelling on Dask (--executor dask)")


class DaskExecutor(Executor):
    """Dask ``distributed``: the scheduler at ``address``, or a ``LocalCluster`` of
    ``workers`` single-threaded worker processes started (and closed) here.

    Every worker must have yantra-gnn installed (the same version as the driver). The
    tasks go to workers in submission order; results come back as they finish.

    Args:
        address: scheduler address (``tcp://HOST:8786``); ``None`` starts a local cluster.
        workers: worker processes of the local cluster (default: one per core); with an
            ``address``, only the default bound on tasks in flight (default: the
            cluster's worker threads when it is connected).
        attempts: tries of a task that raises (Dask ``retries=attempts - 1``). A task
            whose worker dies is rescheduled by Dask itself, up to the scheduler's
            ``distributed.scheduler.allowed-failures`` (3 by default).

    Raises:
        MissingDependencyError: Dask distributed is not installed.
        ConfigError: the scheduler at ``address`` cannot be reached.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        distributed = _distributed()
        self.attempts = _check_positive("attempts", attempts)
        self._cluster: Any = None
        if address is None:
            count = _check_positive(
                "workers", workers if workers is not None else os.cpu_count() or 1
            )
            self._cluster = distributed.LocalCluster(
                n_workers=count,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self._client: Any = distributed.Client(self._cluster)
            self.workers = count
        else:
            try:
                self._client = distributed.Client(address, timeout="30s")
            except OSError as error:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {address} ({error}); start one with "
                    "`dask scheduler` and workers with `dask worker ADDRESS`, or leave "
                    "--address out to start a local cluster"
                ) from error
            threads = sum(self._client.nthreads().values())
            self.workers = _check_positive(
                "workers", workers if workers is not None else threads or 1
            )
        logger.info("Dask client %s (%d worker threads)", self._client, self.workers)

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` in use."""
        return self._client

    def map_unordered(
        self,
        function: Callable[[T], R],
        items: Iterable[T],
        *,
        max_in_flight: int | None = None,
        describe: Callable[[T], str] = repr,
    ) -> Iterator[tuple[T, R]]:
        distributed = _distributed()
        bound = self._bound(max_in_flight)
        source = iter(items)
        pending: dict[Any, T] = {}
        completed = distributed.as_completed()

        def submit_next() -> bool:
            for item in source:
                future = self._client.submit(function, item, pure=False, retries=self.attempts - 1)
                pending[future] = item
                completed.add(future)
                return True
            return False

        while len(pending) < bound and submit_next():
            pass
        try:
            for future in completed:
                item = pending.pop(future)
                try:
                    result = future.result()
                except Exception as error:
                    raise WorkFailedError(
                        f"{describe(item)} failed on Dask after its attempts "
                        f"({type(error).__name__}: {error})"
                    ) from error
                finally:
                    future.release()
                yield item, result
                while len(pending) < bound and submit_next():
                    pass
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Close the client, and the local cluster when this executor started it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    kind: str = "local",
    *,
    workers: int | None = None,
    address: str | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
) -> Executor:
    """The executor ``kind`` names (one of :data:`EXECUTORS`).

    Raises:
        ConfigError: an unknown kind, or an ``address`` for the local executor.
        MissingDependencyError: ``"dask"`` without Dask distributed installed.
    """
    if kind == "local":
        if address is not None:
            raise ConfigError(
                "--address is the Dask scheduler's address; use it with --executor dask"
            )
        return LocalExecutor(workers, attempts=attempts)
    if kind == "dask":
        return DaskExecutor(address, workers=workers, attempts=attempts)
    raise ConfigError(f"unknown executor {kind!r}; choose one of {EXECUTORS}")
