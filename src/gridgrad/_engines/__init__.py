"""Engines execute a validated :class:`gridgrad._plan.GradientPlan`; they never validate."""
