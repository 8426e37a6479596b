"""What a web process refuses to start with, and what it says when it starts in demo mode.

Secure by default: outside demo mode the server needs ``SECRET_KEY``, never
runs the sandbox checkout (whose events anyone could forge), needs Stripe's
webhook secret with Stripe, and will not serve a database holding the demo's
accounts (their password is public). Every problem is listed at once, naming
the variable to set, before anything listens.
"""

from __future__ import annotations

from ipaddress import ip_address

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tickerpulse.config import Settings
from tickerpulse.db.platform import User
from tickerpulse.platform.demo_accounts import DEMO_ACCOUNTS

DEMO_BANNER = (
    "DEMO MODE: sandbox payments, demo accounts with a public password and e-mails at"
    " /dev/outbox. It serves 127.0.0.1 only; never expose it. Production: `tickerpulse serve`."
)


class UnsafeSettings(RuntimeError):
    """The settings (or the database) are not safe for a server outside demo mode."""


def settings_problems(settings: Settings) -> list[str]:
    """What stops these settings from serving the web site, one sentence per problem."""
    if settings.demo_mode:
        if not _loopback(settings.web_host):
            return [
                f"WEB_HOST={settings.web_host}: demo mode serves only on 127.0.0.1 or localhost"
                " (its accounts' password is public); unset WEB_HOST or leave demo mode."
            ]
        return []
    problems = []
    if settings.secret_key is None or not settings.secret_key.get_secret_value().strip():
        problems.append(
            "SECRET_KEY is not set: give every web process the same long random value"
            " (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    if settings.webhook_allow_private:
        problems.append(
            "WEBHOOK_ALLOW_PRIVATE=1 lets users point alert webhooks at this network's own"
            " services (server-side request forgery): it is for tests and the demo only."
        )
    if settings.payments == "sandbox":
        problems.append(
            "PAYMENT_PROVIDER=sandbox is a fake checkout anyone could use to get a paid plan:"
            " it runs in demo mode only (DEMO_MODE=1, `tickerpulse demo`). Use stripe or none."
        )
    if settings.payments == "stripe":
        for name, value in (
            ("STRIPE_API_KEY", settings.stripe_api_key),
            ("STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret),
        ):
            if value is None or not value.get_secret_value().strip():
                problems.append(f"PAYMENT_PROVIDER=stripe needs {name}.")
    return problems


def demo_accounts_present(engine: Engine) -> list[str]:
    """The demo's accounts found in this database (their password is public)."""
    with Session(engine) as session:
        demo_emails = [email for email, _, _ in DEMO_ACCOUNTS]
        return list(session.scalars(select(User.email).where(User.email.in_(demo_emails))))


def check_startup(settings: Settings, engine: Engine) -> None:
    """Refuse to serve with unsafe settings; say loudly when this is the demo.

    Raises:
        UnsafeSettings: With every problem found, each naming what to set or do.
    """
    problems = settings_problems(settings)
    if not settings.demo_mode and (found := demo_accounts_present(engine)):
        problems.append(
            f"This database holds the demo's accounts ({', '.join(sorted(found))}), whose"
            " password is public: remove them with `tickerpulse user remove-demo`, or serve"
            " it as the demo (DEMO_MODE=1)."
        )
    if problems:
        raise UnsafeSettings("The web server will not start:\n- " + "\n- ".join(problems))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
