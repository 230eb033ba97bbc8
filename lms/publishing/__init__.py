"""Publishing course packages as immutable course versions (issue 4)."""
