"""The ingest HTTP app: authenticate, map, write (acks=all), then answer.

    service = IngestService(config.ingest, config.kafka.topics, producer, IngestMetrics(registry))
    web.run_app(service.app(), port=config.ingest.port)

Answers: 2xx once the broker confirmed every record; 401 bad signature or token
(nothing written); 404 vendor not configured; 413 body too large; 422 unmappable
(the original body is on the dead-letter topic, the answer says why); 429 rate
limited; 503 the broker did not confirm (the vendor retries; event ids make that safe).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from urllib.parse import parse_qsl

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stream.config.ingest import ConnectIngest, Ingest
from stream.config.kafka import KafkaTopics
from stream.ingest.connect import map_connect
from stream.ingest.delivery import DeliveryError, Outgoing, Sink
from stream.ingest.firehose import ACCESS_KEY_HEADER, firehose_answer, unwrap
from stream.ingest.generic import split_events
from stream.ingest.limits import TokenBucket
from stream.ingest.mapping import Mapped, Unmappable, parse_json
from stream.ingest.metrics import IngestMetrics
from stream.ingest.signatures import bearer_valid, twilio_valid, zendesk_valid
from stream.ingest.twilio import map_taskrouter
from stream.ingest.zendesk import map_zendesk

log = logging.getLogger("kpiwatch.ingest")

Bad = tuple[str, bytes]  # reason, original bytes
Outcome = tuple[list[Mapped], list[Bad], int]  # records, unmappable parts, ignored count
Handler = Callable[[web.Request, bytes], Awaitable[Outcome]]
FIREHOSE = web.RequestKey("firehose", str)  # the request id of a Firehose delivery


class Refused(Exception):
    """A request refused before mapping: status, metric reason, message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


