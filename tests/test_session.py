"""One citizen's session (kiosk.session): the choice, the identity, language and mode, and how it ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from kiosk.config import KioskConfig
from kiosk.identity import Identity
from kiosk.session import CitizenSession, NextStep, SessionDefaults


@pytest.fixture
def changes() -> list[tuple[str, bool, str, str]]:
    return []


@pytest.fixture
def session(config: KioskConfig, changes: list[tuple[str, bool, str, str]]) -> CitizenSession:
    def seen(s: CitizenSession) -> None:
        changes.append((s.lang, s.large, s.group_id, s.identity_text))

    return CitizenSession(SessionDefaults.from_config(config), seen)


@pytest.fixture
def citizen(id_number: Callable[..., str]) -> Identity:
    return Identity.from_id_number(id_number(date(1980, 5, 17)), name="张三丰", source="test")


def test_defaults_come_from_the_configuration(config: KioskConfig) -> None:
    acc = config.kiosk.accessibility.model_copy(update={"language_default": "en", "large_font_default": True})
    other = KioskConfig(config.kiosk.model_copy(update={"accessibility": acc}), config.services, config.source_dir)
    session = CitizenSession(SessionDefaults.from_config(other))
    assert (session.lang, session.large) == ("en", True)
    assert SessionDefaults.from_config(config) == SessionDefaults("zh", False, config.kiosk.queue.elderly_age)


def test_a_group_without_a_card_asks_for_one_unless_none_is_needed(session: CitizenSession, config: KioskConfig,
                                                                   citizen: Identity) -> None:
    by_identity = {g.identity: g for g in config.services.groups}
    assert session.choose_group(by_identity["optional"]) is NextStep.IDENTIFY and session.may_skip_card
    assert session.choose_group(by_identity["required"]) is NextStep.IDENTIFY and not session.may_skip_card
    no_card = by_identity["optional"].model_copy(update={"identity": "none"})
    assert session.choose_group(no_card) is NextStep.ISSUE and not session.may_skip_card
    session.card_read(citizen)
    assert session.choose_group(by_identity["required"]) is NextStep.ISSUE


def test_with_the_reader_down_only_a_group_that_needs_a_card_is_out_of_reach(session: CitizenSession,
                                                                               config: KioskConfig,
                                                                               citizen: Identity) -> None:
    by_identity = {g.identity: g for g in config.services.groups}
    assert session.out_of_reach(by_identity["required"], reader_down=True)
    assert not session.out_of_reach(by_identity["required"], reader_down=False)
    assert not session.out_of_reach(by_identity["optional"], reader_down=True)
    session.card_read(citizen)  # read before the reader went down: the card is known
    assert not session.out_of_reach(by_identity["required"], reader_down=True)


def test_the_identity_is_shown_masked_only(session: CitizenSession, citizen: Identity) -> None:
    session.card_read(citizen)
    assert session.identity_text == f"{citizen.masked_name} {citizen.masked_number}"
    assert citizen.id_number not in session.identity_text and "张三丰" not in session.identity_text


def test_the_session_ends_with_the_configured_defaults_and_forgets_the_identity(
        session: CitizenSession, config: KioskConfig, citizen: Identity,
        changes: list[tuple[str, bool, str, str]]) -> None:
    session.toggle_language()
    session.toggle_large()
    session.card_read(citizen)
    session.choose_group(config.services.groups[0])
    assert (session.lang, session.large, session.identity) == ("en", True, citizen)
    assert not session.fresh
    session.end("idle")
    assert (session.lang, session.large, session.identity, session.group) == ("zh", False, None, None)
    assert session.fresh and changes[-1] == ("zh", False, "", "")


def test_a_card_taken_away_before_the_number_ends_the_session(session: CitizenSession, config: KioskConfig,
                                                              citizen: Identity) -> None:
    session.toggle_language()
    session.choose_group(config.services.groups[0])
    session.card_read(citizen)
    assert session.card_taken() is True
    assert (session.identity, session.group, session.lang) == (None, None, "zh")


def test_after_the_number_the_identity_is_forgotten_and_lifting_the_card_ends_nothing(
        session: CitizenSession, config: KioskConfig, citizen: Identity) -> None:
    session.toggle_large()
    session.choose_group(config.services.groups[0])
    session.card_read(citizen)
    session.number_issued()
    assert session.identity is None and session.identity_text == ""
    assert session.card_taken() is False
    assert session.large and session.group is not None  # the citizen still reads the ticket in their mode


def test_a_card_taken_away_outside_a_number_forgets_only_the_identity(session: CitizenSession,
                                                                      citizen: Identity) -> None:
    """A lookup by card (progress, rating): the citizen keeps reading in their language."""
    session.toggle_language()
    session.card_read(citizen)
    assert session.card_taken() is False
    assert (session.identity, session.lang) == (None, "en")
    assert session.card_taken() is False  # no card: nothing happens


def test_a_senior_card_is_offered_large_font_mode(session: CitizenSession, citizen: Identity,
                                                  id_number: Callable[..., str]) -> None:
    today = date(2026, 11, 24)
    assert not session.offers_large_mode(today)  # no card
    session.card_read(citizen)
    assert not session.offers_large_mode(today)  # 46 years old
    session.end()
    senior = Identity.from_id_number(id_number(date(1966, 11, 24)), name="李四", source="test")  # 60 today
    session.card_read(senior)
    assert session.offers_large_mode(today)
    assert not session.offers_large_mode(date(2026, 11, 23))  # the day before the birthday: 59
    session.set_large(True)
    assert not session.offers_large_mode(today)  # already on


def test_voice_follows_large_font_mode_until_switched_and_ends_with_the_session(session: CitizenSession) -> None:
    assert not session.spoken
    session.toggle_voice()  # standard mode, voice on
    assert session.spoken and not session.large and not session.fresh
    session.toggle_large()
    session.toggle_voice()  # large-font mode, voice off
    assert session.large and not session.spoken
    session.end()
    assert session.fresh and not session.spoken and session.voice is None
    session.toggle_large()  # large-font mode speaks by itself
    assert session.spoken
