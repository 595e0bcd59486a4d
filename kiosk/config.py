"""Kiosk configuration: TOML files validated with pydantic, refused whole when anything is wrong.

Two files live in one configuration folder: ``kiosk.toml`` (hall, kiosk, hours, drivers, accessibility)
and ``services.toml`` (service groups and matters). ``load_config`` reads both and either returns a
``KioskConfig`` or raises ``ConfigError`` listing every problem with its file, key path and reason.
A file of an older ``schema_version`` is migrated in memory first (the file itself is left as it is).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from kiosk.config_migration import SCHEMA_KEY, MigrationError, Step, TomlDocument, migrate
from kiosk.errors import KioskError

KIOSK_FILE = "kiosk.toml"
SERVICES_FILE = "services.toml"
BUNDLED_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
# Both files' layout version; a change to either file's keys raises it and adds a step to _MIGRATIONS.
SCHEMA_VERSION = 2
M = TypeVar("M", bound=BaseModel)
_SESSION = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")

_SLUG = r"^[a-z][a-z0-9_-]{0,31}$"
_PREFIX = r"^[A-Z]{1,2}$"
_OPTIONAL_PREFIX = r"^([A-Z]{1,2})?$"
_KIOSK_ID = r"^[A-Za-z0-9_-]{1,16}$"
# pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>, as `kioskctl admin hash-pin` prints it.
_PIN_HASH = r"^pbkdf2_sha256\$[1-9][0-9]{4,6}\$[0-9a-f]{32,128}\$[0-9a-f]{64}$"
_PATTERN_HELP = {
    _SLUG: "must be 1-32 lower-case letters, digits, '-' or '_', starting with a letter (e.g. realestate)",
    _PREFIX: "must be one or two capital letters A-Z (e.g. B)",
    _OPTIONAL_PREFIX: "must be empty or one or two capital letters A-Z (e.g. V)",
    _KIOSK_ID: "must be 1-16 letters, digits, '-' or '_' (e.g. K01)",
    _PIN_HASH: "must be a salted PIN hash as `kioskctl admin hash-pin` prints it "
               "(pbkdf2_sha256$<iterations>$<salt>$<hash>)",
}
Slug = Annotated[str, Field(pattern=_SLUG)]
Prefix = Annotated[str, Field(pattern=_PREFIX)]
# The fields of a service group that name a number series; one prefix stands for one group only.
PREFIX_FIELDS = ("prefix", "priority_prefix")
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo in a key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Session(Strict):
    """One opening period of a day, e.g. 09:00-12:00."""

    start: time
    end: time


def _parse_session(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    m = _SESSION.match(value.strip())
    if not m:
        raise ValueError(f"'{value}' is not a period like 09:00-12:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if (h2, m2) > (24, 0):
        raise ValueError(f"'{value}' ends after midnight")
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if end <= time(h1, m1):
        raise ValueError(f"'{value}' ends before it starts")
    return {"start": time(h1, m1), "end": end}


DaySessions = list[Annotated[Session, Field()]]
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class HallConfig(Strict):
    name_zh: Text
    name_en: Text
    timezone: str = "Asia/Shanghai"
    address_zh: str = ""
    address_en: str = ""
    phone: str = ""
    # The letters in the hall's receipt numbers (受理编号 such as SL2026-0001): the progress keypad's letter keys.
    receipt_letters: Annotated[str, Field(pattern=r"^[A-Z]{0,12}$")] = "SL"

    @field_validator("receipt_letters")
    @classmethod
    def _letters_once(cls, value: str) -> str:
        if len(set(value)) != len(value):
            raise ValueError(f"receipt_letters '{value}' names a letter twice")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}' (use a name like Asia/Shanghai)") from exc
        return value


class KioskSection(Strict):
    id: Annotated[str, Field(pattern=_KIOSK_ID)]
    state_dir: str = "/var/lib/kiosk"
    # Opened by the QR code on a ticket; {number}, {day} and {kiosk} are filled in.
    ticket_status_url: str = "https://hall.example.gov.cn/ticket?day={day}&number={number}"

    @field_validator("ticket_status_url")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(number="A001", day="2026-01-01", kiosk="K01")
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
            raise ValueError("may only use the placeholders {number}, {day} and {kiosk}") from exc
        return value

    # Opened by the QR code on a service guide's page, so a phone shows the same guide; {matter} is filled in.
    guide_url: str = "https://hall.example.gov.cn/guide?matter={matter}"

    @field_validator("guide_url")
    @classmethod
    def _guide_template(cls, value: str) -> str:
        try:
            value.format(matter="realestate-transfer")
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
            raise ValueError("may only use the placeholder {matter}") from exc
        return value


class HoursConfig(Strict):
    """Weekly opening hours; holidays close a day, make-up workdays (调休) open a weekend day."""

    monday: DaySessions = []
    tuesday: DaySessions = []
    wednesday: DaySessions = []
    thursday: DaySessions = []
    friday: DaySessions = []
    saturday: DaySessions = []
    sunday: DaySessions = []
    last_ticket_minutes_before_close: Annotated[int, Field(ge=0, le=240)] = 30
    holidays: list[date] = []
    workdays: list[date] = []
    # The weekday whose periods a make-up workday opens with.
    workdays_use_hours_of: Literal["monday", "tuesday", "wednesday", "thursday", "friday"] = "monday"

    @field_validator(*_WEEKDAYS, mode="before")
    @classmethod
    def _sessions(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_parse_session(v) for v in value]
        return value

    @field_validator(*_WEEKDAYS)
    @classmethod
    def _no_overlap(cls, sessions: list[Session]) -> list[Session]:
        ordered = sorted(sessions, key=lambda s: s.start)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start < before.end:
                raise ValueError(
                    f"periods {before.start:%H:%M}-{before.end:%H:%M} and "
                    f"{after.start:%H:%M}-{after.end:%H:%M} overlap")
        return ordered

    @model_validator(mode="after")
    def _holiday_or_workday(self) -> HoursConfig:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"{', '.join(d.isoformat() for d in both)} listed both in holidays and in workdays")
        return self

    def sessions_for_weekday(self, weekday: int) -> list[Session]:
        return list(getattr(self, _WEEKDAYS[weekday]))


class QueueConfig(Strict):
    elderly_age: Annotated[int, Field(ge=50, le=100)] = 60
    open_tickets_per_person: Annotated[int, Field(ge=1, le=20)] = 1
    recent_services_for_estimate: Annotated[int, Field(ge=1, le=500)] = 20


class PrinterConfig(Strict):
    """The ticket printer: "simulated" (PNG files) or "escpos" (a serial ESC/POS thermal printer)."""

    driver: Literal["simulated", "escpos"] = "simulated"
    # Simulated printer: where ticket images go (default <state_dir>/tickets).
    output_dir: str = ""
    paper_width_mm: Literal[58, 80] = 80
    # Characters per line in the printer's standard font (58 mm: 32; 80 mm: 48, or 42 on some models).
    columns: Literal[32, 42, 48] | None = None
    # A device path (/dev/ttyUSB0, a udev symlink) or a pyserial URL (socket://host:port, loop://).
    port: Annotated[str, Field(min_length=1)] = "/dev/ttyUSB0"
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["none", "even", "odd"] = "none"
    stopbits: Literal[1, 2] = 1
    flow_control: Literal["none", "rtscts", "dsrdtr", "xonxoff"] = "none"
    # How long one status answer or one write may take before the printer counts as offline.
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0
    qr_module_size: Annotated[int, Field(ge=1, le=16)] = 6
    qr_error_correction: Literal["L", "M", "Q", "H"] = "M"
    cut: Literal["partial", "full"] = "partial"

    @property
    def line_columns(self) -> int:
        return self.columns or (32 if self.paper_width_mm == 58 else 48)


_HEX_NOISE = re.compile(r"[\s:]")
_MAX_ATR_BYTES = 33  # ISO 7816-3


def _hex_bytes(value: str) -> bytes:
    """Hex digits, optionally spaced (``00 A4 04 00``); the error says which character or count is wrong."""
    text = _HEX_NOISE.sub("", value)
    if not text:
        raise ValueError("is empty: write bytes as hex digits, e.g. '00 A4 04 00'")
    bad = next((ch for ch in text if ch not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise ValueError(f"'{value}' is not hex: '{bad}' is not a hex digit (write bytes like '00 A4 04 00')")
    if len(text) % 2:
        raise ValueError(f"'{value}' has an odd number of hex digits ({len(text)}): each byte is two digits")
    return bytes.fromhex(text)


def _apdu(value: str) -> str:
    """A short command APDU (ISO 7816-4 cases 1-4), normalised to spaced upper-case hex."""
    data = _hex_bytes(value)
    if len(data) < 4:
        raise ValueError(f"'{value}' is too short for an APDU: it needs at least CLA INS P1 P2 (4 bytes)")
    if len(data) > 5:
        lc, body = data[4], len(data) - 5
        if lc == 0:
            raise ValueError(f"'{value}': Lc is 00; extended-length APDUs are not supported")
        if body not in (lc, lc + 1):
            raise ValueError(f"'{value}': Lc = {lc:02X} announces {lc} data bytes, but {body} bytes follow it "
                             f"(expected {lc}, or {lc + 1} with Le)")
    return data.hex(" ").upper()


def _atr_pattern(value: str) -> str:
    """``3B 88 80 01 ?? ?? *``: hex bytes, ``??`` for any one byte, a final ``*`` for any further bytes."""
    text = _HEX_NOISE.sub("", value)
    open_end = text.endswith("*")
    text = text.removesuffix("*")
    if not text:
        raise ValueError(f"'{value}' has no bytes: an ATR pattern starts with bytes like '3B 88'")
    if "*" in text:
        raise ValueError(f"'{value}': '*' (any further bytes) may only end the pattern; use '??' for one byte")
    if len(text) % 2:
        raise ValueError(f"'{value}' has an odd number of hex digits: each byte is two digits or '??'")
    tokens = [text[i:i + 2] for i in range(0, len(text), 2)]
    for token in tokens:
        if token != "??" and any(ch not in "0123456789abcdefABCDEF" for ch in token):
            raise ValueError(f"'{value}': '{token}' is neither a hex byte nor '??' (any byte); '*' may only end it")
    if len(tokens) > _MAX_ATR_BYTES:
        raise ValueError(f"'{value}' is {len(tokens)} bytes long; an ATR has at most {_MAX_ATR_BYTES}")
    return " ".join(t.upper() for t in tokens) + (" *" if open_end else "")


# Keys that belong to one profile type only: a key of another type is a mistake, not something to ignore.
_PROFILE_KEYS: dict[str, frozenset[str]] = {
    "uid": frozenset(),
    "cn-id-text": frozenset({"select", "read", "text_offset"}),
    "iso7816-file": frozenset({"aid", "file_id", "offset", "length", "chunk", "content"}),
}
_TEXT_BLOCK_BYTES = 256
_ID_NUMBER_CHARS = 18


class CardProfileConfig(Strict):
    """One way of reading a card, tried on cards whose ATR matches one of ``atr`` (none listed: any card).

    - ``uid``: the card's UID through the PC/SC pseudo-APDU ``FF CA 00 00 00``;
    - ``cn-id-text``: ``select`` APDUs that must each answer 9000, then ``read`` APDUs whose data, joined,
      hold the ID card's 256-byte text block at ``text_offset``;
    - ``iso7816-file``: SELECT the application ``aid`` (and the file ``file_id``), then READ BINARY
      ``length`` bytes from ``offset`` in chunks of ``chunk`` bytes (the Le of each command).
    """

    id: Slug
    type: Literal["uid", "cn-id-text", "iso7816-file"]
    atr: list[str] = []
    select: list[str] = []
    read: list[str] = []
    text_offset: Annotated[int, Field(ge=0, le=4096)] = 0
    aid: str = ""
    file_id: str = ""
    offset: Annotated[int, Field(ge=0, le=0x7FFF)] = 0
    length: Annotated[int, Field(ge=1, le=0x8000)] = _TEXT_BLOCK_BYTES
    chunk: Annotated[int, Field(ge=1, le=256)] = 128
    # What the file holds: the ID card's text block, or an ID number in ASCII (padded with spaces, 00 or FF).
    content: Literal["cn-id-text", "id-number"] = "cn-id-text"

    @field_validator("atr")
    @classmethod
    def _atr_patterns(cls, patterns: list[str]) -> list[str]:
        return [_atr_pattern(p) for p in patterns]

    @field_validator("select", "read")
    @classmethod
    def _apdus(cls, apdus: list[str]) -> list[str]:
        checked = []
        for i, apdu in enumerate(apdus):
            try:
                checked.append(_apdu(apdu))
            except ValueError as exc:
                raise ValueError(f"[{i}]: {exc}") from None
        return checked

    @field_validator("aid")
    @classmethod
    def _aid(cls, value: str) -> str:
        if not value:
            return value
        data = _hex_bytes(value)
        if not 5 <= len(data) <= 16:
            raise ValueError(f"'{value}' is {len(data)} bytes; an application ID (AID) has 5 to 16")
        return data.hex(" ").upper()

    @field_validator("file_id")
    @classmethod
    def _file_id(cls, value: str) -> str:
        if not value:
            return value
        data = _hex_bytes(value)
        if len(data) != 2:
            raise ValueError(f"'{value}' is {len(data)} bytes; a file ID has 2 (e.g. '00 01')")
        return data.hex(" ").upper()

    @model_validator(mode="after")
    def _keys_fit_type(self) -> CardProfileConfig:
        foreign = sorted(k for k in self.model_fields_set
                         if any(k in keys for t, keys in _PROFILE_KEYS.items() if t != self.type))
        if foreign:
            names = ", ".join(f"'{k}'" for k in foreign)
            raise ValueError(f"{names} {'does' if len(foreign) == 1 else 'do'} not apply to a profile of type "
                             f"'{self.type}'")
        if self.type == "cn-id-text" and not self.read:
            raise ValueError("a 'cn-id-text' profile needs at least one APDU in 'read'")
        if self.type == "iso7816-file":
            if not self.aid:
                raise ValueError("an 'iso7816-file' profile needs 'aid' (the application to select)")
            if self.offset + self.length > 0x8000:
                raise ValueError("offset + length go beyond 32768, the largest READ BINARY offset")
            needed = _TEXT_BLOCK_BYTES if self.content == "cn-id-text" else _ID_NUMBER_CHARS
            if self.length < needed:
                raise ValueError(f"length {self.length} is too short for content '{self.content}' "
                                 f"({needed} bytes needed)")
        return self


class CardReaderConfig(Strict):
    """The ID card reader: "simulated" (on-screen demo cards) or "pcsc" (a reader through pcscd)."""

    driver: Literal["simulated", "pcsc"] = "simulated"
    # pcsc: part of the reader's name as `kioskctl card list` shows it, or a wildcard pattern
    # ("ACS ACR1281U* PICC*"); case does not matter. Empty: the first reader pcscd lists.
    reader: Annotated[str, Field(max_length=200)] = ""
    # A card that takes longer than this to read is refused; the citizen is asked to place it again.
    read_timeout_seconds: Annotated[float, Field(ge=1, le=60)] = 8.0
    # While pcscd or the reader is missing, look for it again this often.
    retry_seconds: Annotated[float, Field(ge=0.1, le=30)] = 1.0
    profiles: list[CardProfileConfig] = []

    @model_validator(mode="after")
    def _profiles(self) -> CardReaderConfig:
        if self.driver == "pcsc" and not self.profiles:
            raise ValueError("driver 'pcsc' needs at least one [[card_reader.profiles]] entry")
        seen: set[str] = set()
        for profile in self.profiles:
            if profile.id in seen:
                raise ValueError(f"profile id '{profile.id}' is used twice")
            seen.add(profile.id)
        return self


class DisplayConfig(Strict):
    fullscreen: bool = False
    width: Annotated[int, Field(ge=480, le=7680)] = 1080
    height: Annotated[int, Field(ge=480, le=7680)] = 1920
    # The panel's diagonal: with width and height it gives millimetres per pixel (touch targets of 15 mm).
    diagonal_inches: Annotated[float, Field(ge=7, le=110)] = 21.5


class AccessibilityConfig(Strict):
    # Every citizen's session starts (and ends) in this language and mode.
    language_default: Literal["zh", "en"] = "zh"
    large_font_default: bool = False
    large_font_scale: Annotated[float, Field(ge=1.1, le=2.5)] = 1.5
    result_return_seconds: Annotated[int, Field(ge=5, le=600)] = 20
    large_font_result_return_seconds: Annotated[int, Field(ge=5, le=600)] = 45
    # A screen left untouched this long returns home (with a 10-second countdown a touch cancels).
    idle_seconds: Annotated[int, Field(ge=20, le=1800)] = 60
    large_font_idle_seconds: Annotated[int, Field(ge=20, le=1800)] = 120
    # Spoken prompts in large-font mode (espeak-ng, when installed), at this many words per minute.
    speech: bool = True
    speech_rate: Annotated[int, Field(ge=80, le=400)] = 140
    # Empty: play on the sound card. A folder: write each prompt there as a WAV file instead (no sound card).
    speech_wav_dir: str = ""


class CallingConfig(Strict):
    """How windows call numbers (hall server and embedded queue alike)."""

    # A window calls at most this many green-channel or appointment tickets in a row before it calls an
    # ordinary ticket that is waiting, so that ordinary tickets are never starved.
    priority_calls_per_ordinary: Annotated[int, Field(ge=1, le=20)] = 3
    # A called citizen who does not come is called again this many times before the clerk may mark a no-show.
    recalls_before_no_show: Annotated[int, Field(ge=0, le=10)] = 2
    # Recent calls listed on the display board.
    board_recent_calls: Annotated[int, Field(ge=1, le=30)] = 8
    # A missed number (过号) may rejoin the queue (at the kiosk's queue status, or the clerk's page): "off" (a new
    # number is needed), "end" (at the end of its queue) or "after" (after the next ``rejoin_after`` people);
    # each ticket at most ``rejoin_times`` times a day.
    rejoin: Literal["off", "end", "after"] = "off"
    rejoin_after: Annotated[int, Field(ge=1, le=50)] = 3
    rejoin_times: Annotated[int, Field(ge=1, le=5)] = 1


class AppointmentsConfig(Strict):
    """When an appointment holder may check in at a kiosk, around the booked start time."""

    checkin_early_minutes: Annotated[int, Field(ge=0, le=240)] = 30
    checkin_late_minutes: Annotated[int, Field(ge=0, le=240)] = 15


class HallServerConfig(Strict):
    """The hall server (``kioskctl hall serve``): shared queue for many kiosks and windows."""

    host: Annotated[str, Field(min_length=1)] = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8700
    # SQLAlchemy URL of the hall's database; empty: hall.sqlite3 in the state folder. Several server
    # processes need PostgreSQL, e.g. postgresql://kiosk@db.hall.local/hall
    database_url: str = ""
    # Clerks and managers stay signed in this long.
    session_hours: Annotated[int, Field(ge=1, le=24)] = 12
    # How often the display board's event stream looks for new calls.
    event_poll_seconds: Annotated[float, Field(gt=0, le=5)] = 0.25

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("must be empty, an sqlite:/// URL or a postgresql:// URL")
        return value


class BackendConfig(Strict):
    """Where the kiosk's queue lives: in-process ("embedded", SQLite) or on the hall server ("hall")."""

    queue: Literal["embedded", "hall"] = "embedded"
    hall_url: str = ""
    # File holding this kiosk's device token (from ``kioskctl hall device add``); default <state_dir>/hall-token.
    token_file: str = ""
    connect_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 3.0
    read_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 5.0
    # The two-letter series this kiosk numbers from while the hall server cannot be reached (e.g. "XA");
    # empty: no offline numbering. It must be no group's prefix and differ between kiosks of a hall.
    offline_series: Annotated[str, Field(pattern=_OPTIONAL_PREFIX)] = ""
    # The outbox worker (with offline_series): after a failed delivery it waits outbox_retry_min_seconds, then
    # twice that, ... up to outbox_retry_max_seconds (shortened at random by up to half); while idle it asks the
    # hall server every hall_probe_seconds, so the offline mark clears by itself, and it copies today's
    # appointments (offline check-in by code) every appointments_copy_seconds. After a failed call a citizen's
    # next call goes offline at once for hall_probe_seconds (one timeout, not one per citizen).
    outbox_retry_min_seconds: Annotated[float, Field(gt=0, le=600)] = 1.0
    outbox_retry_max_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    hall_probe_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    appointments_copy_seconds: Annotated[float, Field(gt=0, le=86400)] = 300.0

    @model_validator(mode="after")
    def _outbox_retry_range(self) -> BackendConfig:
        if self.outbox_retry_max_seconds < self.outbox_retry_min_seconds:
            raise ValueError(f"outbox_retry_max_seconds ({self.outbox_retry_max_seconds:g}) must not be less than "
                             f"outbox_retry_min_seconds ({self.outbox_retry_min_seconds:g})")
        return self

    @model_validator(mode="after")
    def _url_for_hall(self) -> BackendConfig:
        if self.hall_url and not re.match(r"^https?://[^/\s]+", self.hall_url):
            raise ValueError(f"hall_url '{self.hall_url}' must start with http:// or https://")
        if self.queue == "hall" and not self.hall_url:
            raise ValueError("queue = \"hall\" needs hall_url (e.g. http://hall-server:8700)")
        return self

    # PEM file of the CA that signed the hall server's certificate (https:// hall_url); empty: the system's CAs.
    ca_file: str = ""
    # Reads, ticket issue and the hand-over of offline tickets (both idempotent by their key) are tried again
    # after a connection failure, a timeout or HTTP 502/503/504: up to `retries` more times, waiting
    # retry_backoff_seconds, then twice that, ... A retry starts only when it can still end within
    # request_budget_seconds, the longest a citizen waits for one call to the hall server.
    retries: Annotated[int, Field(ge=0, le=5)] = 2
    retry_backoff_seconds: Annotated[float, Field(ge=0, le=5)] = 0.25
    # At most 9 s: the screen waits 20 s at most for a number, and after a hall call that ran out of time the
    # kiosk still has to issue an offline number and print it.
    request_budget_seconds: Annotated[float, Field(gt=0, le=9)] = 9.0
    # How often a hall kiosk asks for a newer catalogue (service guides) besides at start; 0: at start only.
    catalogue_sync_seconds: Annotated[int, Field(ge=0, le=86400)] = 300

    @field_validator("ca_file")
    @classmethod
    def _readable_pem(cls, value: str) -> str:
        if not value:
            return value
        if not Path(value).is_absolute():
            raise ValueError(f"'{value}' must be an absolute path (e.g. /etc/kiosk/hall-ca.pem)")
        try:
            text = Path(value).read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise ValueError(f"'{value}' cannot be read ({exc.strerror or exc})") from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise ValueError(f"'{value}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        return value

    @model_validator(mode="after")
    def _tls_and_budget(self) -> BackendConfig:
        if self.ca_file and not self.hall_url.startswith("https://"):
            raise ValueError("ca_file is set but hall_url is not https://: the connection would not be encrypted")
        attempt = self.connect_timeout_seconds + self.read_timeout_seconds
        if attempt > self.request_budget_seconds:
            raise ValueError(f"connect_timeout_seconds + read_timeout_seconds ({attempt:g}) must not exceed "
                             f"request_budget_seconds ({self.request_budget_seconds:g})")
        return self


class AdminConfig(Strict):
    """The maintenance screen (a hidden gesture, then this PIN)."""

    pin_hash: Annotated[str, Field(pattern=_PIN_HASH)]
    # Five wrong PINs in a row lock the maintenance sign-in this long (a restart of the app does not end it).
    lockout_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    # The maintenance screen offers "exit to the maintenance shell": the app stops and is not restarted.
    allow_exit: bool = False

    @model_validator(mode="before")
    @classmethod
    def _no_unsalted_pin(cls, data: Any) -> Any:
        if isinstance(data, dict) and "pin_sha256" in data:
            raise ValueError("pin_sha256 (an unsalted hash) is no longer accepted: run `kioskctl admin hash-pin` "
                             "and replace the pin_sha256 line with the pin_hash line it prints")
        return data


class KioskFile(Strict):
    hall: HallConfig
    kiosk: KioskSection
    hours: HoursConfig
    queue: QueueConfig = QueueConfig()
    printer: PrinterConfig = PrinterConfig()
    card_reader: CardReaderConfig = CardReaderConfig()
    display: DisplayConfig = DisplayConfig()
    accessibility: AccessibilityConfig = AccessibilityConfig()
    calling: CallingConfig = CallingConfig()
    appointments: AppointmentsConfig = AppointmentsConfig()
    hall_server: HallServerConfig = HallServerConfig()
    backend: BackendConfig = BackendConfig()
    admin: AdminConfig


class GroupConfig(Strict):
    """A service group: what a number is issued for."""

    id: Slug
    prefix: Prefix
    name_zh: Text
    name_en: Text
    number_digits: Annotated[int, Field(ge=2, le=4)] = 3
    daily_quota: Annotated[int, Field(ge=1, le=9999)]
    service_minutes: Annotated[float, Field(gt=0, le=240)] = 10
    windows: Annotated[list[Annotated[str, Field(min_length=1, max_length=16)]], Field(min_length=1)]
    identity: Literal["required", "optional", "none"] = "optional"
    # Green-channel tickets get their own series with this prefix; empty: same series, flagged.
    priority_prefix: Annotated[str, Field(pattern=_OPTIONAL_PREFIX)] = ""
    wait_area_zh: str = ""
    wait_area_en: str = ""

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The series this group's numbers carry: its prefix, and its green channel's when it has one."""
        return tuple(p for name in PREFIX_FIELDS if (p := getattr(self, name)))

    def series_for(self, green_channel: bool) -> str:
        """The series a new number of this group takes: the green channel's own when it has one."""
        return self.priority_prefix if green_channel and self.priority_prefix else self.prefix

    @field_validator("daily_quota")
    @classmethod
    def _quota_fits_digits(cls, quota: int, info: ValidationInfo) -> int:
        digits = info.data.get("number_digits", 3)
        if quota >= 10**digits:
            raise ValueError(f"{quota} numbers do not fit in number_digits = {digits}")
        return quota


class Material(Strict):
    name_zh: Text
    name_en: str = ""
    original: Annotated[int, Field(ge=0, le=20)] = 1
    copies: Annotated[int, Field(ge=0, le=20)] = 0
    note_zh: str = ""
    note_en: str = ""


class MatterConfig(Strict):
    """A matter (事项) and its service guide (办事指南)."""

    id: Slug
    group: Slug
    name_zh: Text
    name_en: Text
    summary_zh: str = ""
    who_zh: str = ""
    basis_zh: str = ""
    unit_zh: str = ""
    steps_zh: list[str] = []
    materials: list[Material] = []
    fee_zh: str = "不收费"
    time_limit_zh: str = ""
    place_zh: str = ""
    phone: str = ""
    appointment_required: bool = False
    # The English guide; an empty field is shown in Chinese with a note that it is only in Chinese.
    summary_en: str = ""
    who_en: str = ""
    steps_en: list[str] = []
    fee_en: str = ""
    time_limit_en: str = ""
    place_en: str = ""

    @model_validator(mode="after")
    def _steps_match(self) -> MatterConfig:
        if self.steps_en and len(self.steps_en) != len(self.steps_zh):
            raise ValueError(f"steps_en has {len(self.steps_en)} steps but steps_zh has {len(self.steps_zh)}: "
                             "give each step in both languages, or leave steps_en empty")
        return self


class LifeEvent(Strict):
    """A life event (生活事件, e.g. having a baby): the matters a citizen usually needs for it."""

    id: Slug
    name_zh: Text
    name_en: Text
    matters: Annotated[list[Slug], Field(min_length=1)]


class ServicesFile(Strict):
    groups: Annotated[list[GroupConfig], Field(min_length=1)]
    matters: list[MatterConfig] = []
    life_events: list[LifeEvent] = []

    @property
    def prefixes(self) -> dict[str, str]:
        """Every group's series prefixes (``GroupConfig.prefixes``), each with the id of its group."""
        return {p: g.id for g in self.groups for p in g.prefixes}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration file."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key or '(file)'}: {self.message}"


class ConfigError(KioskError):
    """A configuration folder was refused; ``problems`` lists every reason."""

    code = "config_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Migration:
    """A file of an older schema version, read at the current one."""

    file: str
    version: int
    changes: tuple[str, ...]
    # The file at the current version as `kioskctl config apply` writes it, comments kept; None when the line
    # edits do not reproduce the migrated data (a key written as a dotted key or in an inline table).
    rewritten: str | None


@dataclass(frozen=True)
class KioskConfig:
    """A validated configuration: both files, where they came from, and the older files migrated to read it."""

    kiosk: KioskFile
    services: ServicesFile
    source_dir: Path
    migrations: tuple[Migration, ...] = ()

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.kiosk.hall.timezone)

    def group(self, group_id: str) -> GroupConfig:
        for group in self.services.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def state_dir(self) -> Path:
        """Where the queue database, ticket images and logs go; ``KIOSK_STATE_DIR`` overrides it."""
        return Path(os.environ.get("KIOSK_STATE_DIR") or self.kiosk.kiosk.state_dir)