class IngestService:
    """The aiohttp application of `kpiwatch ingest`; the broker side is injected."""

    def __init__(
        self,
        cfg: Ingest,
        topics: KafkaTopics,
        sink: Sink,
        metrics: IngestMetrics,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg, self.topics, self.sink, self.metrics = cfg, topics, sink, metrics
        rate = cfg.rate_limit
        self.buckets = {
            s: TokenBucket(rate.per_second, rate.burst, now)
            for s in ("zendesk", "twilio", "connect", "events")
        }

    def app(self) -> web.Application:
        """Return the aiohttp application with every route."""
        app = web.Application(client_max_size=self.cfg.max_body_bytes)
        routes = {
            "/ingest/zendesk": ("zendesk", self._zendesk),
            "/ingest/twilio/taskrouter": ("twilio", self._twilio),
            "/ingest/connect": ("connect", self._connect),
            "/ingest/events": ("events", self._events),
        }
        for path, (source, handler) in routes.items():
            app.router.add_post(path, self._endpoint(source, handler))
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        return app

    def _endpoint(self, source: str, handler: Handler) -> Callable[..., Awaitable[web.Response]]:
        async def endpoint(request: web.Request) -> web.Response:
            try:
                response = await self._serve(source, handler, request)
            except Exception:  # a bug: answer 500 (the vendor retries), keep serving
                log.exception("ingest/%s: unexpected error", source)
                response = web.json_response({"error": "internal error"}, status=500)
            self.metrics.requests.labels(source, str(response.status)).inc()
            return response

        return endpoint

    async def _serve(self, source: str, handler: Handler, request: web.Request) -> web.Response:
        try:
            if not self.buckets[source].take():
                raise Refused(429, "rate_limited", "rate limit exceeded")
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise Refused(413, "too_large", "body too large") from None
            records, bad, ignored = await handler(request, body)
        except Refused as exc:
            self.metrics.rejected.labels(source, exc.reason).inc()
            headers = {}
            if exc.status == 429:
                headers["Retry-After"] = str(self.buckets[source].retry_after())
            return web.json_response({"error": str(exc)}, status=exc.status, headers=headers)
        response = await self._deliver(source, records, bad, ignored)
        if FIREHOSE in request:
            return _as_firehose(request[FIREHOSE], response)
        return response

    async def _deliver(
        self, source: str, records: list[Mapped], bad: list[Bad], ignored: int
    ) -> web.Response:
        out = [Outgoing(getattr(self.topics, r.stream), r.key.encode(), r.value) for r in records]
        out += [self._dead_letter(source, reason, raw) for reason, raw in bad]
        began = time.monotonic()
        try:
            if out:
                await self.sink.send(out, self.cfg.ack_timeout.total_seconds())
        except DeliveryError as exc:
            self.metrics.rejected.labels(source, "unavailable").inc()
            log.warning("ingest/%s: %s; answering 503", source, exc)
            return web.json_response({"error": str(exc)}, status=503, headers={"Retry-After": "1"})
        if out:
            self.metrics.produce_seconds.labels(source).observe(time.monotonic() - began)
        for r in records:
            self.metrics.produced.labels(source, r.event_type).inc()
        self.metrics.ignored.labels(source).inc(ignored)
        if bad:
            self.metrics.rejected.labels(source, "unmappable").inc(len(bad))
            self.metrics.dead_letters.labels(source).inc(len(bad))
            log.info("ingest/%s: %d unmappable, dead-lettered: %s", source, len(bad), bad[0][0])
            reasons = [reason for reason, _ in bad]
            body = {"error": reasons[0], "rejected": reasons, "produced": len(records)}
            return web.json_response(body, status=422)
        if source == "twilio":  # TaskRouter asks for 204 No Content with a JSON type
            return web.Response(status=204, content_type="application/json")
        return web.json_response({"produced": len(records), "ignored": ignored})

    def _dead_letter(self, source: str, reason: str, raw: bytes) -> Outgoing:
        headers = [
            ("kpiwatch.reason", reason.encode()),
            ("kpiwatch.source", f"ingest/{source}".encode()),
            ("kpiwatch.rejected_at", datetime.now(UTC).isoformat().encode()),
        ]
        return Outgoing(self.topics.dead_letter, None, raw, headers)

    async def _zendesk(self, request: web.Request, body: bytes) -> Outcome:
        cfg = self.cfg.zendesk
        if cfg is None:
            raise Refused(404, "disabled", "ingest.zendesk is not configured")
        signature = request.headers.get("X-Zendesk-Webhook-Signature")
        stamp = request.headers.get("X-Zendesk-Webhook-Signature-Timestamp")
        if not zendesk_valid(cfg.signing_secret.get_secret_value(), stamp, body, signature):
            raise Refused(401, "signature", "bad or missing X-Zendesk-Webhook-Signature")
        return _single(body, lambda: map_zendesk(parse_json(body), cfg))

    async def _twilio(self, request: web.Request, body: bytes) -> Outcome:
        cfg = self.cfg.twilio
        if cfg is None:
            raise Refused(404, "disabled", "ingest.twilio is not configured")
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            pairs = []
        url = str(cfg.public_url) if cfg.public_url is not None else str(request.url)
        signature = request.headers.get("X-Twilio-Signature")
        if not twilio_valid(cfg.auth_token.get_secret_value(), url, pairs, signature):
            raise Refused(401, "signature", "bad or missing X-Twilio-Signature")
        return _single(body, lambda: map_taskrouter(dict(pairs), cfg))

    async def _connect(self, request: web.Request, body: bytes) -> Outcome:
        cfg = self.cfg.connect
        if cfg is None:
            raise Refused(404, "disabled", "ingest.connect is not configured")
        token = cfg.token.get_secret_value()
        firehose_key = request.headers.get(ACCESS_KEY_HEADER)
        if not (
            bearer_valid(token, request.headers.get("Authorization"))
            or (firehose_key is not None and bearer_valid(token, f"Bearer {firehose_key}"))
        ):
            raise Refused(401, "signature", "bad or missing bearer token")
        try:
            envelope = unwrap(_loads(body))
        except Unmappable as exc:
            return [], [(str(exc), body)], 0
        parts = [body] if envelope is None else envelope.records
        if envelope is not None:
            request[FIREHOSE] = envelope.request_id
        records: list[Mapped] = []
        bad: list[Bad] = []
        ignored = 0
        for raw in (item for part in parts for item in _json_items(part)):
            got, wrong, skipped = _single(raw, partial(_map_connect, raw, cfg))
            records += got
            bad += wrong
            ignored += skipped
        return records, bad, ignored

    async def _events(self, request: web.Request, body: bytes) -> Outcome:
        token = self.cfg.events.token
        if token is not None:
            if not bearer_valid(token.get_secret_value(), request.headers.get("Authorization")):
                raise Refused(401, "signature", "bad or missing bearer token")
        elif not _loopback(request.remote):
            raise Refused(403, "signature", "set ingest.events.token to accept non-local clients")
        good, bad = split_events(body)
        return good, [(f"line {n}: {reason}", raw) for n, reason, raw in bad], 0

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self.sink.ready():
            return web.Response(text="ready\n")
        return web.Response(text="broker unreachable\n", status=503)


def _loads(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _as_firehose(request_id: str, response: web.Response) -> web.Response:
    """Answer in Firehose's format: 200 once everything is written or dead-lettered.

    A 422 becomes 200: its unmappable records are on the dead-letter topic, and a
    Firehose retry could not map them either.
    """
    if response.status in (200, 422):
        return web.json_response(firehose_answer(request_id, None))
    error = orjson.loads(response.body)["error"] if isinstance(response.body, bytes) else ""
    retry = {k: v for k, v in response.headers.items() if k == "Retry-After"}
    return web.json_response(
        firehose_answer(request_id, error), status=response.status, headers=retry
    )


def _map_connect(raw: bytes, cfg: ConnectIngest) -> list[Mapped]:
    return map_connect(parse_json(raw), cfg)


def _single(body: bytes, mapper: Callable[[], list[Mapped]]) -> Outcome:
    try:
        records = mapper()
    except Unmappable as exc:
        return [], [(str(exc), body)], 0
    return records, [], 0 if records else 1


def _json_items(body: bytes) -> list[bytes]:
    """Split a body into one JSON document per item: an object, an array, or JSON lines."""
    try:
        whole = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [line.strip() for line in body.split(b"\n") if line.strip()]
    if isinstance(whole, list):
        return [orjson.dumps(item) for item in whole]
    return [body]


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False
