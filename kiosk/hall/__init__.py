"""The hall server: shared queue API, window clerks' page, display board, manager's page (FastAPI).

Importing this package imports nothing heavy; ``kiosk.hall.app`` and ``kiosk.hall.server`` need FastAPI.
"""
