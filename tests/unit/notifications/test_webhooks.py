"""The webhook channel against real HTTP servers on loopback: signed, retried, timed out, buried."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from cpnetwork import Network, __version__
from cpnetwork.errors import BatchError
from cpnetwork.model import EnrollmentPolicy, MessageStatus, OutboxMessage, Program, WebhookEndpoint
from cpnetwork.notifications.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    mask_url,
    sign,
    verify_signature,
)
from cpnetwork.services.enrollment import ApplicationRow
from cpnetwork.testing.pytest_plugin import FrozenClock

SECRET = "whsec_test_0123456789"

#: What a receiver answers one POST with: a status, or a status and extra headers.
Answer = int | tuple[int, dict[str, str]]


@frozen
class Received:
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A real HTTP server on loopback: answers each POST as told (then 200), keeps them all.

    ``silent`` receivers read the request and never answer (until the test ends).
    """

    def __init__(self, *answers: Answer, silent: bool = False, host: str = "127.0.0.1") -> None:
        self.answers: deque[Answer] = deque(answers)
        self.received: list[Received] = []
        self.silent = silent
        self.released = threading.Event()
        self.server = ThreadingHTTPServer((host, 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.server_address[1]}{path}"

    def next_answer(self) -> tuple[int, dict[str, str]]:
        answer = self.answers.popleft() if self.answers else 200
        return answer if isinstance(answer, tuple) else (answer, {})

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.received.append(Received(self.path, headers, body))
            if receiver.silent:
                receiver.released.wait(10)  # holds the connection, says nothing
                return
            status, extra = receiver.next_answer()
            text = b"" if 200 <= status < 300 else f"refused with {status}".encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., Receiver]]:
    """Start receivers on loopback (port 0); all of them stop when the test ends."""
    started: list[Receiver] = []

    def start(*answers: Answer, silent: bool = False) -> Receiver:
        receiver = Receiver(*answers, silent=silent)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def net(clock: FrozenClock) -> Iterator[Network]:
    with Network.open("memory://", name="Test", clock=clock, load_entrypoints=False) as network:
        yield network


def _endpoint(url: str, **fields: Any) -> WebhookEndpoint:
    return WebhookEndpoint(url=url, secret=SECRET, **fields)


def _academy(net: Network, **policy: Any) -> Program:
    return net.programs.create(
        title="Summer Academy", program_year=2024, policy=EnrollmentPolicy(**policy)
    )


def _enrollment_only(net: Network, *urls: str, **fields: Any) -> None:
    """Point the network's webhooks at ``urls`` for EnrollmentChanged events only."""
    net.notifications.configure(
        webhooks=tuple(_endpoint(url, events={"EnrollmentChanged"}, **fields) for url in urls)
    )


def _register(net: Network) -> tuple[Program, str]:
    program = _academy(net)
    ada = net.members.add(email="ada@example.org")
    net.enrollment.register(program.id, ada.id)
    return program, ada.id


def _only(net: Network) -> OutboxMessage:
    [message] = net.notifications.messages()
    return message


def _retry_when_due(net: Network, clock: FrozenClock) -> None:
    """Move the clock to when the (one) waiting message is due again."""
    waiting = _only(net)
    assert waiting.status is MessageStatus.PENDING and waiting.due_at > clock.now
    clock.advance(waiting.due_at - clock.now)


# -- a good receiver ----------------------------------------------------------------------
def test_an_event_is_posted_as_signed_json(net: Network, serve: Callable[..., Receiver]) -> None:
    receiver = serve()
    _enrollment_only(net, receiver.url())
    program, member_id = _register(net)
    queued = _only(net)
    assert (queued.channel, queued.recipient, queued.topic) == (
        "webhook",
        receiver.url(),
        "EnrollmentChanged",
    )
    assert net.notifications.dispatch().delivered == 1
    [got] = receiver.received
    assert got.path == "/hook"
    document = json.loads(got.body.decode("utf-8"))
    assert document["type"] == "EnrollmentChanged" and document["id"] == queued.id
    assert document["data"]["program_id"] == program.id
    assert document["data"]["member_id"] == member_id
    assert document["data"]["to_status"] == "enrolled"
    assert got.body == queued.data.encode("utf-8")  # the exact bytes that were signed
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == f"cpnetwork/{__version__}"
    assert got.headers[DELIVERY_HEADER.lower()] == queued.key
    assert verify_signature(got.body, got.headers[SIGNATURE_HEADER.lower()], SECRET)
    assert _only(net).status is MessageStatus.DELIVERED


