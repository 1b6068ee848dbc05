"""Use cases of the case itself: creating, upgrading, its members, its evidence and its audit log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from veilleur.app import accounts
from veilleur.app.permissions import Role
from veilleur.app.results import (
    AuditLog,
    AuditVerification,
    CaseUpgrade,
    CaseVerification,
    EvidenceCheck,
    EvidenceList,
    EvidenceRow,
    EvidenceVerification,
    Member,
    MembersView,
    UsersView,
)
from veilleur.app.session import CaseSession, member_role, use_case
from veilleur.app.users import Installation, User, open_installation
from veilleur.case import Case, _read_case, init_case, upgrade_case
from veilleur.custody import audit, seal
from veilleur.custody.evidence import verify
from veilleur.errors import NotFound, PermissionDenied, VeilleurError
from veilleur.store.schema import case_members, case_meta, evidence
from veilleur.timefmt import now_iso

__all__ = [
    "add_user",
    "audit_show",
    "audit_verify",
    "case_verify",
    "create_case",
    "evidence_list",
    "evidence_verify",
    "members",
    "remove_member",
    "set_member",
    "set_user_disabled",
    "set_user_password",
    "upgrade",
    "users",
]


def create_case(
    folder: Path,
    *,
    user: str,
    name: str | None = None,
    database_url: str | None = None,
    installation: Installation | None = None,
) -> Case:
    """Create a case; ``user`` becomes its lead (and a user of the installation if new)."""
    inst = installation or open_installation()
    try:
        inst.ensure(user, by=user)
    finally:
        if installation is None:
            inst.close()
    return init_case(folder, name=name, database_url=database_url, operator=user)


def upgrade(folder: Path, *, user: str) -> CaseUpgrade:
    """Migrate an older case's schema (``case.upgrade``): by a lead of the case, or for a case made
    before members existed, by its creator. Opening a case never does this by itself."""
    case = _read_case(folder)
    try:
        from veilleur.case import schema_state

        found, _expected, _state = schema_state(case)
        allowed = False
        if found is not None and found >= "0010":
            allowed = (member_role(case, user) or Role.VIEWER) >= Role.LEAD
        else:
            with case.engine.connect() as conn:
                creator = conn.execute(
                    select(case_meta.c.value).where(case_meta.c.key == "created_by")
                ).scalar()
            allowed = creator == user
    finally:
        case.close()
    if not allowed:
        raise PermissionDenied(f"case.upgrade needs the case's lead; {user!r} is not", file=str(folder))
    before, after = upgrade_case(folder, operator=user)
    return CaseUpgrade(before, after)


# -- members --------------------------------------------------------------------------------------


@use_case("members.show")
def members(session: CaseSession) -> MembersView:
    with session.reading() as conn:
        rows = conn.execute(select(case_members).order_by(case_members.c.user_name)).all()
    session.log_view("members", details={"members": len(rows)})
    inst = session.installation
    shown = []
    for r in rows:
        u = inst.user(r.user_name) if inst is not None else None
        shown.append(Member(r.user_name, u.display_name if u else None, r.role, r.added_by, r.added_at))
    return MembersView(shown)


@use_case("members.manage")
def set_member(session: CaseSession, user: str, role: str) -> Member:
    """Make ``user`` (a user of the installation) a member with ``role``, or change their role."""
    wanted = Role.parse(role)
    inst = session.installation
    if inst is not None and inst.user(user) is None:
        raise NotFound(
            f"no user {user!r} in this installation; an administrator adds it ('veilleur users add')"
        )
    if user == session.user and wanted < Role.LEAD and _leads(session) == {user}:
        raise VeilleurError("the case's last lead cannot step down: make another member lead first")
    at = now_iso()
    with session.case.engine.begin() as conn:
        before = conn.execute(select(case_members.c.role).where(case_members.c.user_name == user)).scalar()
        if before is None:
            conn.execute(
                insert(case_members),
                {"user_name": user, "role": wanted.label, "added_by": session.user, "added_at": at},
            )
        else:
            conn.execute(
                update(case_members).where(case_members.c.user_name == user).values(role=wanted.label)
            )
        where = audit.record(
            conn,
            "members.set",
            operator=session.user,
            subject=user,
            details={"role": wanted.label, "before": before},
        )
    audit.witness(session.case, where)
    return Member(user, None, wanted.label, session.user, at)


@use_case("members.manage")
def remove_member(session: CaseSession, user: str) -> None:
    if _leads(session) == {user}:
        raise VeilleurError("the case's last lead cannot be removed: make another member lead first")
    with session.case.engine.begin() as conn:
        done = conn.execute(delete(case_members).where(case_members.c.user_name == user)).rowcount
        if not done:
            raise NotFound(f"{user!r} is not a member of this case")
        where = audit.record(conn, "members.remove", operator=session.user, subject=user)
    audit.witness(session.case, where)


def _leads(session: CaseSession) -> set[str]:
    with session.reading() as conn:
        return set(
            conn.execute(select(case_members.c.user_name).where(case_members.c.role == "lead")).scalars()
        )


# -- installation users (administrators only; no case data) -----------------------------------------


def _require_admin(inst: Installation, user: str, what: str) -> None:
    if inst.users() and not inst.is_admin(user):
        raise PermissionDenied(f"{what} needs an administrator of the installation; {user!r} is not")


def users(inst: Installation, *, user: str) -> UsersView:
    _require_admin(inst, user, "users.show")
    return UsersView(inst.users())


def add_user(inst: Installation, name: str, *, user: str, display_name: str | None, admin: bool) -> User:
    """Add a user to the installation. The first user (a new installation) is its administrator."""
    _require_admin(inst, user, "users.manage")
    made = inst.add(name, display_name=display_name, admin=admin, by=user)
    accounts.log_event(inst, "user.add", actor=user, subject=made.name, details={"admin": made.is_admin})
    return made


def set_user_password(inst: Installation, name: str, password: str, *, user: str) -> None:
    """Set a user's password: the user themself, or an administrator. Ends their sessions."""
    if name != user:
        _require_admin(inst, user, "users.manage")
    accounts.set_password(inst, name, password, by=user)


