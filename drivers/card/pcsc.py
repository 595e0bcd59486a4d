"""ID cards through pcscd, on pyscard's low-level ``smartcard.scard`` API.

One watcher thread per reader object: it opens a PC/SC context, picks the reader whose name matches the
configured pattern, and waits in ``SCardGetStatusChange`` for cards. A card that arrives is connected,
read by the first card profile that fits (``drivers.card.profiles``), disconnected with a reset, and
reported; events go to the listener on the watcher thread.

pcscd may stop, restart or lose the reader at any time. Every PC/SC failure is sorted into "the service
is gone" (drop the context, look again every ``retry_seconds``), "the reader is gone" (look for it again)
or "the card is gone" (``CardRemovedEarly``); the thread itself never dies of one. Why not pyscard's
``CardMonitor``: it polls every reader on its own thread, reports no service loss, and its observers
cannot tell a pcscd restart from a card removal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from smartcard import scard

from drivers.card.profiles import CardResult, Response, read_card
from kiosk.config import CardProfileConfig
from kiosk.devices.card import (
    CardError,
    CardEvent,
    CardFailed,
    CardInserted,
    CardListener,
    CardReading,
    CardRemoved,
    CardRemovedEarly,
    CardUidRead,
    ReaderMissing,
    ReaderState,
    ReaderStatus,
    UnsupportedCard,
    reader_matches,
)

log = logging.getLogger(__name__)

# pcscd is not there (not running, restarted, socket gone): every handle of the context is dead.
_SERVICE_LOST = frozenset({scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE,
                           scard.SCARD_F_COMM_ERROR, scard.SCARD_F_INTERNAL_ERROR, scard.SCARD_E_NO_MEMORY})
_READER_GONE = frozenset({scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE})
_CARD_GONE = frozenset({scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD})
_CARD_MUTE = frozenset({scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD,
                        scard.SCARD_W_UNSUPPORTED_CARD, scard.SCARD_E_PROTO_MISMATCH})
_READER_LOST_STATES = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE
# After a failed transmit, how long to wait for pcscd to notice that the card left (it polls readers).
_REMOVAL_GRACE_SECONDS = 1.0
# After pcscd came back, how long a card it does not report yet still counts as lying on the reader.
_RESUME_GRACE_SECONDS = 2.0


def _message(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


class _ServiceLost(Exception):
    """pcscd went away: the context must be re-established."""


class _TransmitFailed(CardError):
    """A command did not reach the card or no answer came back; whether the card left is decided later."""


@dataclass(frozen=True)
class ReaderInfo:
    """One reader as pcscd sees it (for ``kioskctl card list``)."""

    name: str
    card_present: bool
    mute: bool
    atr: bytes = field(default=b"")
    in_use: bool = False


@dataclass(frozen=True)
class PcscSettings:
    reader_pattern: str = ""
    retry_seconds: float = 1.0
    # The longest a status wait blocks: bounds how long ``stop`` and a vanished reader go unnoticed.
    poll_seconds: float = 1.0


class _Context:
    """A PC/SC context; every failure that means "pcscd is gone" raises ``_ServiceLost``."""

    def __init__(self) -> None:
        hresult, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise _ServiceLost(f"SCardEstablishContext: {_message(hresult)}")

    def release(self) -> None:
        scard.SCardReleaseContext(self.handle)

    def cancel(self) -> None:
        scard.SCardCancel(self.handle)

    def readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self.handle, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            raise _ServiceLost(f"SCardListReaders: {_message(hresult)}")
        return list(names)

    def status_change(self, timeout_s: float, states: list[tuple[str, int]]) -> tuple[int, list[tuple[str, int, list[int]]]]:
        """``SCardGetStatusChange``: (hresult, new states); only service loss raises."""
        hresult, new_states = scard.SCardGetStatusChange(self.handle, int(timeout_s * 1000), states)
        if hresult in _SERVICE_LOST:
            raise _ServiceLost(f"SCardGetStatusChange: {_message(hresult)}")
        return hresult, new_states


def list_readers() -> list[ReaderInfo]:
    """Every reader pcscd knows, with its card state. Raises ``ReaderMissing`` when pcscd is unreachable."""
    try:
        context = _Context()
    except _ServiceLost as exc:
        raise ReaderMissing(f"pcscd is not reachable: {exc}") from None
    try:
        names = context.readers()
        if not names:
            return []
        hresult, states = context.status_change(0, [(n, scard.SCARD_STATE_UNAWARE) for n in names])
        if hresult != scard.SCARD_S_SUCCESS:
            raise ReaderMissing(f"SCardGetStatusChange: {_message(hresult)}")
        return [ReaderInfo(name, bool(state & scard.SCARD_STATE_PRESENT), bool(state & scard.SCARD_STATE_MUTE),
                           bytes(atr), bool(state & scard.SCARD_STATE_INUSE)) for name, state, atr in states]
    except _ServiceLost as exc:
        raise ReaderMissing(f"pcscd went away: {exc}") from None
    finally:
        context.release()


class _ContextSlot:
    """One watcher thread's PC/SC context, reachable from ``stop`` to cancel a blocking wait. Each start
    gets a new slot, so a watcher that is slow to end never releases its successor's context."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: _Context | None = None

    def open(self) -> _Context:
        with self._lock:
            if self._context is None:
                self._context = _Context()
            return self._context

    def close(self) -> None:
        with self._lock:
            if self._context is not None:
                self._context.release()
                self._context = None

    def cancel(self) -> None:
        # SCardCancel is one message to pcscd and does not wait for a card: safe from the UI thread.
        with self._lock:
            if self._context is not None:
                self._context.cancel()


