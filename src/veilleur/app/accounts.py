"""Signing in to an installation: passwords, sessions, API tokens, second factors, and their log.

These are installation data, not case data, so they live in the installation store beside the
users (:mod:`veilleur.app.users`), and what happens to them is written to the installation's own
event log, hash-chained like a case's audit log: every sign-in attempt (granted or refused), every
session opened or revoked, every token issued or revoked, every password or second-factor change.

* Passwords are stored as argon2id hashes (argon2-cffi's defaults, RFC 9106's second
  recommendation), re-hashed on sign-in when the parameters change.
* A session is a random token that only the browser holds; the store keeps its SHA-256, so a copy
  of the store opens no session. Each session has its own CSRF token. Sessions end after
  :data:`IDLE_HOURS` without use, at :data:`MAX_HOURS` in any case, and when revoked by their user
  or an administrator; disabling a user ends their sessions and tokens.
* Sign-in is refused for :data:`LOCK_MINUTES` after :data:`MAX_FAILURES` failures for one user
  name, whoever tried, so that guessing costs time; the refusal says so and is logged.
* An API token acts with its user's permissions in every case (a script is its user).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    select,
    update,
)

from veilleur.app.users import METADATA, Installation, User
from veilleur.errors import NotFound, VeilleurError

__all__ = [
    "IDLE_HOURS",
    "LANGUAGES",
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "MAX_HOURS",
    "ApiToken",
    "Event",
    "LoginRefused",
    "Preferences",
    "WebSession",
    "check_password",
    "disable_totp",
    "enable_totp",
    "events",
    "issue_token",
    "new_password",
    "open_web_session",
    "preferences",
    "revoke_session",
    "revoke_token",
    "sessions_of",
    "set_password",
    "set_preferences",
    "token_user",
    "tokens_of",
    "verify_events",
    "web_session",
]

IDLE_HOURS = 8
MAX_HOURS = 24
MAX_FAILURES = 5
LOCK_MINUTES = 15
STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # as veilleur.timefmt.now_iso writes it
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # argon2id
_DUMMY = _hasher.hash("a password nobody has")  # so an unknown user costs the same time as a known one

credentials = Table(
    "credentials",
    METADATA,
    Column("user_name", String(128), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("totp_secret", String(64)),
    Column("changed_at", String(32), nullable=False),
)

web_sessions = Table(
    "web_sessions",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("csrf", String(64), nullable=False),
    Column("user_name", String(128), nullable=False, index=True),
    Column("client", String(128)),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
    Column("revoked_by", String(128)),
)

api_tokens = Table(
    "api_tokens",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_name", String(128), nullable=False, index=True),
    Column("label", String(256), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("last_used_at", String(32)),
    Column("revoked_at", String(32)),
)

login_attempts = Table(
    "login_attempts",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(128), nullable=False, index=True),
    Column("client", String(128)),
    Column("at", String(32), nullable=False),
    Column("granted", Boolean, nullable=False),
)

installation_events = Table(
    "installation_events",
    METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("subject", String(256)),
    Column("details", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


preferences_table = Table(
    "user_preferences",
    METADATA,
    Column("user_name", String(128), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("timezone", String(64), nullable=False),
)

LANGUAGES = {"en": "English", "fr": "Français"}


@dataclass(frozen=True)
class Preferences:
    """How the interface speaks to a user: its language, and the time zone dates are shown in
    (beside UTC, which stays the reference)."""

    language: str = "en"
    timezone: str = "UTC"


def preferences(inst: Installation, user: str) -> Preferences:
    with inst.reader.connect() as conn:
        r = conn.execute(select(preferences_table).where(preferences_table.c.user_name == user)).first()
    return Preferences(r.language, r.timezone) if r is not None else Preferences()


def set_preferences(inst: Installation, user: str, *, language: str, timezone: str) -> Preferences:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if language not in LANGUAGES:
        raise VeilleurError(f"no language {language!r}: one of {', '.join(LANGUAGES)}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise VeilleurError(f"no time zone {timezone!r} (an IANA name such as Europe/Paris)") from None
    with inst.engine.begin() as conn:
        done = conn.execute(
            update(preferences_table)
            .where(preferences_table.c.user_name == user)
            .values(language=language, timezone=timezone)
        ).rowcount
        if not done:
            conn.execute(
                insert(preferences_table), {"user_name": user, "language": language, "timezone": timezone}
            )
        _log(
            conn,
            "preferences.set",
            actor=user,
            subject=user,
            details={"language": language, "timezone": timezone},
        )
    return Preferences(language, timezone)


class LoginRefused(VeilleurError):
    """Sign-in refused: wrong name, password or code, or too many failures (the message says)."""


@dataclass(frozen=True)
class WebSession:
    id: int
    user: str
    csrf: str
    client: str | None
    created_at: str
    last_seen_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class ApiToken:
    id: int
    user: str
    label: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    action: str
    actor: str
    subject: str | None
    details: dict[str, Any] | None


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.strftime(STAMP)


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _event_hash(prev: str, at: str, action: str, actor: str, subject: str | None, details: str | None) -> str:
    body = orjson.dumps([prev, at, action, actor, subject, details])
    return hashlib.sha256(body).hexdigest()


def _log(
    conn: Connection,
    action: str,
    *,
    actor: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an event to the installation's log, chained to the one before it."""
    prev = conn.execute(
        select(installation_events.c.hash).order_by(installation_events.c.seq.desc()).limit(1)
    ).scalar() or ("0" * 64)
    at = _iso(_now())
    text = orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode() if details else None
    conn.execute(
        insert(installation_events),
        {
            "at": at,
            "action": action,
            "actor": actor,
            "subject": subject,
            "details": text,
            "prev_hash": prev,
            "hash": _event_hash(prev, at, action, actor, subject, text),
        },
    )


