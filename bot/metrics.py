"""Prometheus metrics, in a registry per process object so tests can read their own."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.started = time.time()
        self.updates = Counter(
            "cvm_updates", "Updates handled, by type", ["type"], registry=self.registry
        )
        self.duplicates = Counter(
            "cvm_updates_duplicate", "Updates seen before and skipped", registry=self.registry
        )
        self.update_seconds = Histogram(
            "cvm_update_seconds", "Time to handle an update", buckets=BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.handler_seconds = Histogram(
            "cvm_handler_seconds", "Time spent in each handler", ["handler"], buckets=BUCKETS,
            registry=self.registry,
        )  # fmt: skip
        self.answers = Counter(
            "cvm_answers",
            "Knowledge questions, by outcome (answered, declined: not in the knowledge base)",
            ["outcome"],
            registry=self.registry,
        )
        self.refused = Counter(
            "cvm_requests_refused",
            "Requests not served, by reason (unknown_user, group_not_allowed, throttled)",
            ["reason"],
            registry=self.registry,
        )
        self.errors = Counter(
            "cvm_errors", "Unhandled errors in handlers, by exception type", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.in_flight = Gauge(
            "cvm_updates_in_flight", "Updates being handled now", registry=self.registry
        )

    def in_flight_now(self) -> int:
        return int(next(s.value for m in self.in_flight.collect() for s in m.samples))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def total(self, counter: Counter) -> float:
        """Sum over all label values (for /status)."""
        return sum(
            sample.value
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )

    def by_label(self, counter: Counter, label: str) -> dict[str, int]:
        """A labelled counter's totals, e.g. refusals by reason (for /status and the soak)."""
        return {
            sample.labels[label]: int(sample.value)
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        }

    def p95_seconds(self) -> float | None:
        """Upper bound of the bucket that holds the 95th percentile of update latency."""
        buckets = [
            (float(s.labels["le"]), s.value)
            for metric in self.update_seconds.collect()
            for s in metric.samples
            if s.name.endswith("_bucket")
        ]
        if not buckets or buckets[-1][1] == 0:
            return None
        goal = 0.95 * buckets[-1][1]
        return next(bound for bound, count in buckets if count >= goal)
