"""Tests of the ESC/POS printer stack: encoder, decoder, serial transport, kiosk flow, kioskctl."""
