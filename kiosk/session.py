"""One citizen's session at the kiosk: the service chosen, the identity read, language, large-font mode and voice.

Plain Python, no Kivy: the screens show its state and send it the citizen's choices. A session ends when
the citizen is done (back home after the ticket), on the idle return home, or when the card is taken away
before the number it was read for was issued; it then forgets the identity and puts language and mode back to the configured
defaults, so the next citizen starts where every citizen starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiosk.config import GroupConfig, KioskConfig
from kiosk.identity import Identity
from kiosk.texts import other

log = logging.getLogger(__name__)


class NextStep(StrEnum):
    """What follows the choice of a service group."""

    IDENTIFY = "identify"  # ask for the ID card first
    ISSUE = "issue"  # issue the number now


@dataclass(frozen=True)
class SessionDefaults:
    """Where every session starts and ends."""

    lang: str = "zh"
    large: bool = False
    elderly_age: int = 60  # ``[queue] elderly_age``: from this age a card holder is offered large-font mode

    @classmethod
    def from_config(cls, config: KioskConfig) -> SessionDefaults:
        acc = config.kiosk.accessibility
        return cls(acc.language_default, acc.large_font_default, config.kiosk.queue.elderly_age)


class CitizenSession:
    """What one citizen has done so far. ``on_change`` is called after every change (the app mirrors the
    state into its view); it runs on the caller's thread, the UI thread in the app."""

    def __init__(self, defaults: SessionDefaults, on_change: Callable[[CitizenSession], None] | None = None) -> None:
        self.defaults = defaults
        self._on_change = on_change
        self.lang = defaults.lang
        self.large = defaults.large
        # Voice on or off as the citizen switched it; None: it follows large-font mode (``spoken``).
        self.voice: bool | None = None
        self.identity: Identity | None = None
        self.group: GroupConfig | None = None
        self.issued = False  # a number was issued in this session

    # -- the citizen's choices -------------------------------------------------------------------------

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self._changed()

    def toggle_language(self) -> None:
        self.set_language(other(self.lang))

    def set_large(self, large: bool) -> None:
        self.large = large
        self._changed()

    def toggle_large(self) -> None:
        self.set_large(not self.large)

    @property
    def spoken(self) -> bool:
        """Prompts, steps and errors are read aloud: in large-font mode, unless the voice switch says otherwise."""
        return self.large if self.voice is None else self.voice

    def toggle_voice(self) -> None:
        self.voice = not self.spoken
        self._changed()

    def choose_group(self, group: GroupConfig) -> NextStep:
        """The citizen chose ``group``: the ID card is asked for unless the group needs none or it was read."""
        self.group = group
        self._changed()
        if self.identity is not None or group.identity == "none":
            return NextStep.ISSUE
        return NextStep.IDENTIFY

    @property
    def group_id(self) -> str:
        return self.group.id if self.group is not None else ""

    @property
    def may_skip_card(self) -> bool:
        """The chosen group lets the citizen take a number without an ID card."""
        return self.group is not None and self.group.identity == "optional"

    def out_of_reach(self, group: GroupConfig, reader_down: bool) -> bool:
        """``group`` cannot be taken now: it needs an ID card, none was read, and the reader cannot read one (the
        kiosk offers the groups that need none, and the help call)."""
        return reader_down and group.identity == "required" and self.identity is None

    # -- the card --------------------------------------------------------------------------------------

    def card_read(self, identity: Identity) -> None:
        self.identity = identity
        log.info("card read: %s", repr(identity))  # masked; the session keeps the identity until it ends
        self._changed()

    def offers_large_mode(self, today: date) -> bool:
        """The card read is a senior's (the green channel's age) and large-font mode is off: offer it."""
        return (not self.large and self.identity is not None
                and self.identity.age(today) >= self.defaults.elderly_age)

    @property
    def identity_text(self) -> str:
        """The identity as it may be shown: masked name and number, or ""."""
        who = self.identity
        return f"{who.masked_name} {who.masked_number}" if who is not None else ""

    def card_taken(self) -> bool:
        """The card left the reader: the identity is forgotten. While the citizen was taking a number (a group
        chosen, no number issued yet) this ends the session: they walked away, or will start again. Returns
        True when it ended."""
        if self.identity is None:
            return False
        if self.group is not None and not self.issued:
            self.end("card taken away before a number was issued")
            return True
        self.forget_identity()
        return False

    def forget_identity(self) -> None:
        """Drop the identity (a card read for staff, a card taken away) and keep the rest of the session."""
        self.identity = None
        self._changed()

    # -- the end ---------------------------------------------------------------------------------------

    def number_issued(self) -> None:
        """A number was issued: the identity is no longer needed and is forgotten now."""
        self.issued = True
        self.identity = None
        self._changed()

    @property
    def fresh(self) -> bool:
        """Nothing in this session differs from a new one."""
        return (self.identity is None and self.group is None and not self.issued
                and (self.lang, self.large, self.voice) == (self.defaults.lang, self.defaults.large, None))

    def end(self, why: str = "done") -> None:
        """Forget the identity and the choice, and go back to the configured language and mode."""
        if not self.fresh:
            log.info("citizen session ended: %s", why)
        self.identity = None
        self.group = None
        self.issued = False
        self.lang, self.large, self.voice = self.defaults.lang, self.defaults.large, None
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)
