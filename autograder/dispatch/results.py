"""Idempotent result recording for at-least-once delivery: the first Result per job id wins.

Keys (prefix ``autograder:``): ``result:<job_id>`` holds the Result JSON, written with
``SET NX`` so a redelivered job can never record a second result; ``attempts:<job_id>`` counts
deliveries that started grading (``INCR``), which gives ``Result.attempt`` and bounds retries
of a job whose worker keeps dying. Both expire after ``ttl_s`` (default 30 days).
"""

from __future__ import annotations

import os

import redis

from autograder.contract import Result

DEFAULT_TTL_S = 30 * 24 * 3600


class ResultStore:
    """Record-once storage of Results in Redis, keyed by job id."""

    def __init__(self, url: str, *, prefix: str = "autograder:", ttl_s: int = DEFAULT_TTL_S):
        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self.prefix = prefix
        self.ttl_s = ttl_s

    def get(self, job_id: str) -> str | None:
        """The recorded Result JSON of ``job_id``, or None."""
        value = self.client.get(f"{self.prefix}result:{job_id}")
        return value.decode() if value is not None else None

    def next_attempt(self, job_id: str) -> int:
        """Count one more delivery of ``job_id`` that starts grading; return its number."""
        key = f"{self.prefix}attempts:{job_id}"
        with self.client.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, self.ttl_s)
            attempt, _ = pipe.execute()
        return int(attempt)

    def record(self, result: Result) -> str:
        """Store ``result`` unless one exists; return the Result JSON that is recorded now."""
        text = result.to_json()
        key = f"{self.prefix}result:{result.job_id}"
        if self.client.set(key, text, nx=True, ex=self.ttl_s):
            return text
        existing = self.client.get(key)
        return existing.decode() if existing is not None else text

    def forget(self, job_id: str) -> None:
        """Delete the recorded result and attempt count (an operator's explicit regrade)."""
        self.client.delete(f"{self.prefix}result:{job_id}", f"{self.prefix}attempts:{job_id}")


def result_store_from_env(broker_url: str) -> ResultStore | None:
    """``AUTOGRADER_RESULT_STORE_URL``, else the broker when it is Redis; None otherwise.

    Without a store (e.g. RabbitMQ and no Redis) the consumer must record results
    idempotently itself, keyed by job id (the portal's job row does).
    """
    url = os.environ.get("AUTOGRADER_RESULT_STORE_URL", "").strip()
    if not url and broker_url.startswith(("redis://", "rediss://")):
        url = broker_url
    if not url:
        return None
    if url not in _STORES:  # one connection pool per process
        _STORES[url] = ResultStore(url)
    return _STORES[url]


_STORES: dict[str, ResultStore] = {}
