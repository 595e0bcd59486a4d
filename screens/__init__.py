"""The Kivy touchscreen app: one module (+ .kv) per screen, theme, shared widgets, the App wiring."""
