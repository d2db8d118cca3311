"""Calling a sampler's sample() at a fixed rate on a background thread, and what that cost in CPU."""
from __future__ import annotations

import threading
import time


class PeriodicSampling:
    """Mixin for dataclass samplers: needs `hz`, `cpu_s`, `wall_s` fields and a `sample()` method."""

    tolerated: tuple[type[BaseException], ...] = ()  # errors a single sample may hit without ending the loop

    def start_sampling(self, name: str) -> None:
        self._stop, self._t0 = threading.Event(), time.monotonic()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def at(self, monotonic: float) -> float:
        """A time.monotonic() instant on this sampler's clock (seconds since sampling began)."""
        return round(monotonic - self._t0, 3)

    def stop_sampling(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        cpu0, period = time.thread_time(), 1.0 / self.hz
        while not self._stop.is_set():
            try:
                self.sample()
            except self.tolerated:
                pass
            self._stop.wait(period - (time.monotonic() - self._t0) % period)
        self.cpu_s, self.wall_s = time.thread_time() - cpu0, time.monotonic() - self._t0
