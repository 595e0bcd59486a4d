"""Hardware behind small interfaces: card readers and ticket printers. No Kivy here."""
