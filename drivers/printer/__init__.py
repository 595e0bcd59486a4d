"""Ticket printers: implementations of ``kiosk.devices.printer.TicketPrinter`` (ESC/POS over serial, simulated)."""
