"""Dispatchers and reminder runs in separate OS processes on one database.

Each worker opens its own ``Network`` on the same SQLite file or PostgreSQL schema,
waits for the others at a barrier, and dispatches (or queues reminders).  Only the
database keeps them apart: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock
on SQLite.  Every message must be delivered exactly once, and every reminder queued
exactly once.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import MessageStatus, NotificationSettings, OutboxMessage
from cpnetwork.network import Network
from cpnetwork.notifications import Channel

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["cpnetwork.network", "cpnetwork.storage.sql", "psycopg"])
WORKERS = 4
MEMBERS = 60
TIMEOUT = 120
NOW = datetime(2024, 10, 1, 16, 0, tzinfo=UTC)


class FileChannel(Channel):
    """Appends each delivered message's key to a file: one line per delivery."""

    name = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def enabled(self, settings: NotificationSettings) -> bool:
        return True

    def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
        time.sleep(0.001)  # a delivery takes a moment, so the workers overlap
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(f"{message.key}\t{os.getpid()}\n")


class FilePlugin:
    def __init__(self, path: str) -> None:
        self.channel = FileChannel(path)

    @hookimpl
    def register_channels(self) -> Sequence[Channel]:
        return [self.channel]


def _open(url: str, log: str) -> Network:
    return Network.open(url, plugins=[FilePlugin(log)], load_entrypoints=False, clock=lambda: NOW)


def _dispatch(url: str, log: str, start: Barrier, results: Queue[int]) -> None:
    with _open(url, log) as net:
        start.wait(TIMEOUT)
        results.put(net.notifications.dispatch().delivered)


def _queue(url: str, log: str, start: Barrier, results: Queue[int]) -> None:
    with _open(url, log) as net:
        start.wait(TIMEOUT)
        results.put(net.notifications.queue_reminders())


def _run(target: Callable[..., None], url: str, log: str) -> list[int]:
    start = CONTEXT.Barrier(WORKERS)
    results: Queue[int] = CONTEXT.Queue()
    workers = [
        CONTEXT.Process(target=target, args=(url, log, start, results)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=TIMEOUT) for _ in workers]
    for worker in workers:
        worker.join(TIMEOUT)
        assert worker.exitcode == 0
    return answers


def _network_with_messages(url: str, log: str) -> Network:
    net = Network.open(
        url,
        name="Two dispatchers",
        plugins=[FilePlugin(log)],
        load_entrypoints=False,
        clock=lambda: NOW,
    )
    program = net.programs.create(title="Academy", program_year=2024)
    for n in range(MEMBERS):
        net.enrollment.register(program.id, net.members.add(email=f"m{n:03d}@example.org").id)
    net.sessions.schedule(
        program.id, title="Kickoff", start=NOW + timedelta(hours=20), duration=timedelta(hours=1)
    )
    return net


def test_concurrent_dispatchers_deliver_each_message_exactly_once(
    sql_url: str, tmp_path: Path
) -> None:
    log = str(tmp_path / "deliveries.log")
    with _network_with_messages(sql_url, log) as net:
        queued = {m.key for m in net.notifications.messages()}
        assert len(queued) == MEMBERS
        delivered = _run(_dispatch, sql_url, log)
        lines = Path(log).read_text(encoding="utf-8").splitlines()
        keys = Counter(line.split("\t")[0] for line in lines)
        assert set(keys) == queued
        assert max(keys.values()) == 1, "a message was delivered twice"
        assert sum(delivered) == MEMBERS
        assert sum(1 for count in delivered if count) >= 2  # the work was shared
        assert {m.status for m in net.notifications.messages()} == {MessageStatus.DELIVERED}


def test_concurrent_reminder_runs_queue_each_reminder_once(sql_url: str, tmp_path: Path) -> None:
    log = str(tmp_path / "deliveries.log")
    with _network_with_messages(sql_url, log) as net:
        queued = _run(_queue, sql_url, log)
        assert sum(queued) == MEMBERS  # one 1-day reminder per participant, in all
        reminders = [m for m in net.notifications.messages() if m.topic == "reminder.session"]
        assert len(reminders) == MEMBERS
        assert len({m.recipient for m in reminders}) == MEMBERS
