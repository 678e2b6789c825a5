"""The ``webhook`` channel: every domain event POSTed as signed JSON to the endpoints set up.

Each endpoint in ``NotificationSettings.webhooks`` gets one outbox message per event it
takes (all of them, or only the types named in its ``events``).  The body is the JSON
document ``{"id", "type", "at", "data"}`` and each request carries:

``Content-Type: application/json``
    The body is UTF-8 JSON.
``User-Agent: cpnetwork/<version>``
``Cpnetwork-Delivery: <key>``
    The same on every attempt at one message: a receiver that has seen it may drop
    a repeat (a crash between sending and marking it delivered sends it again).
``Cpnetwork-Signature: t=<unix time>,v1=<hex>``
    ``v1`` is the HMAC-SHA256, keyed with the endpoint's secret, of the timestamp, a
    dot and the exact body bytes: ``f"{t}.".encode() + body`` (the scheme Stripe
    uses).  Receivers check it with :func:`verify_signature`, which also refuses a
    timestamp more than five minutes away, so a captured request cannot be replayed
    later.

A 2xx answer means delivered.  408, 429, 5xx, timeouts and connection failures are
tried again with the dispatcher's backoff; any other answer (410 Gone, 4xx, a
redirect) marks the message dead at once.  Redirects are followed only on the same
host, for 307 and 308 (which keep the POST and its body), and never from HTTPS down
to HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cpnetwork.errors import DeliveryError
from cpnetwork.events import Event
from cpnetwork.model import NotificationSettings, OutboxMessage, WebhookEndpoint
from cpnetwork.notifications.channels import Channel
from cpnetwork.storage.sql_url import masked

if TYPE_CHECKING:
    import httpx

#: The header carrying the signature: ``t=<unix time>,v1=<hex HMAC-SHA256>``.
SIGNATURE_HEADER = "Cpnetwork-Signature"
#: The header carrying the message's idempotency key, the same on every attempt.
DELIVERY_HEADER = "Cpnetwork-Delivery"
#: Seconds a signature's timestamp may be away from the receiver's clock.
TOLERANCE = 300
#: Same-host redirects (307 and 308) followed before giving up.
MAX_REDIRECTS = 3
#: Answers that mean "later": tried again with backoff (5xx are too).
RETRYABLE_STATUSES = frozenset({408, 429})
#: Bytes of a failed answer's body kept in the error, to show what the receiver said.
BODY_EXCERPT = 200


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Cpnetwork-Signature`` value for ``body``, signed now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(body, secret, t)}"


def verify_signature(
    body: bytes,
    header: str,
    secret: str,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (a ``Cpnetwork-Signature`` value) signs ``body`` with ``secret``.

    ``body`` must be the raw bytes received, before any JSON parsing.  The signature's
    timestamp must be within ``tolerance`` seconds of ``now`` (default: the current
    Unix time), which refuses a request replayed later.  Several ``v1`` values (sent
    while a secret is being rotated) pass if any one matches.  Digests are compared in
    constant time.
    """
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _digest(body, secret, timestamp)
    # Compare with every candidate, so the time taken does not tell which one matched.
    matched = False
    for signature in signatures:
        matched |= hmac.compare_digest(expected.encode(), signature.encode())
    return matched


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    payload = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def mask_url(url: str) -> str:
    """``url`` fit for an error message: its password and secret parameters become ``***``.

    The one masking rule of cpnetwork (:func:`cpnetwork.storage.sql_url.masked`).
    """
    return masked(url)


