"""Reforge: decision support for industrial foundation reconstruction.

Library entry points live in the capability packages (``reforge.chain``,
``reforge.firms``, ``reforge.policy``, ``reforge.credit``, ``reforge.sectors``);
``reforge.engine.open_engine`` opens a database.
"""

__version__ = "0.1.0"
