"""The settings of a linking run: thresholds, training, alias weights. Saved whole with each run.

Settings come as a :class:`LinkSettings`, or as a mapping of its field names (a JSON file given to
``veilleur link run --settings``). Anything unknown, of the wrong type or out of range is refused
with a message naming the field: a run never starts on settings it did not understand.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from veilleur.errors import VeilleurError

__all__ = ["LinkSettings", "LinkSettingsError", "parse_settings"]

_TRAIN = ("auto", "always", "never")


class LinkSettingsError(VeilleurError):
    """Linking settings that cannot be used as given."""


@dataclass(frozen=True)
class LinkSettings:
    # -- account -> person ------------------------------------------------------------------
    propose_probability: float = 0.5
    """The model proposes a person for an account from this match probability (match weight 0);
    a proposal is *low* from here."""
    medium_probability: float = 0.9
    """*medium* from this probability (match weight ≈ 3.2)."""
    high_probability: float = 0.99
    """*high* from this probability (match weight ≈ 6.6), and only when an identifier (phone,
    e-mail, year of birth) agrees: a name alone, however rare, is at most *medium*."""
    prior_share: float | None = None
    """The share of accounts expected to be one of the persons of the identity records; the prior
    of a pair is ``prior_share / persons``. None: estimated from the deterministic rules
    (accounts linked by phone or e-mail, divided by ``rule_recall``), kept within 0.05–0.95."""
    identifier_shared_rate: float = 0.05
    """The share of accounts whose phone number or e-mail address some *other* person of the records
    also holds (a relative, a reassigned number); u of agreeing on an identifier is this over the
    number of persons."""
    high_margin_bits: float = 10.0
    """When several persons reach *high* for one account, the best keeps it only if its match
    weight leads the next by this many bits."""
    rule_recall: float = 0.8
    """The share of true links that the phone and e-mail rules are assumed to find (prior estimate)."""
    train: str = "auto"
    """``auto``: estimate u by random sampling and m by EM when both sides have at least
    ``train_min_rows`` rows, else use the documented default parameters; ``always``; ``never``."""
    train_min_rows: int = 2000
    u_max_pairs: int = 10_000_000
    """Random pairs drawn to estimate u."""
    seed: int = 42
    threads: int = 2
    """DuckDB threads."""
    # -- account -> account (aliases) -------------------------------------------------------
    alias_high: float = 8.0
    """Alias weights (bits, docs/linking.md) at or above this are *high*."""
    alias_medium: float = 4.0
    alias_low: float = 1.5
    """Pairs whose reasons weigh less are not proposed."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(name: str, value: Any, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "an integer" if integer else "a number"
        raise LinkSettingsError(f"setting {name!r} must be {kind}, not {value!r}")
    if integer and not float(value).is_integer():
        raise LinkSettingsError(f"setting {name!r} must be an integer, not {value!r}")
    if not math.isfinite(float(value)):
        raise LinkSettingsError(f"setting {name!r} must be finite, not {value!r}")
    return float(value)


def parse_settings(value: LinkSettings | Mapping[str, Any] | None) -> LinkSettings:
    """Check ``value`` and return it as :class:`LinkSettings`; raise :class:`LinkSettingsError`."""
    if value is None:
        s = LinkSettings()
    elif isinstance(value, LinkSettings):
        s = value
    elif isinstance(value, Mapping):
        known = {f.name: f for f in fields(LinkSettings)}
        unknown = sorted(str(k) for k in value if k not in known)
        if unknown:
            raise LinkSettingsError(
                f"unknown linking setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        given: dict[str, Any] = {}
        for key, v in value.items():
            default = known[key].default
            if key == "train":
                if not isinstance(v, str):
                    raise LinkSettingsError(f"setting 'train' must be one of {', '.join(_TRAIN)}, not {v!r}")
                given[key] = v
            elif key == "prior_share" and v is None:
                given[key] = None
            elif isinstance(default, int) and not isinstance(default, bool):
                given[key] = int(_number(key, v, integer=True))
            else:
                given[key] = _number(key, v)
        s = dataclasses.replace(LinkSettings(), **given)
    else:
        raise LinkSettingsError(f"linking settings must be a mapping, not {type(value).__name__}")
    _check(s)
    return s


def _check(s: LinkSettings) -> None:
    if s.train not in _TRAIN:
        raise LinkSettingsError(f"setting 'train' must be one of {', '.join(_TRAIN)}, not {s.train!r}")
    for name in (
        "propose_probability",
        "medium_probability",
        "high_probability",
        "rule_recall",
        "identifier_shared_rate",
    ):
        v = _number(name, getattr(s, name))
        if not 0.0 < v < 1.0 and not (name == "rule_recall" and v == 1.0):
            raise LinkSettingsError(f"setting {name!r} must be a probability between 0 and 1, not {v!r}")
    if not s.propose_probability <= s.medium_probability <= s.high_probability:
        raise LinkSettingsError(
            "settings must satisfy propose_probability <= medium_probability <= high_probability "
            f"(got {s.propose_probability}, {s.medium_probability}, {s.high_probability})"
        )
    if s.prior_share is not None:
        v = _number("prior_share", s.prior_share)
        if not 0.0 < v <= 1.0:
            raise LinkSettingsError(f"setting 'prior_share' must be in (0, 1], not {v!r}")
    for name in ("train_min_rows", "u_max_pairs", "threads"):
        if _number(name, getattr(s, name), integer=True) < 1:
            raise LinkSettingsError(f"setting {name!r} must be at least 1, not {getattr(s, name)!r}")
    _number("seed", s.seed, integer=True)
    if _number("high_margin_bits", s.high_margin_bits) < 0:
        raise LinkSettingsError(f"setting 'high_margin_bits' must be 0 or more, not {s.high_margin_bits!r}")
    for name in ("alias_high", "alias_medium", "alias_low"):
        _number(name, getattr(s, name))
    if not 0 < s.alias_low <= s.alias_medium <= s.alias_high:
        raise LinkSettingsError(
            "settings must satisfy 0 < alias_low <= alias_medium <= alias_high "
            f"(got {s.alias_low}, {s.alias_medium}, {s.alias_high})"
        )