def default_config_dir() -> Path:
    """``KIOSK_CONFIG_DIR``, else ``/etc/kiosk`` when it holds a kiosk.toml, else the bundled defaults."""
    if env := os.environ.get("KIOSK_CONFIG_DIR"):
        return Path(env)
    etc = Path("/etc/kiosk")
    if (etc / KIOSK_FILE).is_file():
        return etc
    return BUNDLED_CONFIG_DIR


def _key_path(loc: tuple[int | str, ...], data: Any) -> str:
    """``('groups', 2, 'prefix')`` -> ``groups[2](id=tax).prefix``, naming list items by their id."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label += f"(id={node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + item)
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)


def _read_toml(path: Path) -> tuple[TomlDocument | None, list[Problem]]:
    try:
        return TomlDocument(path.read_bytes().decode("utf-8")), []
    except FileNotFoundError:
        return None, [Problem(path.name, "", f"file not found in {path.parent}")]
    except tomllib.TOMLDecodeError as exc:
        return None, [Problem(path.name, "", f"not valid TOML: {exc}")]
    except UnicodeDecodeError:
        return None, [Problem(path.name, "", "not UTF-8 text")]


def _validate(model: type[M], file: str, data: dict[str, Any]) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key (check the spelling)"
            elif err["type"] == "string_pattern_mismatch":
                message = _PATTERN_HELP.get(str(err.get("ctx", {}).get("pattern")), message)
            problems.append(Problem(file, _key_path(tuple(err["loc"]), data), message))
        return None, problems


def _items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _cross_checks(data: dict[str, Any]) -> list[Problem]:
    """Checks across entries (unique ids and prefixes, matters naming a group, life events naming matters),
    on the raw data so that they are reported together with the schema's problems."""
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_prefixes: dict[str, str] = {}
    for i, group in enumerate(_items(data, "groups")):
        gid = group.get("id")
        key = f"groups[{i}](id={gid})" if isinstance(gid, str) else f"groups[{i}]"
        if isinstance(gid, str):
            if gid in seen_ids:
                problems.append(Problem(SERVICES_FILE, f"{key}.id", f"'{gid}' is used by groups[{seen_ids[gid]}] too"))
            seen_ids.setdefault(gid, i)
        for field_name in PREFIX_FIELDS:
            prefix = group.get(field_name)
            if not isinstance(prefix, str) or not prefix:
                continue
            if prefix in seen_prefixes:
                problems.append(Problem(SERVICES_FILE, f"{key}.{field_name}",
                                        f"prefix '{prefix}' is already used by group '{seen_prefixes[prefix]}'"))
            seen_prefixes.setdefault(prefix, str(gid))
    matter_ids: set[str] = set()
    for i, matter in enumerate(_items(data, "matters")):
        mid, group_id = matter.get("id"), matter.get("group")
        key = f"matters[{i}](id={mid})" if isinstance(mid, str) else f"matters[{i}]"
        if isinstance(group_id, str) and group_id not in seen_ids:
            problems.append(Problem(SERVICES_FILE, f"{key}.group", f"no service group has the id '{group_id}'"))
        if isinstance(mid, str):
            if mid in matter_ids:
                problems.append(Problem(SERVICES_FILE, f"{key}.id", f"'{mid}' is used by another matter too"))
            matter_ids.add(mid)
    event_ids: set[str] = set()
    for i, event in enumerate(_items(data, "life_events")):
        eid, listed = event.get("id"), event.get("matters")
        key = f"life_events[{i}](id={eid})" if isinstance(eid, str) else f"life_events[{i}]"
        if isinstance(eid, str):
            if eid in event_ids:
                problems.append(Problem(SERVICES_FILE, f"{key}.id", f"'{eid}' is used by another life event too"))
            event_ids.add(eid)
        for j, mid in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(mid, str) and mid not in matter_ids:
                problems.append(Problem(SERVICES_FILE, f"{key}.matters[{j}]", f"no matter has the id '{mid}'"))
    return problems


