"""Privacy (issue 6): the learner record (a person's whole history across organisations),
personal data export (a zip only the person can download, expiring) and deletion on request
(the account is anonymised, personal content deleted, legally required records kept).

Modules: ``models`` (exports, deletion requests), ``record`` (the learner record),
``export`` (the zip), ``erasure`` (deletion), ``views``/``admin_views`` (pages), ``api``
(``GET /api/v1/me/record``), ``cli`` (``flask --app lms privacy …``). See docs/privacy.md.
"""
