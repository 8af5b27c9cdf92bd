"""A client created before a fork works in the child (the core rebuilds its runtime and
connection pool there), with os.fork and multiprocessing's fork and spawn start methods."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from typing import Any, Dict

import pytest

import botsplash
import workers
from conftest import LISTENER, PHONE, Mock

# Python 3.12+ warns on any fork of a process with threads. Here the threads are the SDK's own
# I/O runtime (started by AsyncClient tests earlier in the session); the child never touches
# them: the core sees the new process id and builds fresh ones, which is what these tests prove.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


def wait_child(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_os_fork_sync_client(client: botsplash.Client, mock: Mock) -> None:
    # The parent's runtime and pooled connection exist before the fork.
    client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for _ in range(3):
                client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
            code = 0
        finally:
            os._exit(code)
    assert wait_child(pid) == 0
    # The parent's client still works after the child used its copy.
    client.messages.send("parent again")
    assert mock.ledger()["counts"]["submit_visitor"] == 4
    assert mock.total() == 5


def test_os_fork_async_client(options: Dict[str, Any], mock: Mock) -> None:
    client = botsplash.AsyncClient(**options)

    async def call() -> None:
        await client.listeners.submit_visitor(LISTENER, phone_number=PHONE)

    asyncio.run(call())  # the shared I/O runtime now runs in the parent
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            asyncio.run(call())
            code = 0
        finally:
            os._exit(code)
    assert wait_child(pid) == 0
    asyncio.run(call())
    assert mock.total() == 3


def test_multiprocessing_fork(client: botsplash.Client, mock: Mock) -> None:
    client.listeners.submit_visitor(LISTENER, phone_number=PHONE)
    workers.CLIENT = client
    try:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            ids = pool.map(workers.submit_with_inherited_client, [LISTENER] * 6)
    finally:
        workers.CLIENT = None
    assert len(set(ids)) == 6
    assert mock.total() == 7


def test_multiprocessing_spawn(options: Dict[str, Any], mock: Mock) -> None:
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        ids = pool.starmap(workers.submit_with_new_client, [(options, LISTENER)] * 4)
        # Exceptions cross the process boundary by pickling, attributes intact.
        with pytest.raises(botsplash.NotFoundError) as info:
            pool.apply(workers.fail_with_not_found, (options,))
    assert len(set(ids)) == 4
    assert info.value.status == 404 and info.value.request_id
    assert mock.total() == 5