def test_a_tampered_body_a_wrong_secret_or_an_old_timestamp_fails_verification(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve()
    _enrollment_only(net, receiver.url())
    _register(net)
    net.notifications.dispatch()
    [got] = receiver.received
    header = got.headers[SIGNATURE_HEADER.lower()]
    signed_at = int(header.split(",")[0].removeprefix("t="))
    assert abs(signed_at - time.time()) < 60  # real time, not the frozen clock
    assert verify_signature(got.body, header, SECRET)
    tampered = got.body.replace(b'"enrolled"', b'"withdrawn"')
    assert tampered != got.body
    assert not verify_signature(tampered, header, SECRET)
    assert not verify_signature(got.body, header, "whsec_someone_else")
    assert not verify_signature(got.body, header, SECRET, now=signed_at + 301)
    assert verify_signature(got.body, header, SECRET, now=signed_at + 299)
    replayed = sign(got.body, SECRET, timestamp=int(time.time()) - 3600)
    assert not verify_signature(got.body, replayed, SECRET)
    assert verify_signature(got.body, replayed, SECRET, tolerance=7200)


def test_verify_signature_reads_the_header_strictly() -> None:
    body = b'{"type": "MemberAdded"}'
    now = 1_700_000_000
    good = sign(body, SECRET, timestamp=now)
    assert good.startswith(f"t={now},v1=") and len(good.split("v1=")[1]) == 64
    rotating = f"t={now},v1={'0' * 64},v1={good.split('v1=')[1]}"
    assert verify_signature(body, rotating, SECRET, now=now)  # any one of several
    for header in ["", f"t={now}", good.split(",")[1], f"t=soon,{good.split(',')[1]}"]:
        assert not verify_signature(body, header, SECRET, now=now), header
    # the timestamp is signed too: moving it breaks the signature
    moved = good.replace(f"t={now}", f"t={now + 10}")
    assert not verify_signature(body, moved, SECRET, now=now)


# -- retries, timeouts, burial ------------------------------------------------------------
def test_a_receiver_failing_twice_gets_the_message_on_the_third_attempt_with_one_delivery_id(
    net: Network, serve: Callable[..., Receiver], clock: FrozenClock
) -> None:
    receiver = serve(503, 503)
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().retried == 1
    first = _only(net)
    assert first.attempts == 1
    assert f"POST {receiver.url()} answered 503 Service Unavailable" in first.last_error
    assert "refused with 503" in first.last_error  # what the receiver said
    assert net.notifications.dispatch().retried == 0  # not due yet
    _retry_when_due(net, clock)
    assert net.notifications.dispatch().retried == 1
    _retry_when_due(net, clock)
    assert net.notifications.dispatch().delivered == 1
    done = _only(net)
    assert (done.status, done.attempts) == (MessageStatus.DELIVERED, 3)
    assert len(receiver.received) == 3
    assert {r.headers[DELIVERY_HEADER.lower()] for r in receiver.received} == {done.key}
    assert {r.body for r in receiver.received} == {done.data.encode()}
    for request in receiver.received:
        assert verify_signature(request.body, request.headers[SIGNATURE_HEADER.lower()], SECRET)


def test_a_receiver_that_never_answers_times_out_and_the_message_is_dead_after_max_attempts(
    net: Network, serve: Callable[..., Receiver], clock: FrozenClock
) -> None:
    receiver = serve(silent=True)
    _enrollment_only(net, receiver.url(), timeout_seconds=0.3)
    net.notifications.configure(max_attempts=2)
    _register(net)
    started = time.monotonic()
    report = net.notifications.dispatch()
    assert time.monotonic() - started < 5
    assert (report.retried, report.dead) == (1, 0)
    waiting = _only(net)
    assert f"POST {receiver.url()} timed out after 0.3 s (ReadTimeout)" in waiting.last_error
    _retry_when_due(net, clock)
    assert net.notifications.dispatch().dead == 1
    dead = _only(net)
    assert (dead.status, dead.attempts) == (MessageStatus.DEAD, 2)
    assert "timed out" in dead.last_error
    assert len(receiver.received) == 2  # it did get the requests; it just never answered


def test_a_refused_connection_is_retried(net: Network, clock: FrozenClock) -> None:
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    _enrollment_only(net, url, timeout_seconds=2)
    _register(net)
    assert net.notifications.dispatch().retried == 1
    assert f"POST {url} failed: " in _only(net).last_error


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_refusal_buries_the_message_at_once(
    net: Network, serve: Callable[..., Receiver], status: int
) -> None:
    receiver = serve(status)
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().dead == 1
    dead = _only(net)
    assert (dead.status, dead.attempts) == (MessageStatus.DEAD, 1)
    assert f"answered {status}" in dead.last_error
    assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_busy_or_broken_receiver_is_tried_again(
    net: Network, serve: Callable[..., Receiver], clock: FrozenClock, status: int
) -> None:
    receiver = serve(status)
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().retried == 1
    assert f"answered {status}" in _only(net).last_error
    _retry_when_due(net, clock)
    assert net.notifications.dispatch().delivered == 1


def test_410_gone_is_dead_at_once_with_the_reason(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve(410)
    _enrollment_only(net, receiver.url())
    _register(net)
    report = net.notifications.dispatch()
    assert (report.delivered, report.retried, report.dead) == (0, 0, 1)
    dead = _only(net)
    assert dead.last_error == (
        f"webhook message {dead.id!r}: POST {receiver.url()} answered 410 Gone: refused with 410"
    )


def test_a_password_in_the_url_goes_as_basic_auth_and_never_into_an_error(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve(500)
    port = receiver.server.server_address[1]
    url = f"http://hooks:s3cr3t-pa55@127.0.0.1:{port}/hook"
    _enrollment_only(net, url)
    _register(net)
    net.notifications.dispatch()
    [got] = receiver.received
    assert got.headers["authorization"].startswith("Basic ")
    error = _only(net).last_error
    assert f"POST http://hooks:***@127.0.0.1:{port}/hook answered 500" in error
    assert "s3cr3t" not in error


def test_mask_url_hides_only_the_password() -> None:
    assert (
        mask_url("https://user:pw@example.org:8443/a?b=c")
        == "https://user:***@example.org:8443/a?b=c"
    )
    assert mask_url("https://user@example.org/a") == "https://user@example.org/a"
    assert mask_url("https://example.org/a") == "https://example.org/a"
    assert mask_url("https://us:p@ss@[::1]/") == "https://us:***@[::1]/"


# -- redirects ----------------------------------------------------------------------------
def test_a_redirect_on_the_same_host_keeping_the_post_is_followed(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve((308, {"Location": "/moved"}))
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().delivered == 1
    first, second = receiver.received
    assert (first.path, second.path) == ("/hook", "/moved")
    assert second.body == first.body
    assert verify_signature(second.body, second.headers[SIGNATURE_HEADER.lower()], SECRET)


def test_an_error_after_a_redirect_names_both_addresses(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve((307, {"Location": "/moved"}), 404)
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().dead == 1
    moved = receiver.url("/moved")
    assert f"POST {receiver.url()} (moved to {moved}) answered 404" in _only(net).last_error


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_to_another_host_is_not_followed(
    net: Network, serve: Callable[..., Receiver], status: int
) -> None:
    elsewhere = serve()
    other = elsewhere.url(host="localhost")  # the same machine, but another host name
    receiver = serve((status, {"Location": other}))
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().dead == 1
    assert f"a redirect to {other} that is not followed" in _only(net).last_error
    assert elsewhere.received == []


def test_a_redirect_that_changes_the_post_into_a_get_is_not_followed(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve((303, {"Location": "/see-other"}))
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().dead == 1
    assert [r.path for r in receiver.received] == ["/hook"]


def test_endless_redirects_give_up(net: Network, serve: Callable[..., Receiver]) -> None:
    receiver = serve(*[(307, {"Location": "/again"})] * 10)
    _enrollment_only(net, receiver.url())
    _register(net)
    assert net.notifications.dispatch().dead == 1
    assert "redirected more than 3 times" in _only(net).last_error
    assert len(receiver.received) == 4


# -- which events go where ----------------------------------------------------------------
def test_each_endpoint_gets_only_the_event_types_it_names(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    everything, enrollments, members = serve(), serve(), serve()
    net.notifications.configure(
        webhooks=(
            _endpoint(everything.url()),
            _endpoint(enrollments.url(), events={"EnrollmentChanged"}),
            _endpoint(members.url(), events={"MemberAdded", "MemberUpdated"}),
        )
    )
    _register(net)
    assert net.notifications.dispatch().dead == 0

    def types(receiver: Receiver) -> list[str]:
        return [json.loads(r.body)["type"] for r in receiver.received]

    assert types(everything) == ["ProgramCreated", "MemberAdded", "EnrollmentChanged"]
    assert types(enrollments) == ["EnrollmentChanged"]
    assert types(members) == ["MemberAdded"]


def test_a_network_without_webhooks_queues_none(net: Network) -> None:
    _register(net)
    assert net.notifications.messages() == []
    assert "webhook" in net.notifications.channels
    assert net.notifications.channels["webhook"].audience == "events"


def test_a_rolled_back_change_queues_no_webhook(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve()
    program = _academy(net, mode="application")
    ada = net.members.add(email="ada@example.org")
    _enrollment_only(net, receiver.url())
    with pytest.raises(BatchError):
        net.enrollment.apply_many(
            program.id, [ApplicationRow(member_id=ada.id), ApplicationRow(member_id="nobody")]
        )
    assert net.enrollment.of(program.id, ada.id) is None
    assert net.notifications.messages() == []
    assert net.notifications.dispatch().delivered == 0
    assert receiver.received == []


def test_a_message_for_an_endpoint_removed_since_is_dead(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver, other = serve(), serve()
    _enrollment_only(net, receiver.url())
    _register(net)
    _enrollment_only(net, other.url())
    assert net.notifications.dispatch().dead == 1
    assert f"no webhook endpoint for {receiver.url()} is set up" in _only(net).last_error
    assert receiver.received == [] and other.received == []


def test_a_message_of_a_type_the_endpoint_no_longer_takes_is_dead(
    net: Network, serve: Callable[..., Receiver]
) -> None:
    receiver = serve()
    _enrollment_only(net, receiver.url())
    _register(net)
    net.notifications.configure(webhooks=(_endpoint(receiver.url(), events={"MemberAdded"}),))
    assert net.notifications.dispatch().dead == 1
    assert "no longer takes EnrollmentChanged" in _only(net).last_error
    assert receiver.received == []


def test_webhooks_survive_a_sqlite_network_reopened(
    clock: FrozenClock, serve: Callable[..., Receiver], tmp_path: Path
) -> None:
    receiver = serve()
    url = f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, name="Test", clock=clock, load_entrypoints=False) as network:
        _enrollment_only(network, receiver.url(), timeout_seconds=2.5)
        _register(network)
    with Network.open(url, clock=clock, load_entrypoints=False) as network:
        [endpoint] = network.notifications.settings.webhooks
        assert endpoint.events == frozenset({"EnrollmentChanged"})
        assert endpoint.timeout_seconds == 2.5 and endpoint.secret == SECRET
        assert network.notifications.dispatch().delivered == 1
    [got] = receiver.received
    assert verify_signature(got.body, got.headers[SIGNATURE_HEADER.lower()], SECRET)


def test_importing_cpnetwork_does_not_import_httpx() -> None:
    code = (
        "import sys, cpnetwork\n"
        "cpnetwork.Network.open('memory://', name='x', load_entrypoints=False)\n"
        "print('httpx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
