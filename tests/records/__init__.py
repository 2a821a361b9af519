"""Tests of the sortie records: store, recorder, crash safety, exports, report, CLI."""
