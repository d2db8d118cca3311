"""RabbitMQ's own limits a cell can set for its duration (consumer_timeout), read back and restored after."""
from __future__ import annotations

import re
from contextlib import contextmanager

from harness.errors import HarnessError
from harness.stacks.base import RabbitNode

# Channels read both when they open: a cell's worker must connect after they are set. The tick is how often a
# channel checks its deliveries against consumer_timeout (60 s by default, too coarse for a timeout of seconds).
TICK_WHILE_SET_MS = 1000
UNSET = "undefined"


@contextmanager
def consumer_timeout(stack, seconds: int | None):
    """consumer_timeout = `seconds` (and a 1 s channel tick) on the stack's RabbitMQ for the block, each read back
    once set; every key restored after, even when setting one failed."""
    if seconds is None:
        yield
        return
    node = stack.node("rabbitmq")
    wanted = {"consumer_timeout": str(seconds * 1000), "channel_tick_interval": str(TICK_WHILE_SET_MS)}
    before = {key: app_env(node, key) for key in wanted}
    try:
        for key, value in wanted.items():
            set_app_env(node, key, value)
            if (now := app_env(node, key)) != value:
                raise HarnessError(f"RabbitMQ kept rabbit {key} = {now} after setting it to {value}")
        yield
    finally:
        restore(node, before)


def app_env(node: RabbitNode, key: str) -> str:
    """The `rabbit` application's integer value for `key` as text, or 'undefined'; a one-line error for anything
    else (so that a value this module cannot put back is never changed)."""
    out = node.rabbitmqctl("eval", f"application:get_env(rabbit, {key}).").strip().splitlines()
    last = out[-1].strip() if out else ""
    if last == UNSET:
        return UNSET
    if match := re.fullmatch(r"\{ok,(\d+)\}", last):
        return match.group(1)
    raise HarnessError(f"cannot read rabbit {key} from RabbitMQ (got {last!r})")


def set_app_env(node: RabbitNode, key: str, value: str) -> None:
    """Set (or, for 'undefined', unset) one key of the `rabbit` application on the running node."""
    if not re.fullmatch(r"[a-z_]+", key) or not re.fullmatch(rf"\d+|{UNSET}", value):
        raise HarnessError(f"refusing to set rabbit {key} = {value!r}")
    call = (f"application:unset_env(rabbit, {key})." if value == UNSET
            else f"application:set_env(rabbit, {key}, {value}).")
    node.rabbitmqctl("eval", call)


def restore(node: RabbitNode, values: dict[str, str]) -> None:
    """Put every key back; one that fails does not stop the others, and the failures are said together."""
    failed = []
    for key, value in values.items():
        try:
            set_app_env(node, key, value)
        except HarnessError as error:
            failed.append(str(error))
    if failed:
        raise HarnessError("could not restore RabbitMQ's settings: " + "; ".join(failed))
