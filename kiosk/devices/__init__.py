"""The device interfaces the core owns: Protocols, their states, typed faults and the printed-document types.

``drivers/`` implements them; nothing here imports a hardware library.
"""