def log_event(
    inst: Installation,
    action: str,
    *,
    actor: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Log an installation event that changes nothing else (a user added elsewhere, say)."""
    with inst.engine.begin() as conn:
        _log(conn, action, actor=actor, subject=subject, details=details)


def events(inst: Installation, *, limit: int = 200) -> list[Event]:
    """The latest events, newest first."""
    with inst.reader.connect() as conn:
        rows = conn.execute(
            select(installation_events).order_by(installation_events.c.seq.desc()).limit(limit)
        ).all()
    return [
        Event(r.seq, r.at, r.action, r.actor, r.subject, orjson.loads(r.details) if r.details else None)
        for r in rows
    ]


def verify_events(inst: Installation) -> int | None:
    """The sequence number of the first event whose chain does not hold, or None when all do."""
    prev = "0" * 64
    with inst.reader.connect() as conn:
        for r in conn.execute(select(installation_events).order_by(installation_events.c.seq)):
            if r.prev_hash != prev or r.hash != _event_hash(
                prev, r.at, r.action, r.actor, r.subject, r.details
            ):
                return int(r.seq)
            prev = r.hash
    return None


# -- passwords and second factors -----------------------------------------------------------------


def new_password() -> str:
    """A random password to hand over once (the demo's user, an administrator's reset)."""
    return secrets.token_urlsafe(12)


def set_password(inst: Installation, user: str, password: str, *, by: str) -> None:
    """Set ``user``'s password (at least :data:`MIN_PASSWORD` characters); ends their sessions."""
    if inst.user(user) is None:
        raise NotFound(f"no user {user!r} in this installation")
    if len(password) < MIN_PASSWORD:
        raise VeilleurError(f"a password has at least {MIN_PASSWORD} characters")
    digest = _hasher.hash(password)
    now = _iso(_now())
    with inst.engine.begin() as conn:
        done = conn.execute(
            update(credentials)
            .where(credentials.c.user_name == user)
            .values(password_hash=digest, changed_at=now)
        ).rowcount
        if not done:
            conn.execute(insert(credentials), {"user_name": user, "password_hash": digest, "changed_at": now})
        _end_sessions(conn, user, by=by)
        _log(conn, "password.set", actor=by, subject=user)


def enable_totp(inst: Installation, user: str, *, by: str) -> str:
    """Give ``user`` a TOTP second factor; returns the secret to put in an authenticator app."""
    secret = pyotp.random_base32()
    with inst.engine.begin() as conn:
        done = conn.execute(
            update(credentials).where(credentials.c.user_name == user).values(totp_secret=secret)
        ).rowcount
        if not done:
            raise VeilleurError(f"{user!r} has no password yet: set one before a second factor")
        _log(conn, "totp.enable", actor=by, subject=user)
    return secret


def disable_totp(inst: Installation, user: str, *, by: str) -> None:
    with inst.engine.begin() as conn:
        conn.execute(update(credentials).where(credentials.c.user_name == user).values(totp_secret=None))
        _log(conn, "totp.disable", actor=by, subject=user)


def _recent_failures(conn: Connection, user: str) -> int:
    since = _iso(_now() - timedelta(minutes=LOCK_MINUTES))
    last_granted = conn.execute(
        select(func.max(login_attempts.c.id)).where(
            login_attempts.c.user_name == user, login_attempts.c.granted.is_(True)
        )
    ).scalar()
    return int(
        conn.execute(
            select(func.count()).where(
                login_attempts.c.user_name == user,
                login_attempts.c.granted.is_(False),
                login_attempts.c.at >= since,
                login_attempts.c.id > (last_granted or 0),
            )
        ).scalar()
        or 0
    )


def check_password(
    inst: Installation, user: str, password: str, *, code: str | None = None, client: str | None = None
) -> User:
    """The user, when name, password (and second-factor code, if they have one) are right.

    Every attempt is recorded and logged; after :data:`MAX_FAILURES` failures in
    :data:`LOCK_MINUTES` the name is refused without checking, so the same message answers a wrong
    password and a locked name's right one. The message never says which of name or password was
    wrong."""
    user = user.strip()[:128]
    with inst.engine.begin() as conn:
        locked = _recent_failures(conn, user) >= MAX_FAILURES
        row = conn.execute(select(credentials).where(credentials.c.user_name == user)).first()
        known = inst.user(user, conn) if row is not None else None
        ok = False
        why = "locked" if locked else "wrong"
        if not locked:
            try:
                _hasher.verify(row.password_hash if row is not None else _DUMMY, password)
                ok = row is not None
            except (VerificationError, InvalidHashError):
                ok = False
            if ok and (known is None or known.disabled):
                ok, why = False, "disabled"
            if (
                ok
                and row is not None
                and row.totp_secret
                and not (code and pyotp.TOTP(row.totp_secret).verify(code.strip(), valid_window=1))
            ):
                ok, why = False, "second factor"
            if ok and row is not None and _hasher.check_needs_rehash(row.password_hash):
                conn.execute(
                    update(credentials)
                    .where(credentials.c.user_name == user)
                    .values(password_hash=_hasher.hash(password))
                )
        conn.execute(
            insert(login_attempts), {"user_name": user, "client": client, "at": _iso(_now()), "granted": ok}
        )
        _log(
            conn,
            "login.granted" if ok else "login.refused",
            actor=user,
            details={"client": client} | ({} if ok else {"why": why}),
        )
    if not ok or known is None:
        if locked:
            raise LoginRefused(
                f"too many failed sign-ins for this name: try again in {LOCK_MINUTES} minutes "
                "or ask an administrator"
            )
        if why == "second factor":
            raise LoginRefused("the second-factor code is missing or wrong")
        raise LoginRefused("wrong user name or password")
    return known


# -- sessions -------------------------------------------------------------------------------------


def open_web_session(inst: Installation, user: str, *, client: str | None = None) -> tuple[str, WebSession]:
    """A new session for ``user``: the token for the browser's cookie, and the session.

    Always a new token after sign-in, so that a token planted before it (session fixation) is
    worth nothing."""
    token = secrets.token_urlsafe(32)
    now = _iso(_now())
    with inst.engine.begin() as conn:
        sid = conn.execute(
            insert(web_sessions).returning(web_sessions.c.id),
            {
                "token_sha256": _sha(token),
                "csrf": secrets.token_urlsafe(32),
                "user_name": user,
                "client": client,
                "created_at": now,
                "last_seen_at": now,
            },
        ).scalar_one()
        _log(conn, "session.open", actor=user, subject=f"session:{sid}", details={"client": client})
    got = web_session(inst, token)
    assert got is not None
    return token, got


def _session(r: Any) -> WebSession:
    return WebSession(r.id, r.user_name, r.csrf, r.client, r.created_at, r.last_seen_at, r.revoked_at)


def web_session(inst: Installation, token: str | None) -> WebSession | None:
    """The live session of a browser's token (its use noted), or None: unknown, revoked, expired,
    or its user disabled."""
    if not token:
        return None
    now = _now()
    with inst.reader.connect() as conn:  # every request asks: a read, a write only once a minute
        r = conn.execute(select(web_sessions).where(web_sessions.c.token_sha256 == _sha(token))).first()
        if r is None or r.revoked_at is not None:
            return None
        created, seen = _parse(r.created_at), _parse(r.last_seen_at)
        if now - seen > timedelta(hours=IDLE_HOURS) or now - created > timedelta(hours=MAX_HOURS):
            return None
        u = inst.user(r.user_name, conn)
        if u is None or u.disabled:
            return None
    if now - seen > timedelta(minutes=1):
        with inst.engine.begin() as conn:
            conn.execute(update(web_sessions).where(web_sessions.c.id == r.id).values(last_seen_at=_iso(now)))
    return _session(r)


def sessions_of(inst: Installation, user: str | None = None) -> list[WebSession]:
    """Sessions not revoked, of ``user`` or of everyone (an administrator's list)."""
    q = select(web_sessions).where(web_sessions.c.revoked_at.is_(None)).order_by(web_sessions.c.id.desc())
    if user is not None:
        q = q.where(web_sessions.c.user_name == user)
    with inst.reader.connect() as conn:
        return [_session(r) for r in conn.execute(q)]


def revoke_session(inst: Installation, session_id: int, *, by: str) -> None:
    """End a session: its own user or an administrator may."""
    with inst.engine.begin() as conn:
        owner = conn.execute(select(web_sessions.c.user_name).where(web_sessions.c.id == session_id)).scalar()
        if owner is None or (owner != by and not inst.is_admin(by, conn)):
            raise NotFound(f"no session {session_id} of yours")
        conn.execute(
            update(web_sessions)
            .where(web_sessions.c.id == session_id, web_sessions.c.revoked_at.is_(None))
            .values(revoked_at=_iso(_now()), revoked_by=by)
        )
        _log(conn, "session.revoke", actor=by, subject=f"session:{session_id}", details={"user": owner})


def _end_sessions(conn: Connection, user: str, *, by: str) -> None:
    now = _iso(_now())
    conn.execute(
        update(web_sessions)
        .where(web_sessions.c.user_name == user, web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )


def end_all(inst: Installation, user: str, *, by: str) -> None:
    """End every session and token of ``user`` (a disabled user, a password reset)."""
    with inst.engine.begin() as conn:
        _end_sessions(conn, user, by=by)
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.user_name == user, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_iso(_now()))
        )
        _log(conn, "sessions.end_all", actor=by, subject=user)


