"""Measured ratings: answers read as probabilities over a few option tokens, checklist probes
and calibration of the resulting scores on labelled data."""
