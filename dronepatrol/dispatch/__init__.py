"""Dispatch: which drone answers an incident, and flying it there.

* :mod:`~dronepatrol.dispatch.choice` (pure): the earliest feasible arrival wins,
  everyone else is listed with their ETA or the reason they cannot go.
* :mod:`~dronepatrol.dispatch.dispatcher`: carries the choice out through the
  fleet (take off or divert, fly there, hold, release) and activates lockdowns.

Who can fly where and how soon is shared with lockdown: :mod:`dronepatrol.responders`.
"""

from dronepatrol.dispatch.choice import DispatchProposal, propose_dispatch
from dronepatrol.dispatch.dispatcher import Dispatcher, DispatchError, responder_of

__all__ = ["DispatchError", "DispatchProposal", "Dispatcher", "propose_dispatch", "responder_of"]
