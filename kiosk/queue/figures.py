"""Figures for the hall manager: issued and served per group and hour, waits, no-shows, ratings; CSV export."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from kiosk.queue.model import TicketStatus
from kiosk.queue.ratings import Level, RatingService
from kiosk.queue.schema import tickets
from kiosk.queue.service import LocalQueueService, _as_utc


@dataclass(frozen=True)
class GroupFigures:
    group_id: str
    name_zh: str
    issued: int
    served: int
    no_shows: int
    waiting: int
    # Minutes from issue to first call, over the tickets called so far; None before the first call.
    average_wait: float | None
    p90_wait: float | None


@dataclass(frozen=True)
class HourFigures:
    group_id: str
    hour: int  # the hall's local hour
    issued: int
    served: int


@dataclass(frozen=True)
class HallFigures:
    day: date
    groups: tuple[GroupFigures, ...]
    hours: tuple[HourFigures, ...]
    ratings: dict[Level, int]
    bad_ratings_open: int


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` 0.9: the value 90% of the samples do not exceed)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def hall_figures(queue: LocalQueueService, ratings: RatingService, day: date) -> HallFigures:
    config = queue.config
    tz = config.timezone
    series_group = config.services.prefixes
    issued: dict[str, int] = defaultdict(int)
    served: dict[str, int] = defaultdict(int)
    no_shows: dict[str, int] = defaultdict(int)
    waiting: dict[str, int] = defaultdict(int)
    waits: dict[str, list[float]] = defaultdict(list)
    hourly: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    with queue.engine.connect() as conn:
        rows = conn.execute(select(tickets.c.series, tickets.c.group_id, tickets.c.status, tickets.c.issued_at,
                                   tickets.c.first_called_at, tickets.c.served_at)
                            .where(tickets.c.day == day.isoformat())).all()
    for row in rows:
        # Issued counts where the number was taken (its series); served where it was finally served (transfers).
        origin = series_group.get(row.series, row.group_id)
        issued_at = _as_utc(row.issued_at)
        assert issued_at is not None
        issued[origin] += 1
        hourly[(origin, issued_at.astimezone(tz).hour)][0] += 1
        if row.status == TicketStatus.SERVED:
            served[row.group_id] += 1
            if (served_at := _as_utc(row.served_at)) is not None:
                hourly[(row.group_id, served_at.astimezone(tz).hour)][1] += 1
        elif row.status == TicketStatus.NO_SHOW:
            no_shows[row.group_id] += 1
        elif row.status == TicketStatus.WAITING:
            waiting[row.group_id] += 1
        if (called := _as_utc(row.first_called_at)) is not None:
            waits[origin].append(max(0.0, (called - issued_at).total_seconds() / 60))
    groups = tuple(
        GroupFigures(
            g.id, g.name_zh, issued[g.id], served[g.id], no_shows[g.id], waiting[g.id],
            round(sum(waits[g.id]) / len(waits[g.id]), 1) if waits[g.id] else None,
            None if (p := percentile(waits[g.id], 0.9)) is None else round(p, 1))
        for g in config.services.groups)
    order = {g.id: i for i, g in enumerate(config.services.groups)}
    hours = tuple(HourFigures(gid, hour, counts[0], counts[1])
                  for (gid, hour), counts in sorted(hourly.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])))
    return HallFigures(day, groups, hours, ratings.counts(day), len(ratings.bad(open_only=True, limit=10_000)))


def figures_csv(figures: HallFigures) -> str:
    """One table: a row per group and hour, then a whole-day row per group (hour "all") with the waits,
    then one row per rating level. UTF-8 with a BOM so that spreadsheet programs read the Chinese names."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["day", "group_id", "group_name", "hour", "issued", "served", "no_shows",
                     "average_wait_min", "p90_wait_min"])
    names = {g.group_id: g.name_zh for g in figures.groups}
    day = figures.day.isoformat()
    for h in figures.hours:
        writer.writerow([day, h.group_id, names.get(h.group_id, ""), f"{h.hour:02d}", h.issued, h.served, "", "", ""])
    for g in figures.groups:
        writer.writerow([day, g.group_id, g.name_zh, "all", g.issued, g.served, g.no_shows,
                         "" if g.average_wait is None else g.average_wait, "" if g.p90_wait is None else g.p90_wait])
    for level, count in figures.ratings.items():
        writer.writerow([day, "rating", level.text("zh"), int(level), count, "", "", "", ""])
    return out.getvalue()
