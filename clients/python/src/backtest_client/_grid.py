"""Search grids: Python ranges, lists and scalars as the server's grid specs.

``POST /v1/optimizations`` takes ``"grid": ["fast=5..50:5", "allow_short=true,false", ...]``
(``KEY=V1,V2,...`` or ``KEY=LO..HI:STEP``, HI included; ``ParameterAxis.swift``). Here a grid is
a dict, in order (the first key outermost)::

    {"fast": range(5, 55, 5), "slow": [10, 20, 50], "k": 2.0, "allow_short": [False, True], "period": "5..30:5"}

- a ``range`` with a positive step becomes ``LO..LAST:STEP`` (LAST = the range's last value, so
  ``range(5, 55, 5)`` is ``5..50:5``, 10 values); a descending range becomes the explicit list;
- a list, tuple, set-free iterable (a NumPy array too) of numbers or booleans becomes ``V1,V2,...``;
- a single number or boolean is a one-value axis;
- a string is taken as the server's own spec (``"5..50:5"`` or ``"1.5,2,2.5"``), checked here.

Anything else (an empty range or list, a string that is not a spec, NaN or an infinity, a value
that is neither a number nor a boolean, a range with a step that goes nowhere, a key that is not
a parameter name) is a ``ValueError`` naming the key, raised before any request is sent.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["GridAxis", "grid_axes"]

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
MAXIMUM_VALUES = 1_000_000
"""The most values one axis may have (the server's ``ParameterAxis.maximumValues``)."""


class GridAxis:
    """One parameter of a grid: its ``name``, the ``spec`` sent to the server and its
    ``values`` in order (what the heatmap's axis will hold)."""

    __slots__ = ("name", "spec", "values")

    def __init__(self, name: str, spec: str, values: list[Any]) -> None:
        self.name = name
        self.spec = spec
        self.values = values

    def __repr__(self) -> str:
        return f"GridAxis({self.name!r}, {self.spec!r}, {len(self.values)} values)"


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ in ("bool_", "bool8")


def _scalar(name: str, value: Any) -> Any:
    """A grid value as a Python bool, int or float; a ``ValueError`` naming the key otherwise."""
    if _is_bool(value):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"grid[{name!r}]: {value!r} is not a finite number")
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    raise ValueError(f"grid[{name!r}]: {value!r} ({type(value).__name__}) is not a number or a boolean")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _number(name: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"grid[{name!r}]: {text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"grid[{name!r}]: {text!r} is not a finite number")
    return number


def _range_values(name: str, low: float, high: float, step: float) -> list[Any]:
    """The values of ``LO..HI:STEP`` as the server computes them (HI included when reached)."""
    if step <= 0:
        raise ValueError(f"grid[{name!r}]: the step must be positive, got {step:g}")
    if low > high:
        raise ValueError(f"grid[{name!r}]: LO {low:g} is above HI {high:g}")
    steps = math.floor((high - low) / step * (1 + 1e-12))
    if steps >= MAXIMUM_VALUES:
        raise ValueError(f"grid[{name!r}]: {steps + 1} values, over the limit of {MAXIMUM_VALUES} per parameter")
    whole = all(float(v).is_integer() for v in (low, high, step))
    return [int(round(low + i * step)) if whole else low + i * step for i in range(steps + 1)]


def _from_string(name: str, spec: str) -> GridAxis:
    text = spec.strip()
    if not text:
        raise ValueError(f"grid[{name!r}]: an empty spec (give KEY's values as LO..HI:STEP or V1,V2,...)")
    if ".." in text:
        low_text, rest = text.split("..", 1)
        if ":" not in rest:
            raise ValueError(f"grid[{name!r}]: {spec!r} is not LO..HI:STEP (a range needs a step)")
        high_text, step_text = rest.split(":", 1)
        low, high, step = (_number(name, part.strip()) for part in (low_text, high_text, step_text))
        return GridAxis(name, f"{name}={text}", _range_values(name, low, high, step))
    values: list[Any] = []
    for part in text.split(","):
        item = part.strip()
        if item.lower() in ("true", "false"):
            values.append(item.lower() == "true")
        else:
            values.append(_scalar(name, _number(name, item)))
    return _from_values(name, values)


def _from_values(name: str, items: Iterable[Any]) -> GridAxis:
    values: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    for item in items:
        value = _scalar(name, item)
        key = ("bool", value) if isinstance(value, bool) else ("number", float(value))
        if key not in seen:  # duplicates dropped, order kept (as the server does)
            seen.add(key)
            values.append(value)
    if not values:
        raise ValueError(f"grid[{name!r}]: no values")
    if len(values) > MAXIMUM_VALUES:
        raise ValueError(f"grid[{name!r}]: {len(values)} values, over the limit of {MAXIMUM_VALUES} per parameter")
    return GridAxis(name, f"{name}=" + ",".join(_text(v) for v in values), values)


def _axis(name: Any, spec: Any) -> GridAxis:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"grid key {name!r} is not a parameter name (letters, digits and _)")
    if isinstance(spec, range):
        if len(spec) == 0:
            raise ValueError(f"grid[{name!r}]: {spec!r} is empty")
        if len(spec) > MAXIMUM_VALUES:
            raise ValueError(f"grid[{name!r}]: {len(spec)} values, over the limit of {MAXIMUM_VALUES} per parameter")
        if spec.step < 0:
            return _from_values(name, spec)
        last = spec[-1]
        return GridAxis(name, f"{name}={spec.start}..{last}:{spec.step}", list(spec))
    if isinstance(spec, str):
        return _from_string(name, spec)
    if isinstance(spec, (bytes, bytearray, Mapping)):
        raise ValueError(f"grid[{name!r}]: a {type(spec).__name__} is not a list of values")
    if _is_bool(spec) or isinstance(spec, numbers.Real):
        return _from_values(name, [spec])
    if isinstance(spec, (set, frozenset)):
        raise ValueError(f"grid[{name!r}]: a set has no order; give a list")
    if isinstance(spec, Iterable):
        return _from_values(name, list(spec))
    raise ValueError(
        f"grid[{name!r}]: {type(spec).__name__} is not a grid (give a range, a list of numbers or booleans, "
        "a number, or a 'LO..HI:STEP' string)"
    )


def grid_axes(grid: Mapping[str, Any] | None) -> list[GridAxis]:
    """The axes of a grid dict, in order; ``ValueError`` naming the key for a bad one."""
    if grid is None or not isinstance(grid, Mapping):
        raise ValueError(f"grid must be a dict of parameter -> values, got {type(grid).__name__}")
    if not grid:
        raise ValueError("grid is empty: give at least one parameter, e.g. grid={'fast': range(5, 55, 5)}")
    return [_axis(name, spec) for name, spec in grid.items()]
