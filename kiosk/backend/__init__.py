"""HTTP clients of the kiosk: the hall server (same interfaces as the in-process service layer)."""

from kiosk.backend.hall_client import HallClient, HallError, HallUnreachable

__all__ = ["HallClient", "HallError", "HallUnreachable"]
