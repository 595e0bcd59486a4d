"""ID card readers: implementations of ``kiosk.devices.card.CardReader`` (PC/SC profiles, simulated)."""
