"""Progbar: the progress line Keras prints during fit/evaluate/predict."""
from __future__ import annotations

import os
import sys
import time

import numpy as np

__all__ = ["Progbar"]

_BAR = "\u2501"        # heavy horizontal line, as Keras 3 draws its bar
_BAR_TODO = "\u2500"   # light line for the undone part when colours are unavailable


def _interactive():
    stream = sys.stdout
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _scalar(value):
    if hasattr(value, "numpy"):
        value = value.numpy()
    return float(np.mean(np.asarray(value, dtype=np.float64)))


def _format_value(value):
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_eta(eta):
    if eta > 3600:
        return f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


def _format_per_unit(seconds, unit):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """Displays a progress bar.

    On a terminal the line is redrawn in place, as Keras 3 shows it::

         12/100 ━━━━━━━━━━━━━━━━━━━━ 1s 10ms/step - loss: 0.2500

    When stdout is not a terminal (a log file, a pipe, a test's captured output) nothing is
    printed until the bar is finalized, then exactly one line is written.

    Args:
        target: total number of steps expected, or None if unknown.
        width: bar width in characters.
        verbose: 0 (silent), 1 (bar), 2 (one summary line when finished).
        interval: minimum seconds between redraws.
        stateful_metrics: names of metrics shown as-is; all others are averaged over steps.
        unit_name: the step's name in the timing column ("step", "sample" ...).

    >>> bar = Progbar(3)
    >>> for i in range(3):
    ...     bar.update(i + 1, values=[("loss", 0.5)])  # doctest: +ELLIPSIS
    3/3 ━━━━━━━━━━━━━━━━━━━━ ...s/step - loss: 0.5000
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        if target is not None:
            target = int(target)
        self.target = target
        self.width = int(width)
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._dynamic_display = _interactive()
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._finalized = False

    def _step_duration(self, current, now):
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per = (now - self._time_after_first_step) / (current - 1)
        else:
            per = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per

    def _metrics(self):
        parts = []
        for name in self._values_order:
            total, count = self._values[name]
            parts.append(f" - {name}: {_format_value(total / max(1, count))}")
        return "".join(parts)

    def _counter(self, current):
        if self.target is None:
            return f"{current:7d}/Unknown"
        digits = len(str(self.target)) if self.target > 0 else 1
        return f"{current:{digits}d}/{self.target}"

    def _bar(self, current, colour):
        if self.target is None or self.target <= 0:
            return ""
        done = int(self.width * min(max(current / self.target, 0.0), 1.0))
        todo = self.width - done
        if colour:
            out = f"\x1b[32m{_BAR * done}\x1b[0m" if done else ""
            return out + (f"\x1b[37m{_BAR * todo}\x1b[0m" if todo else "")
        return _BAR * done + _BAR_TODO * todo

    def _line(self, current, now, per_unit, finalize, colour):
        counter = self._counter(current)
        if colour:
            counter = f"\x1b[1m{counter}\x1b[0m"
        line = counter
        bar = self._bar(current, colour)
        if bar:
            line += " " + bar
        if self.target is None or finalize:
            line += f" {now - self._start:.0f}s"
        else:
            eta = _format_eta(per_unit * (self.target - current))
            line += f" \x1b[1m{eta}\x1b[0m" if colour else f" {eta}"
        line += " " + _format_per_unit(per_unit, self.unit_name)
        return line + self._metrics()

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current``.

        Args:
            current: index of the current step.
            values: list of ``(name, value_for_last_step)``; stateful metrics are shown
                as given, others as their average weighted by steps.
            finalize: whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            value = _scalar(value)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                weight = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + value * weight, count + weight]
        self._seen_so_far = current
        now = time.time()
        per_unit = self._step_duration(current, now)

        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            if self._dynamic_display:
                line = self._line(current, now, per_unit, finalize, colour=True)
                pad = max(0, self._total_width - len(line))
                self._total_width = len(line)
                message = "\r" + line + " " * pad
                if finalize:
                    message += "\n"
                self._write(message)
            elif finalize and not self._finalized:
                self._write(self._line(current, now, per_unit, True, colour=False) + "\n")
        elif self.verbose == 2 and finalize and not self._finalized:
            line = f"{self._counter(current)} - {now - self._start:.0f}s - " \
                   f"{_format_per_unit(per_unit, self.unit_name)}{self._metrics()}"
            self._write(line + "\n")
        if finalize:
            self._finalized = True
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps (see ``update``)."""
        self.update(self._seen_so_far + n, values)

    @staticmethod
    def _write(message):
        from ember.keras.utils.io_utils import print_msg
        print_msg(message, line_break=False)
