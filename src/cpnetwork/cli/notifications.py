"""``cpnetwork tick`` and ``cpnetwork notifications``: the scheduled job and the outbox."""

from __future__ import annotations

import os
from typing import Any

import click
from attrs import evolve

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, details, moment, plain, table
from cpnetwork.cli._state import CliState, find_member, pass_state
from cpnetwork.model import EmailSettings, MessageStatus, NotificationSettings, WebhookEndpoint
from cpnetwork.storage.sql_url import masked


@click.command(
    "tick",
    epilog="""\b
Examples:
  cpnetwork tick
  cpnetwork --db /srv/network.db tick --limit 500
""",
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="Deliver at most this many messages this run."
)
@pass_state
def tick_command(state: CliState, limit: int | None) -> None:
    """Do what is due: expire offers, queue reminders, deliver messages, purge old ones.

    The one command a cron entry or systemd timer runs, every few minutes.  Safe to
    run twice or from two machines at once: nothing is queued or delivered twice.
    """
    report = state.open().notifications.tick(dispatch_limit=limit)
    out = console()
    for line in report.lines():
        out.print(plain(line))


@click.group("notifications")
def notifications_group() -> None:
    """Channel settings and the outbox of messages to deliver."""


def _settings_rows(settings: NotificationSettings) -> list[tuple[str, object]]:
    email = settings.email
    return [
        ("email", "off" if email is None else f"{email.sender} via {email.host}"),
        ("webhooks", ", ".join(masked(w.url) for w in settings.webhooks) or "none"),
        ("log", "on" if settings.log else "off"),
        ("session reminders (days before)", settings.reminders.session_days),
        ("deadline reminders (days before)", settings.reminders.deadline_days),
        ("offer reminders (days before)", settings.reminders.offer_days),
        ("attempts before a message is dead", settings.max_attempts),
        ("kept after delivery", settings.retention),
    ]


@notifications_group.command(
    "settings",
    epilog="""\b
Examples:
  cpnetwork notifications settings
  cpnetwork notifications settings --log on
  cpnetwork notifications settings --email-sender network@example.org --smtp-host mail.example.org
  cpnetwork notifications settings --json
""",
)
@click.option("--log", type=click.Choice(["on", "off"]), help="Write messages to the log.")
@click.option("--email-sender", metavar="ADDRESS", help="Turn email on, sent from ADDRESS.")
@click.option("--smtp-host", metavar="HOST", help="The SMTP server (with --email-sender).")
@click.option("--smtp-port", type=int, help="The SMTP port (default: the security's own).")
@click.option(
    "--smtp-security",
    type=click.Choice(["plain", "starttls", "ssl"]),
    help="How the SMTP connection is protected.",
)
@click.option("--smtp-username", help="Log in as this user (password: CPNETWORK_SMTP_PASSWORD).")
@click.option("--no-email", is_flag=True, help="Turn email off.")
@click.option(
    "--webhook",
    metavar="URL",
    help="Send every event to URL, signed with the secret in --webhook-secret-env.",
)
@click.option(
    "--webhook-secret-env",
    metavar="VAR",
    default="CPNETWORK_WEBHOOK_SECRET",
    show_default=True,
    help="Environment variable holding the webhook's signing secret.",
)
@click.option("--no-webhooks", is_flag=True, help="Remove every webhook.")
@click.option("--max-attempts", type=click.IntRange(min=1), help="Attempts before dead.")
@_values.json_option
@pass_state
def settings_command(
    state: CliState,
    log: str | None,
    email_sender: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    smtp_username: str | None,
    no_email: bool,
    webhook: str | None,
    webhook_secret_env: str,
    no_webhooks: bool,
    max_attempts: int | None,
    as_json_: bool,
) -> None:
    """Show the notification settings, changing those given first.

    Webhooks' signing secrets are never shown, and their URLs with any password hidden.
    """
    options = (log, email_sender, smtp_host, smtp_port, smtp_security, smtp_username, webhook)
    changing = no_email or no_webhooks or max_attempts is not None
    network = state.open(read_only=not (changing or any(v is not None for v in options)))
    settings = network.notifications.settings
    changes: dict[str, object] = {}
    if log is not None:
        changes["log"] = log == "on"
    if no_email:
        changes["email"] = None
    elif email_sender or smtp_host or smtp_port or smtp_security or smtp_username:
        current = settings.email
        if current is None and not email_sender:
            raise click.UsageError("give --email-sender to turn email on")
        email = current or EmailSettings(sender=email_sender or "")
        given: dict[str, Any] = {
            "sender": email_sender,
            "host": smtp_host,
            "port": smtp_port,
            "security": smtp_security,
            "username": smtp_username,
        }
        changes["email"] = evolve(email, **{k: v for k, v in given.items() if v is not None})
    if no_webhooks:
        changes["webhooks"] = ()
    if webhook is not None:
        secret = os.environ.get(webhook_secret_env)
        if not secret:
            raise click.UsageError(f"set {webhook_secret_env} to the webhook's signing secret")
        kept = tuple(w for w in settings.webhooks if w.url != webhook)
        changes["webhooks"] = (*kept, WebhookEndpoint(url=webhook, secret=secret))
    if max_attempts is not None:
        changes["max_attempts"] = max_attempts
    if changes:
        settings = network.notifications.configure(**changes)
    if as_json_:
        _values.echo_json(settings_json(settings))
        return
    console().print(details((name, plain(value)) for name, value in _settings_rows(settings)))


