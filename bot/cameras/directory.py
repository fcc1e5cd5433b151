"""The camera directory: what people call a camera (name, alias, serial, part of a name) → record.

Resolution order, first stage with any match wins (one match → that camera, several →
AmbiguousCamera):

1. serial, 2. exact name, 3. alias (from config; maps to a name or a serial),
4. name ignoring noise words ("lobby cam" → Lobby), 5. every query word is a word of
the name, 6. every query word starts a word of the name, or the name starts with the
query, 7. the query is part of the name (or of the serial, from 4 characters).

Comparisons ignore case, spaces and punctuation. A typo ("lobbby") is never picked
silently, however close: showing footage from a camera nobody named is worse than one
more message, so close spellings only become CameraNotFound's suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.messages import literal

__all__ = [
    "AmbiguousCamera",
    "CameraDirectory",
    "CameraLookupError",
    "CameraNotFound",
    "CameraRecord",
]

_NOISE_WORDS = frozenset({"the", "cam", "cams", "camera", "cameras"})
_SUGGESTION_CUTOFF = 0.6
_MAX_SUGGESTIONS = 3
_MAX_LISTED = 5
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class CameraRecord:
    serial: str
    name: str
    model: str
    network_id: str
    network_name: str
    time_zone: str  # IANA name, the network's
    tags: tuple[str, ...] = ()
    status: str = "online"  # online / offline / dormant / alerting
    sense: bool = False
    lpr: bool = False
    imagers: int = 1

    @property
    def label(self) -> str:
        """How replies name a camera: "Lobby (MV12, Q2XX-AAAA-0001)"."""
        return f"{self.name} ({self.model}, {self.serial})"


class CameraLookupError(LookupError):
    """A query that names no single camera; `str()` is the sentence to show."""

    def __init__(self, query: str) -> None:
        super().__init__(query)
        self.query = query


class CameraNotFound(CameraLookupError):
    def __init__(self, query: str, suggestions: list[CameraRecord]) -> None:
        super().__init__(query)
        self.suggestions = suggestions

    def __str__(self) -> str:
        if not _key(self.query):
            return "Which camera? Say `cameras` to list them."
        if not self.suggestions:
            return f"Camera '{_echo(self.query)}' not found — say `cameras` to list them."
        labels = " or ".join(literal(r.label) for r in self.suggestions)
        return f"Camera '{_echo(self.query)}' not found — did you mean {labels}?"


class AmbiguousCamera(CameraLookupError):
    def __init__(self, query: str, candidates: list[CameraRecord]) -> None:
        super().__init__(query)
        self.candidates = candidates

    def __str__(self) -> str:
        shown = ", ".join(literal(r.label) for r in self.candidates[:_MAX_LISTED])
        more = len(self.candidates) - _MAX_LISTED
        if more > 0:
            shown += f" and {more} more"
        return f"'{_echo(self.query)}' matches {len(self.candidates)} cameras: {shown} — say which."


@dataclass(frozen=True)
class _Named:
    record: CameraRecord
    name_key: str
    words: tuple[str, ...]  # of the name, without noise words
    words_key: str
    serial_key: str
    search_words: tuple[str, ...]  # for filter(): name, model, network, tags, status


class CameraDirectory:
    """An in-memory, immutable view of the fleet; rebuild it (`with_records`) to refresh."""

    def __init__(
        self,
        records: Iterable[CameraRecord],
        aliases: Mapping[str, str] | None = None,
        tz_overrides: Mapping[str, str] | None = None,
    ) -> None:
        self._alias_source = dict(aliases or {})
        self._override_source = dict(tz_overrides or {})
        ordered = sorted(records, key=lambda r: (r.name.casefold(), r.serial))
        self._entries = tuple(_entry(r) for r in ordered)
        self._aliases = {_key(a): _key(t) for a, t in self._alias_source.items() if _key(a)}
        self._alias_serials = {a: self._serials_named(t) for a, t in self._aliases.items()}
        self._overrides = {
            _key(k): _zone_or_error(z, k) for k, z in self._override_source.items() if _key(k)
        }
        self._zones = {e.record.serial: _zone_for(e.record, self._overrides) for e in self._entries}

    @property
    def records(self) -> tuple[CameraRecord, ...]:
        return tuple(e.record for e in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[CameraRecord]:
        return iter(self.records)

    def with_records(self, records: Iterable[CameraRecord]) -> CameraDirectory:
        """A directory of fresh records that keeps this one's aliases and zone overrides."""
        return CameraDirectory(records, self._alias_source, self._override_source)

    def get(self, serial: str) -> CameraRecord | None:
        key = _key(serial)
        return next((e.record for e in self._entries if e.serial_key == key), None)

    def zone(self, record: CameraRecord) -> ZoneInfo:
        """The camera's zone: an override for its serial, name, network id or network name,
        else its network's zone, else UTC when the network reports none we know."""
        return self._zones.get(record.serial) or _zone_for(record, self._overrides)

    def resolve(self, query: str) -> CameraRecord:
        """The one camera `query` names; raise CameraNotFound or AmbiguousCamera."""
        key = _key(query)
        if not key:
            raise CameraNotFound(query, [])
        words = tuple(w for w in _words(query) if w not in _NOISE_WORDS)
        words_key = "".join(words)
        aliased = self._alias_serials.get(key, frozenset())
        stages: tuple[Callable[[_Named], bool], ...] = (
            lambda e: e.serial_key == key,
            lambda e: e.name_key == key,
            lambda e: e.record.serial in aliased,
            lambda e: bool(words_key) and e.words_key == words_key,
            lambda e: bool(words) and all(w in e.words for w in words),
            lambda e: (
                (bool(words) and all(_starts_a_word(w, e.words) for w in words))
                or e.name_key.startswith(key)
            ),
            lambda e: key in e.name_key or (len(key) >= 4 and key in e.serial_key),
        )
        for matches in stages:
            found = [e.record for e in self._entries if matches(e)]
            if len(found) == 1:
                return found[0]
            if found:
                raise AmbiguousCamera(query, found)
        raise CameraNotFound(query, self._suggestions(key, words_key))

    def filter(self, text: str | None) -> list[CameraRecord]:
        """Cameras for `cameras [filter]`: every word must start a word of the camera's
        name, model, network, tags or status (or be "sense" / "lpr" for capable ones)."""
        words = [w for w in _words(text or "") if w not in _NOISE_WORDS]
        return [
            e.record for e in self._entries if all(_starts_a_word(w, e.search_words) for w in words)
        ]

    def _serials_named(self, target_key: str) -> frozenset[str]:
        """An alias names a serial if one matches, else every camera of that name."""
        serials = frozenset(e.record.serial for e in self._entries if e.serial_key == target_key)
        return serials or frozenset(
            e.record.serial for e in self._entries if e.name_key == target_key
        )

    def _suggestions(self, key: str, words_key: str) -> list[CameraRecord]:
        scored: list[tuple[float, str, CameraRecord]] = []
        for e in self._entries:
            names = [e.name_key, e.words_key, e.serial_key]
            names += [a for a, serials in self._alias_serials.items() if e.record.serial in serials]
            score = max(
                SequenceMatcher(None, q, n).ratio() for q in {key, words_key} if q for n in names
            )
            if score >= _SUGGESTION_CUTOFF:
                scored.append((score, e.record.name.casefold(), e.record))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [record for _, _, record in scored[:_MAX_SUGGESTIONS]]


