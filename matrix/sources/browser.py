"""Playwright renderer for single-page apps (OfferVault, Affplus): Debian Chromium, a small
pool of browser contexts, driven from the crawler so the same host buckets apply.

Why a pool of contexts and not pages in one context: contexts do not share cookies or storage,
so one site's state cannot leak into another's render, and a crashed context is replaced alone.
Requests for fonts/images/media are blocked: they cost bandwidth on the target and time here
and never carry program data.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from matrix.config import Settings
from matrix.sources.base import SourceError

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_BLOCKED = {"image", "font", "media"}


def check_browser(executable: str) -> None:
    """Fail early with instructions instead of a Playwright stack trace deep inside a crawl."""
    if not executable or not os.path.isfile(executable) or not os.access(executable, os.X_OK):
        raise SourceError(
            f"crawl.browser_executable = {executable!r}: no browser there. Pages that need JavaScript are rendered "
            "with Chromium: install it (Debian/Ubuntu: `apt-get install chromium`, done by scripts/setup.sh) or point "
            "crawl.browser_executable (env MATRIX_CRAWL__BROWSER_EXECUTABLE) at a Chromium binary."
        )


class BrowserRenderer:
    """`async with BrowserRenderer(settings) as r: html, final_url = await r.render(url)`."""

    def __init__(self, settings: Settings, contexts: int | None = None) -> None:
        self.executable = settings.crawl.browser_executable
        self.user_agent = settings.crawl.user_agent
        self.size = contexts or settings.crawl.browser_contexts
        self._pw: Any = None
        self._browser: Any = None
        self._pool: asyncio.Queue | None = None
        self.rendered = 0

    async def __aenter__(self) -> "BrowserRenderer":
        check_browser(self.executable)
        from matrix.extras import require

        async_playwright = require("playwright.async_api", "rendering JavaScript pages (render_js)").async_playwright

        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:
            await self._pw.stop()
            raise SourceError(f"cannot start Chromium at {self.executable!r}: {exc}") from exc
        self._pool = asyncio.Queue()
        for _ in range(self.size):
            self._pool.put_nowait(await self._new_context())
        return self

    async def _new_context(self) -> Any:
        ctx = await self._browser.new_context(user_agent=self.user_agent, java_script_enabled=True)

        async def _route(route: Any) -> None:
            if route.request.resource_type in _BLOCKED:
                await route.abort()
            else:
                await route.continue_()

        await ctx.route("**/*", _route)
        return ctx

    async def __aexit__(self, *exc: Any) -> None:
        if self._pool is not None:
            while not self._pool.empty():
                ctx = self._pool.get_nowait()
                try:
                    await ctx.close()
                except Exception:  # noqa: BLE001 - closing a dead context is fine
                    pass
        if self._browser is not None:
            await self._browser.close()
        if self._pw is not None:
            await self._pw.stop()

    async def render(self, url: str, wait_for: str | None = None, timeout_s: float = 20.0) -> tuple[str, str]:
        """The DOM after scripts ran (waiting for `wait_for` when given) and the final URL."""
        assert self._pool is not None, "use `async with BrowserRenderer(...)`"
        ctx = await self._pool.get()
        healthy = True
        try:
            page = await ctx.new_page()
            try:
                resp = await page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
                if resp is not None and resp.status >= 400:
                    raise RuntimeError(f"HTTP {resp.status}")
                if wait_for:
                    await page.wait_for_selector(wait_for, timeout=timeout_s * 1000)
                else:
                    await page.wait_for_load_state("networkidle", timeout=timeout_s * 1000)
                html = await page.content()
                self.rendered += 1
                return html, page.url
            finally:
                await page.close()
        except Exception:
            healthy = False
            raise
        finally:
            if healthy:
                self._pool.put_nowait(ctx)
            else:
                try:
                    await ctx.close()
                except Exception:  # noqa: BLE001
                    pass
                self._pool.put_nowait(await self._new_context())
