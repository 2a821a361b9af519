"""Alembic migrations of the DronePatrol database, shipped inside the package.

Run them with :func:`dronepatrol.database.upgrade`; no ``alembic.ini`` is needed.
Revisions form one linear chain with readable ids (``0001_records``, ...): a
new revision names the current head as its ``down_revision``.
"""