def settings_json(settings: NotificationSettings) -> dict[str, Any]:
    """The settings as ``--json`` prints them: no webhook secret, URLs masked."""
    data: dict[str, Any] = _values.as_json(settings)
    data["webhooks"] = [
        {key: value for key, value in _values.as_json(hook).items() if key != "secret"}
        | {"url": masked(hook.url)}
        for hook in settings.webhooks
    ]
    return data


@notifications_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork notifications list
  cpnetwork notifications list --status dead
  cpnetwork notifications list --member ada@example.org
  cpnetwork notifications list --json
""",
)
@click.option(
    "--status",
    type=click.Choice([s.value for s in MessageStatus]),
    help="Only messages in this state.",
)
@click.option("--member", metavar="EMAIL_OR_ID", help="Only messages to or about this member.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@_values.json_option
@pass_state
def list_messages(
    state: CliState, status: str | None, member: str | None, limit: int, as_json_: bool
) -> None:
    """List messages in the outbox, oldest first."""
    network = state.open(read_only=True)
    member_id = find_member(network, member).id if member else None
    found = network.notifications.messages(status=status, member_id=member_id, limit=limit)
    if as_json_:
        _values.echo_json(found)
        return
    out = console()
    if not found:
        out.print("No messages match.")
        return
    shown = table(
        "Outbox", "created", "status", "tries", "channel", "to", "topic", "last error", ids=()
    )
    zone = network.profile.timezone
    for message in found:
        shown.add_row(
            plain(moment(message.created_at, zone)),
            plain(message.status.value),
            plain(message.attempts),
            plain(message.channel),
            plain(masked(message.recipient)),  # a webhook's URL may hold its token
            plain(message.topic),
            plain(masked(message.last_error or "")),
        )
    out.print(shown)


@notifications_group.command(
    "dispatch",
    epilog="""\b
Examples:
  cpnetwork notifications dispatch
""",
)
@click.option("--limit", type=click.IntRange(min=1), help="Deliver at most this many.")
@pass_state
def dispatch_command(state: CliState, limit: int | None) -> None:
    """Deliver the messages that are due now (tick does this and more)."""
    report = state.open().notifications.dispatch(limit)
    console().print(
        plain(f"delivered: {report.delivered}, to retry: {report.retried}, dead: {report.dead}")
    )


@notifications_group.command(
    "purge",
    epilog="""\b
Examples:
  cpnetwork notifications purge
""",
)
@pass_state
def purge_command(state: CliState) -> None:
    """Remove delivered and dead messages older than the retention setting."""
    purged = state.open().notifications.purge()
    console().print(plain(f"purged: {purged}"))
