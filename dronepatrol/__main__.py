"""``python -m dronepatrol`` runs the command-line interface."""

from dronepatrol.cli import main

main()
