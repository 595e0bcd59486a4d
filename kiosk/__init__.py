"""Core of the hall kiosk: configuration, identities, the queue and tickets. No Kivy, no hardware."""

__version__ = "0.1.0"