class WebhookChannel(Channel):
    """POSTs each domain event, signed, to the endpoints in ``settings.webhooks``.

    One HTTP client (and its connection pool) serves every delivery of the channel;
    a process forked after it was made gets its own.
    """

    name = "webhook"
    audience = "events"

    def __init__(self) -> None:
        self._client: httpx.Client | None = None
        self._client_pid = 0
        self._lock = threading.Lock()

    def enabled(self, settings: NotificationSettings) -> bool:
        return bool(settings.webhooks)

    def targets(self, settings: NotificationSettings, event: Event) -> Sequence[str]:
        """The URLs of the endpoints taking events of this type, each once."""
        kind = type(event).__name__
        urls: list[str] = []
        for endpoint in settings.webhooks:
            if (not endpoint.events or kind in endpoint.events) and endpoint.url not in urls:
                urls.append(endpoint.url)
        return urls

    def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
        endpoint = self._endpoint(message, settings)
        body = message.data.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": _user_agent(),
            DELIVERY_HEADER: message.key,
            SIGNATURE_HEADER: sign(body, endpoint.secret),
        }
        self._post(message, endpoint, body, headers)

    def close(self) -> None:
        """Close the HTTP client's connections (a later delivery opens new ones)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- internals -------------------------------------------------------------------
    def _endpoint(self, message: OutboxMessage, settings: NotificationSettings) -> WebhookEndpoint:
        url = mask_url(message.recipient)
        for endpoint in settings.webhooks:
            if endpoint.url == message.recipient:
                if endpoint.events and message.topic not in endpoint.events:
                    raise self._error(
                        message, f"the webhook endpoint {url} no longer takes {message.topic}"
                    )
                return endpoint
        raise self._error(message, f"no webhook endpoint for {url} is set up")

    def _post(
        self,
        message: OutboxMessage,
        endpoint: WebhookEndpoint,
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        import httpx

        shown = mask_url(endpoint.url)
        timeout = httpx.Timeout(endpoint.timeout_seconds)
        try:
            url = httpx.URL(endpoint.url)
            for _ in range(MAX_REDIRECTS + 1):
                with self._http().stream(
                    "POST", url, content=body, headers=headers, timeout=timeout
                ) as response:
                    if response.is_success:
                        return
                    status, phrase = response.status_code, response.reason_phrase
                    if response.is_redirect:
                        target = url.join(response.headers["Location"])
                        if status in (307, 308) and _same_host(url, target):
                            url = target
                            shown = f"{mask_url(endpoint.url)} (moved to {mask_url(str(url))})"
                            continue
                        raise self._error(
                            message,
                            f"POST {shown} answered {status}, a redirect to "
                            f"{mask_url(str(target))} that is not followed",
                        )
                    answer = f"POST {shown} answered {status} {phrase}".rstrip()
                    excerpt = _excerpt(response)
                if excerpt:
                    answer += f": {excerpt}"
                retryable = status in RETRYABLE_STATUSES or status >= 500
                raise self._error(message, answer, permanent=not retryable)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            reason = _scrub(str(exc), endpoint.url)
            raise self._error(message, f"cannot POST to {shown}: {reason}") from None
        except httpx.TimeoutException as exc:
            raise self._error(
                message,
                f"POST {shown} timed out after {endpoint.timeout_seconds:g} s "
                f"({type(exc).__name__})",
                permanent=False,
            ) from None
        except httpx.HTTPError as exc:
            reason = _scrub(str(exc) or type(exc).__name__, endpoint.url)
            raise self._error(message, f"POST {shown} failed: {reason}", permanent=False) from None
        raise self._error(message, f"POST {shown} redirected more than {MAX_REDIRECTS} times")

    def _http(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                # After a fork the parent's pooled connections are not ours to use.
                self._client = httpx.Client(follow_redirects=False)
                self._client_pid = os.getpid()
            return self._client

    def _error(
        self, message: OutboxMessage, reason: str, *, permanent: bool = True
    ) -> DeliveryError:
        return DeliveryError(self.name, message.id, reason, permanent=permanent)


def _user_agent() -> str:
    import cpnetwork

    return f"cpnetwork/{cpnetwork.__version__}"


def _same_host(origin: httpx.URL, target: httpx.URL) -> bool:
    """Whether a redirect stays on the host (and does not drop from HTTPS to HTTP)."""
    if target.host != origin.host:
        return False
    return target.scheme == origin.scheme or target.scheme == "https"


def _excerpt(response: httpx.Response) -> str:
    """The start of a failed answer's body, on one line (never reading all of a big one)."""
    import httpx

    read = b""
    try:
        for chunk in response.iter_bytes():
            read += chunk
            if len(read) >= BODY_EXCERPT:
                break
    except httpx.HTTPError:
        pass  # the status says enough
    text = read[:BODY_EXCERPT].decode("utf-8", errors="replace")
    return " ".join(text.split())


def _scrub(text: str, url: str) -> str:
    """``text`` without the password of ``url``, should an error quote it."""
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text