def check_csrf(session: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")


# -- API tokens -----------------------------------------------------------------------------------

TOKEN_PREFIX = "vlr_"


def issue_token(inst: Installation, user: str, label: str, *, by: str) -> str:
    """A new API token for ``user`` (shown once; the store keeps its SHA-256)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with inst.engine.begin() as conn:
        tid = conn.execute(
            insert(api_tokens).returning(api_tokens.c.id),
            {
                "token_sha256": _sha(token),
                "user_name": user,
                "label": label[:256],
                "created_at": _iso(_now()),
            },
        ).scalar_one()
        _log(
            conn,
            "token.issue",
            actor=by,
            subject=f"token:{tid}",
            details={"user": user, "label": label[:256]},
        )
    return token


def tokens_of(inst: Installation, user: str) -> list[ApiToken]:
    with inst.reader.connect() as conn:
        rows = conn.execute(
            select(api_tokens)
            .where(api_tokens.c.user_name == user, api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.id)
        ).all()
    return [ApiToken(r.id, r.user_name, r.label, r.created_at, r.last_used_at, r.revoked_at) for r in rows]


def revoke_token(inst: Installation, token_id: int, *, by: str) -> None:
    with inst.engine.begin() as conn:
        owner = conn.execute(select(api_tokens.c.user_name).where(api_tokens.c.id == token_id)).scalar()
        if owner is None or (owner != by and not inst.is_admin(by, conn)):
            raise NotFound(f"no token {token_id} of yours")
        conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=_iso(_now())))
        _log(conn, "token.revoke", actor=by, subject=f"token:{token_id}", details={"user": owner})


def token_user(inst: Installation, token: str) -> User | None:
    """The user an API token acts as, or None (unknown, revoked, or the user disabled)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with inst.reader.connect() as conn:
        r = conn.execute(
            select(api_tokens).where(
                and_(api_tokens.c.token_sha256 == _sha(token), api_tokens.c.revoked_at.is_(None))
            )
        ).first()
    if r is None:
        return None
    if r.last_used_at is None or _now() - _parse(r.last_used_at) > timedelta(minutes=1):
        with inst.engine.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == r.id).values(last_used_at=_iso(_now())))
    u = inst.user(r.user_name)
    return None if u is None or u.disabled else u