class _PcscChannel:
    """A connected card: commands go through ``SCardTransmit``; nothing it carries is logged."""

    def __init__(self, hcard: int, protocol: int, atr: bytes) -> None:
        self._hcard = hcard
        self._pci = scard.SCARD_PCI_T0 if protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
        self._atr = atr

    @property
    def atr(self) -> bytes:
        return self._atr

    def transmit(self, apdu: bytes) -> Response:
        hresult, response = scard.SCardTransmit(self._hcard, self._pci, list(apdu))
        if hresult in _CARD_GONE:
            raise CardRemovedEarly(f"SCardTransmit: {_message(hresult)}")
        if hresult in _SERVICE_LOST or hresult in _READER_GONE:
            raise ReaderMissing(f"SCardTransmit: {_message(hresult)}")
        if hresult != scard.SCARD_S_SUCCESS:
            raise _TransmitFailed(f"SCardTransmit: {_message(hresult)}")
        if len(response) < 2:
            raise _TransmitFailed(f"SCardTransmit: {len(response)}-byte response has no status word")
        return Response(bytes(response[:-2]), response[-2] << 8 | response[-1])


class PcscCardReader:
    """A ``CardReader`` on pcscd: reports readers coming and going, cards arriving, read and leaving."""

    def __init__(self, profiles: Sequence[CardProfileConfig], settings: PcscSettings | None = None,
                 today: Callable[[], date] = date.today) -> None:
        self._profiles = tuple(profiles)
        self._settings = settings or PcscSettings()
        self._today = today
        self._state = ReaderState.STOPPED
        self._available: bool | None = None
        self._reader = ""
        # True from a card's arrival until it is seen gone; survives pcscd restarts, so a card that stayed on
        # the reader through one is not read (and its holder identified) a second time.
        self._card_on_reader = False
        self._card_atr = b""
        self._resumed = False  # the context is new after pcscd went away
        self._listener: CardListener | None = None
        self._emit_lock = threading.RLock()
        self._contexts = _ContextSlot()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- CardReader ---------------------------------------------------------------------------

    def start(self, on_event: CardListener) -> None:
        if self._thread is not None and self._thread.is_alive() and not self._stopping.is_set():
            raise RuntimeError("the reader is already started")
        with self._emit_lock:
            self._listener = on_event
        self._stopping = threading.Event()
        self._contexts = _ContextSlot()
        self._available = None
        self._thread = threading.Thread(target=self._run, args=(self._stopping, self._contexts), name="pcsc-reader",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._emit_lock:
            self._listener = None
        self._stopping.set()
        self._contexts.cancel()  # wakes the watcher from SCardGetStatusChange
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            # Short: stop may run on the UI thread. A transmit to a hung card cannot be cancelled; such a
            # watcher ends on its own later and, no longer the current thread, sends nothing more.
            thread.join(timeout=1.0)
        self._state = ReaderState.STOPPED

    def status(self) -> ReaderState:
        return self._state

    # -- watcher thread -----------------------------------------------------------------------

    def _emit(self, event: CardEvent) -> None:
        with self._emit_lock:  # held while delivering, so nothing arrives after ``stop`` returns
            if (self._listener is not None and not self._stopping.is_set()
                    and threading.current_thread() is self._thread):
                self._listener(event)

    def _set_available(self, available: bool, detail: str = "") -> None:
        """Update the state; tell the listener only when the reader appears or disappears."""
        if not available:
            self._state = ReaderState.NO_READER
        elif self._state in (ReaderState.NO_READER, ReaderState.STOPPED):
            self._state = ReaderState.READY
        if available != self._available:
            self._available = available
            name = self._reader or self._settings.reader_pattern
            if available:
                log.info("card reader ready: %s", name)
            else:
                log.warning("card reader not available: %s", detail)
            self._emit(ReaderStatus(self._state, name, detail))

    def _run(self, stopping: threading.Event, contexts: _ContextSlot) -> None:
        while not stopping.is_set():
            try:
                context = contexts.open()
                names = context.readers()
                reader = next((n for n in names if reader_matches(self._settings.reader_pattern, n)), None)
                if reader is None:
                    self._set_available(False, f"no reader matches '{self._settings.reader_pattern}' "
                                               f"(pcscd lists {len(names)}: {', '.join(names) or 'none'})")
                    stopping.wait(self._settings.retry_seconds)
                    continue
                self._reader = reader
                self._watch(context, reader, stopping)
            except _ServiceLost as exc:
                contexts.close()
                self._resumed = True
                self._set_available(False, f"pcscd is not reachable: {exc}")
                stopping.wait(self._settings.retry_seconds)
            except Exception:  # the watcher must outlive any surprise; the next round starts afresh
                log.exception("card reader watcher failed; starting over")
                contexts.close()
                stopping.wait(self._settings.retry_seconds)
        contexts.close()

    def _watch(self, context: _Context, reader: str, stopping: threading.Event) -> None:
        """Follow one reader until it disappears or the watcher stops; raises ``_ServiceLost``."""
        known, atr = scard.SCARD_STATE_UNAWARE, b""
        # Just after pcscd came back it may report the slot empty until it has polled the reader once: a card
        # that lay there all along is not "removed" (and read again) unless it stays missing for a while.
        grace_until = time.monotonic() + _RESUME_GRACE_SECONDS if self._resumed else 0.0
        self._resumed = False
        while not stopping.is_set():
            grace_left = grace_until - time.monotonic()
            timeout = min(self._settings.poll_seconds, grace_left) if grace_left > 0 else self._settings.poll_seconds
            hresult, states = context.status_change(timeout, [(reader, known)])
            if hresult == scard.SCARD_E_CANCELLED or (hresult == scard.SCARD_E_TIMEOUT
                                                       and known == scard.SCARD_STATE_UNAWARE):
                continue
            if hresult in _READER_GONE:
                self._set_available(False, f"reader '{reader}' went away")
                return
            if hresult == scard.SCARD_S_SUCCESS:
                _name, event, new_atr = states[0]
                log.debug("reader %s: state 0x%08X", reader, event)
                # pcsc-lite keeps an event counter in the upper bits: hand the state back as we got it.
                known, atr = event & ~scard.SCARD_STATE_CHANGED, bytes(new_atr)
            elif hresult != scard.SCARD_E_TIMEOUT:  # a timeout re-checks the last state (the grace may be over)
                raise _ServiceLost(f"SCardGetStatusChange: {_message(hresult)}")
            if known & _READER_LOST_STATES:
                self._set_available(False, f"reader '{reader}' went away")
                return
            self._set_available(True)
            present = bool(known & scard.SCARD_STATE_PRESENT)
            if present and self._card_on_reader and atr != self._card_atr:
                self._removed(reader)  # another card was put there while pcscd was away
            if present and not self._card_on_reader:
                self._card_on_reader, self._card_atr = True, atr
                self._state = ReaderState.CARD_PRESENT
                if known & scard.SCARD_STATE_MUTE:
                    self._emit(CardFailed(UnsupportedCard("the card does not answer (mute)"), reader))
                else:
                    self._read(context, reader, atr, known)
            elif not present and self._card_on_reader and time.monotonic() >= grace_until:
                self._removed(reader)

    def _removed(self, reader: str) -> None:
        self._card_on_reader, self._card_atr = False, b""
        self._state = ReaderState.READY
        log.info("card removed from %s", reader)
        self._emit(CardRemoved(reader))

    def _read(self, context: _Context, reader: str, atr: bytes, known: int) -> None:
        log.info("card on %s (ATR %s): reading", reader, atr.hex(" ").upper())
        self._emit(CardReading(reader))
        try:
            result = self._read_card(context, reader, atr)
        except _TransmitFailed as exc:
            # pcscd dying mid-call shows as odd codes (e.g. "access denied"): ask it whether it is still there.
            if not self._service_alive(context):
                self._card_on_reader = False
                self._report_failure(reader, ReaderMissing(exc.detail))
            elif self._card_left(context, reader, known):
                self._report_failure(reader, CardRemovedEarly(exc.detail))
            else:
                self._report_failure(reader, CardError(exc.detail))
        except ReaderMissing as exc:
            # pcscd or the reader went away mid-read: read the card again once it is back.
            self._card_on_reader = False
            self._report_failure(reader, exc)
        except CardError as exc:
            self._report_failure(reader, exc)
        else:
            # repr() now: a log record must not keep the identity alive (handlers may hold records).
            log.info("card read by profile %s: %s", result.profile, repr(result))
            self._emit(self._success(result, reader))

    def _report_failure(self, reader: str, error: CardError) -> None:
        log.warning("card on %s not read: %s (%s)", reader, error.code, error.detail)
        self._emit(CardFailed(error, reader))

    @staticmethod
    def _success(result: CardResult, reader: str) -> CardEvent:
        if result.identity is not None:
            return CardInserted(result.identity, reader, result.profile)
        return CardUidRead(result.uid, reader, result.profile)

    def _read_card(self, context: _Context, reader: str, atr: bytes) -> CardResult:
        hresult, hcard, protocol = scard.SCardConnect(context.handle, reader, scard.SCARD_SHARE_SHARED,
                                                      scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if hresult != scard.SCARD_S_SUCCESS:
            raise self._connect_error(hresult)
        # Reset when done: no application stays selected on the card for whoever talks to it next. Not after
        # a transport failure: resetting a card that is gone makes pcscd 1.9 report the slot empty until
        # its next removal event, even when a card is put back at once.
        disposition = scard.SCARD_LEAVE_CARD
        try:
            # A transaction keeps other PC/SC clients off the card between our commands.
            hresult = scard.SCardBeginTransaction(hcard)
            if hresult != scard.SCARD_S_SUCCESS:
                raise self._connect_error(hresult)
            try:
                result = read_card(_PcscChannel(hcard, protocol, atr), self._profiles, self._today)
                disposition = scard.SCARD_RESET_CARD
                return result
            except (CardRemovedEarly, ReaderMissing, _TransmitFailed):
                raise
            except CardError:
                disposition = scard.SCARD_RESET_CARD  # the card answered; it just is not a valid ID card
                raise
            finally:
                scard.SCardEndTransaction(hcard, scard.SCARD_LEAVE_CARD)
        finally:
            scard.SCardDisconnect(hcard, disposition)

    @staticmethod
    def _connect_error(hresult: int) -> CardError:
        detail = f"SCardConnect: {_message(hresult)}"
        if hresult in _CARD_GONE:
            return CardRemovedEarly(detail)
        if hresult in _CARD_MUTE:
            return UnsupportedCard(detail)
        if hresult in _SERVICE_LOST or hresult in _READER_GONE:
            return ReaderMissing(detail)
        return _TransmitFailed(detail)  # sorted out by the caller: pcscd gone, card gone, or card unreadable

    @staticmethod
    def _service_alive(context: _Context) -> bool:
        try:
            context.readers()
        except _ServiceLost:
            return False
        return True

    def _card_left(self, context: _Context, reader: str, known: int) -> bool:
        """Whether the card left the reader; pcscd notices a removal only at its next poll of the reader."""
        deadline = time.monotonic() + _REMOVAL_GRACE_SECONDS
        state = known
        while (left := deadline - time.monotonic()) > 0:
            try:
                hresult, states = context.status_change(left, [(reader, state)])
            except _ServiceLost:
                return False
            if hresult == scard.SCARD_S_SUCCESS:
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                # The upper 16 bits count card events: a change means it left (and maybe another came).
                if not state & scard.SCARD_STATE_PRESENT or state >> 16 != known >> 16:
                    return True
            elif hresult != scard.SCARD_E_TIMEOUT:
                return False
        return False
