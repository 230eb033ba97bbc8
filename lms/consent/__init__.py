"""Consent (issue 6): what each member lets each of their organisations see, per kind of
data; the history of those decisions; and the log of the organisations' views. See
docs/consent.md."""
