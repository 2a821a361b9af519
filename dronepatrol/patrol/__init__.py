"""Patrol operations: revisit schedules, incident dispatch and lockdown.

Pure decision code over the patrol network and the fleet's snapshots: which
targets are due, which drone answers an incident, which drone holds which
overwatch point. No I/O; the web app and the scheduler act on its answers.
"""