def set_user_disabled(inst: Installation, name: str, *, user: str, disabled: bool) -> User:
    """Disable a user (no role in any case while disabled) or enable them again."""
    _require_admin(inst, user, "users.manage")
    if name == user and disabled:
        raise VeilleurError("an administrator cannot disable themself")
    changed = inst.set_disabled(name, disabled)
    if disabled:
        accounts.end_all(inst, name, by=user)
    accounts.log_event(inst, "user.disable" if disabled else "user.enable", actor=user, subject=name)
    return changed


# -- evidence and audit ---------------------------------------------------------------------------


@use_case("evidence.list")
def evidence_list(session: CaseSession, *, limit: int | None = None) -> EvidenceList:
    """The evidence registry (the first ``limit`` files, with the counts of all by kind)."""
    with session.reading() as conn:
        counts = conn.execute(select(evidence.c.kind, func.count()).group_by(evidence.c.kind))
        by_kind = {k: int(n) for k, n in counts}
        q = select(evidence).order_by(evidence.c.id)
        rows = conn.execute(q.limit(limit) if limit is not None else q).all()
    session.log_view("evidence", details={"files": len(rows)})
    return EvidenceList(
        sum(by_kind.values()),
        dict(sorted(by_kind.items())),
        [
            EvidenceRow(r.id, r.kind, r.sha256, r.size, r.registered_at, r.operator, r.original_path)
            for r in rows
        ]
    )


@use_case("evidence.verify")
def evidence_verify(session: CaseSession) -> EvidenceVerification:
    """Re-hash every registered file, record each outcome as a custody event, log the check."""
    bad: list[EvidenceCheck] = []
    n = 0
    with session.case.engine.begin() as conn:
        for v in verify(conn, session.user):
            n += 1
            if v.status != "unchanged":
                bad.append(EvidenceCheck(v.evidence_id, v.status, v.original_path, v.expected, v.found))
        where = audit.record(
            conn,
            "view.evidence.verify",
            operator=session.user,
            details={"files": n, "changed_or_missing": len(bad)},
        )
    audit.witness(session.case, where)
    return EvidenceVerification(n, bad)


@use_case("audit.verify")
def audit_verify(session: CaseSession) -> AuditVerification:
    """Check the whole chain, its head and the witness; the check is then logged (``audit.verify``)."""
    with session.reading() as conn:
        problems = audit.verify(conn, witness=session.case.witness_path)
        head = audit.position(conn)
    try:
        session.log_action("audit.verify", details={"problems": len(problems)})
        logged = True
    except VeilleurError:  # a log too damaged to append to: the problems say why
        logged = False
    return AuditVerification([str(p) for p in problems], head.label if head else None, logged)


@use_case("case.verify")
def case_verify(session: CaseSession, *, files: bool = True) -> CaseVerification:
    """Everything that makes the case's data provable, checked in one pass (``case.verify``):
    the audit chain, its head and witness (an empty or missing witness is an error); every
    import's records, recomputed and compared with the seal in its audit entry, and no record
    outside a seal; the registry's SHA-256s against the seals; and, unless ``files`` is False,
    each evidence file re-hashed (custody events recorded, as ``evidence verify`` does)."""
    with session.reading() as conn:
        chain = audit.verify(conn, witness=session.case.witness_path)
        head = audit.position(conn)
        sealed = seal.verify(conn)
    bad: list[EvidenceCheck] = []
    n_files = 0
    if files:
        with session.case.engine.begin() as conn:
            for v in verify(conn, session.user):
                n_files += 1
                if v.status != "unchanged":
                    bad.append(EvidenceCheck(v.evidence_id, v.status, v.original_path, v.expected, v.found))
    details = {
        "audit_problems": len(chain),
        "record_problems": len(sealed.problems),
        "unsealed": len(sealed.unsealed),
        "sealed_imports": sealed.sealed,
        "files": n_files,
        "changed_or_missing": len(bad),
    }
    try:
        session.log_action("case.verify", details=details)
        logged = True
    except VeilleurError:  # a log too damaged to append to: the problems say why
        logged = False
    return CaseVerification(
        [str(p) for p in chain],
        head.label if head else None,
        sealed.problems,
        sealed.unsealed,
        sealed.sealed,
        sealed.rows,
        n_files,
        bad,
        logged,
    )


@use_case("audit.show")
def audit_show(
    session: CaseSession, *, limit: int = 50, action: str | None = None, operator: str | None = None
) -> AuditLog:
    """The log's last ``limit`` entries (0: all), newest last, optionally only those whose action
    starts with ``action`` or of one ``operator``. Subjects name accounts and exports: reading the
    log is a view like any other."""
    with session.reading() as conn:
        if limit == 0 and not action and not operator:
            shown = list(audit.entries(conn))
        else:
            shown = audit.find(conn, action=action, operator=operator, limit=limit or 10**9)
    session.log_view(
        "audit", details={"entries": len(shown)} | ({"action": action} if action else {})
    )
    return AuditLog.of(shown)
