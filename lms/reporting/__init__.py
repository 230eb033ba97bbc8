"""Organisation reporting: dashboards, member detail, exports and the HR API (issue 6)."""
