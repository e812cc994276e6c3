"""Retry Bot API calls that Telegram asks us to repeat, so no reply is lost.

429 carries `retry_after`; 5xx and network errors are transient. A bounded
number of retries, then the error surfaces to the error handler and the log.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 4, base_delay: float = 0.5, max_wait: float = 60.0) -> None:
        self._attempts = attempts
        self._base_delay = base_delay
        self._max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self._attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self._attempts or error.retry_after > self._max_wait:
                    raise
                log.warning(
                    "%s: rate limited, retrying in %s s", method.__api_method__, error.retry_after
                )
                await asyncio.sleep(error.retry_after)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self._attempts or method.__api_method__ == "getUpdates":
                    raise  # polling has its own back-off
                delay = self._base_delay * 2 ** (attempt - 1)
                log.warning(
                    "%s failed (%s), retrying in %.1f s", method.__api_method__, error, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
