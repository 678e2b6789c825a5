"""Shared test set-up: Hypothesis profiles and the cpnetwork pytest fixtures."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["cpnetwork.testing.pytest_plugin", "cpnetwork.testing.reliability"]

settings.register_profile(
    "default", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "soak", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