def _kiosk_1_to_2(doc: TomlDocument) -> list[str]:
    # "workday_hours_from" read like a time ("hours from 09:00"); the key names a weekday whose hours make-up
    # workdays borrow.
    return doc.rename("hours", "workday_hours_from", "workdays_use_hours_of")


# _MIGRATIONS[file][n] turns that file from version n into n + 1; services.toml changed only its number.
_MIGRATIONS: dict[str, dict[int, Step]] = {
    KIOSK_FILE: {1: _kiosk_1_to_2},
    SERVICES_FILE: {},
}


def _migrate(file: str, doc: TomlDocument) -> tuple[Migration | None, list[Problem]]:
    """Bring ``doc`` to ``SCHEMA_VERSION`` in memory; a file newer than this code is a problem."""
    try:
        version, changes = migrate(doc, _MIGRATIONS[file], SCHEMA_VERSION)
    except MigrationError as exc:
        return None, [Problem(file, exc.key, exc.message)]
    if version == SCHEMA_VERSION:
        return None, []
    return Migration(file, version, tuple(changes), doc.text if doc.text_matches_data() else None), []


def migrated_file(file: str, text: str) -> Migration | None:
    """``text`` of ``file`` (kiosk.toml or services.toml) read at the current version; None when it already
    is, or is not readable at all (``load_config`` then says why)."""
    try:
        doc = TomlDocument(text)
    except tomllib.TOMLDecodeError:
        return None
    return _migrate(file, doc)[0]


