"""OpenAPI paths and schemas of the grading routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _S, _errors, _json, _ref

_N, _NN = {"type": "number"}, {"type": ["number", "null"]}
_NS = {"type": ["string", "null"]}
_I = {"type": "integer"}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _S}
_NAME = {"name": "name", "in": "path", "required": True, "schema": _S}
_TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
_STATUS = ["queued", "running", "graded", "needs_review", "not_gradable", "failed"]


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props}


GRADING_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/courses/{slug}/assignments": {
        "get": {
            "summary": "Assignments of the course's current version, with the caller's "
            "deadlines (enrolled learners) and attempts used",
            "security": [{}, {"bearer": []}],
            "parameters": [_SLUG],
            "responses": {"200": _json(_ref("AssignmentList"), "Assignments")} | _errors(401, 404),
        }
    },
    "/api/v1/courses/{slug}/assignments/{name}/submissions": {
        "post": {
            "summary": "Submit a notebook (multipart field `notebook`); graded asynchronously",
            "security": _TOKEN,
            "parameters": [
                _SLUG,
                _NAME,
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "schema": _S,
                    "description": "the same key returns the same submission (double click)",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": _obj(
                            {
                                "notebook": {"type": "string", "format": "binary"},
                                "idempotency_key": _S,
                            }
                        )
                    }
                },
            },
            "responses": {
                "202": _json(_ref("SubmissionCreated"), "Accepted; poll the url"),
                "413": _json(_ref("Error"), "Notebook larger than LMS_MAX_SUBMISSION_BYTES"),
            }
            | _errors(401, 403, 404, 409, 415, 422),
        }
    },
    "/api/v1/submissions/{submission_id}": {
        "get": {
            "summary": "A submission's status, score and per-test results (owner, course "
            "instructors, admins); hidden tests show only pass/fail until feedback is released",
            "security": _TOKEN,
            "parameters": [{"name": "submission_id", "in": "path", "required": True, "schema": _I}],
            "responses": {"200": _json(_ref("Submission"), "The submission")} | _errors(401, 404),
        }
    },
}

GRADING_SCHEMAS: dict[str, Any] = {
    "SubmissionStatus": {"type": "string", "enum": _STATUS},
    "SubmissionCreated": _obj(
        {"id": _I, "attempt": _I, "status": _ref("SubmissionStatus"), "url": _S}
    ),
    "TestResult": _obj(
        {
            "cell_id": _S,
            "kind": _S,
            "hidden": {"type": "boolean"},
            "passed": {"type": ["boolean", "null"]},
            "status": {**_S, "description": "absent for hidden tests before release"},
            "earned": _N,
            "possible": _N,
            "message": _S,
        }
    ),
    "Submission": _obj(
        {
            "id": _I,
            "course": _S,
            "assignment": _S,
            "notebook": _S,
            "attempt": _I,
            "submitted_at": _S,
            "due_at": _NS,
            "status": _ref("SubmissionStatus"),
            "score": {**_NN, "description": "after the late penalty"},
            "earned": _NN,
            "possible": _NN,
            "late_factor": _NN,
            "feedback_released": {"type": "boolean"},
            "feedback_html": {**_S, "description": "only once released (staff: always)"},
            "tests": {"type": "array", "items": _ref("TestResult")},
        }
    ),
    "Assignment": _obj(
        {
            "name": _S,
            "title_ko": _S,
            "title_en": _S,
            "kind": _S,
            "points": _N,
            "gpu": {"type": "boolean"},
            "schedule": {"type": "object"},
            "opens_at": _NS,
            "due_at": _NS,
            "late_policy": {"type": "object"},
            "max_attempts": {"type": ["integer", "null"]},
            "counts": {"type": "string", "enum": ["last", "best"]},
            "attempts_used": {"type": ["integer", "null"]},
        }
    ),
    "AssignmentList": _obj(
        {
            "version": {"type": ["integer", "null"]},
            "items": {"type": "array", "items": _ref("Assignment")},
        }
    ),
}
