"""Service layer: one small service per area, all sharing a network's context."""
