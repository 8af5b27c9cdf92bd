"""A Rust panic reaches Python as `BotsplashError`, never as PyO3's `PanicException`
(a BaseException that `except Exception` would not catch)."""

from __future__ import annotations

import asyncio

import pytest

import botsplash
from botsplash import _native


def test_sync_panic_becomes_botsplash_error() -> None:
    with pytest.raises(botsplash.BotsplashError, match="internal error in the botsplash SDK.*deliberate test panic") as info:
        _native._panic_for_testing("sync")
    assert type(info.value) is botsplash.BotsplashError


def test_async_panic_becomes_botsplash_error() -> None:
    async def main() -> None:
        await _native._panic_for_testing("async")

    with pytest.raises(botsplash.BotsplashError, match="deliberate test panic \\(async\\)") as info:
        asyncio.run(main())
    assert type(info.value) is botsplash.BotsplashError


def test_the_package_still_works_after_a_panic(client: botsplash.Client) -> None:
    with pytest.raises(botsplash.BotsplashError):
        _native._panic_for_testing("sync")
    assert client.listeners.submit_visitor("leads", phone_number="7045550100").success
