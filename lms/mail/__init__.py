"""Outgoing e-mail: an outbox table filled in the same transaction as the change it reports,
and delivered later by ``flask --app lms mail send`` through a configured backend."""