def _entry(record: CameraRecord) -> _Named:
    words = tuple(w for w in _words(record.name) if w not in _NOISE_WORDS)
    search = [*_words(record.name), _key(record.model), *_words(record.network_name)]
    search += [w for tag in record.tags for w in (_key(tag), *_words(tag))]
    search += [_key(record.status), _key(record.serial)]
    search += [flag for flag, on in (("sense", record.sense), ("lpr", record.lpr)) if on]
    return _Named(
        record=record,
        name_key=_key(record.name),
        words=words,
        words_key="".join(words),
        serial_key=_key(record.serial),
        search_words=tuple(w for w in search if w),
    )


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def _starts_a_word(prefix: str, words: Iterable[str]) -> bool:
    return any(w.startswith(prefix) for w in words)


def _echo(query: str) -> str:
    flat = " ".join(query.split())
    return literal(flat if len(flat) <= 60 else flat[:59] + "…")


def _zone_or_error(zone: str, key: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"Unknown time zone '{zone}' in the override for '{key}'") from None


def _zone_for(record: CameraRecord, overrides: Mapping[str, ZoneInfo]) -> ZoneInfo:
    for key in (record.serial, record.name, record.network_id, record.network_name):
        zone = overrides.get(_key(key)) if _key(key) else None
        if zone is not None:
            return zone
    try:
        return ZoneInfo(record.time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return _UTC