def _read_current(folder: Path, file: str) -> tuple[dict[str, Any] | None, Migration | None, list[Problem]]:
    """A file's data at the current version (without the version key, which is no setting), or its problems."""
    doc, problems = _read_toml(folder / file)
    if doc is None:
        return None, None, problems
    migration, problems = _migrate(file, doc)
    data = None if problems else {k: v for k, v in doc.data.items() if k != SCHEMA_KEY}
    return data, migration, problems


def load_config(config_dir: Path | str | None = None) -> KioskConfig:
    """Read, migrate and validate both files of ``config_dir``; raise ``ConfigError`` with every problem found."""
    folder = Path(config_dir) if config_dir is not None else default_config_dir()
    problems: list[Problem] = []
    kiosk_data, kiosk_migration, found = _read_current(folder, KIOSK_FILE)
    problems += found
    services_data, services_migration, found = _read_current(folder, SERVICES_FILE)
    problems += found
    kiosk_file = services = None
    if kiosk_data is not None:
        kiosk_file, found = _validate(KioskFile, KIOSK_FILE, kiosk_data)
        problems += found + _renamed_note(kiosk_migration, found)
    if services_data is not None:
        services, found = _validate(ServicesFile, SERVICES_FILE, services_data)
        found += _cross_checks(services_data)
        problems += found + _renamed_note(services_migration, found)
    if problems or kiosk_file is None or services is None:
        raise ConfigError(problems)
    migrations = tuple(m for m in (kiosk_migration, services_migration) if m is not None)
    return KioskConfig(kiosk_file, services, folder, migrations)


def _renamed_note(migration: Migration | None, problems: list[Problem]) -> list[Problem]:
    """Problems of a migrated file name keys as the current version does; say so where the file differs."""
    if migration is None or not migration.changes or not problems:
        return []
    return [Problem(migration.file, SCHEMA_KEY, f"version {migration.version} file, read as version {SCHEMA_VERSION} "
                    f"after: {'; '.join(migration.changes)}; the keys above are named as in version {SCHEMA_VERSION}")]


def validate_services(data: dict[str, Any], file: str = SERVICES_FILE) -> ServicesFile:
    """Validate a services catalogue given as data (e.g. sent to the hall server); ``ConfigError`` lists problems."""
    services, problems = _validate(ServicesFile, file, data)
    problems += _cross_checks(data)
    if problems or services is None:
        raise ConfigError(problems)
    return services
