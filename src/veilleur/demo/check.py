"""Compare a case database with the demo's ``ground_truth.json``.

After every export of ``truth["import_order"]`` has been imported into one case,
:func:`check_ground_truth` lists each fact of the ground truth (see
:mod:`veilleur.demo.generate` for its schema) the database does not hold as stated. An empty list
means the importer concluded exactly what a correct importer must.

Ground-truth chat keys are ``"<kind>:<bare id>"`` or ``"name:<title>"`` (HTML-only chats); the
store keys the same chats ``"telegram:<kind>:<bare id>"`` and ``"telegram:name:<title>"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, select

from veilleur.store.schema import (
    account_names,
    accounts,
    chat_imports,
    chats,
    evidence,
    exporter_records,
    import_log,
    imports,
    media,
    message_versions,
    messages,
)
from veilleur.timefmt import iso_utc

__all__ = ["Mismatch", "check_ground_truth", "check_hits", "check_identity", "check_network", "store_key"]

MAIN_MEDIA_ROLES = ("photo", "file", "contact_vcard")
"""The media fields the ground truth counts (thumbnails go with their file)."""


@dataclass(frozen=True)
class Mismatch:
    """One fact of the ground truth the case does not hold: what, as expected, as found.

    For facts that are sets (message ids, names...), ``expected`` lists only what the case lacks
    and ``found`` only what the case holds beyond the ground truth.
    """

    what: str
    expected: Any
    found: Any

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected!r}, found {self.found!r}"


def store_key(truth_key: str) -> str:
    """``channel:123`` → ``telegram:channel:123``; ``name:Title`` → ``telegram:name:Title``."""
    return f"telegram:{truth_key}"


def _epoch(iso: str) -> int:
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def _offset_seconds(text: str) -> int:
    """``+01:00`` → 3600."""
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return sign * (int(hours) * 3600 + int(minutes or 0) * 60)


class _Checker:
    def __init__(self, conn: Connection, truth: dict[str, Any]) -> None:
        self.conn = conn
        self.truth = truth
        self.case: dict[str, Any] = truth["case"]
        self.found: list[Mismatch] = []
        self.chat_ids: dict[str, int] = {r.key: r.id for r in conn.execute(select(chats.c.key, chats.c.id))}

    def expect(self, what: str, expected: Any, found: Any) -> None:
        if expected != found:
            self.found.append(Mismatch(what, expected, found))

    def expect_set(self, what: str, expected: Iterable[Any], found: Iterable[Any]) -> None:
        """Compare as sets; report only the differences, so a long list stays readable."""
        exp, got = set(expected), set(found)
        if exp != got:
            self.found.append(Mismatch(what, sorted(exp - got, key=repr), sorted(got - exp, key=repr)))

    # -- chats and messages --------------------------------------------------------------------
    def _ids(self, chat_id: int, *where: Any) -> list[int]:
        return sorted(
            self.conn.execute(
                select(messages.c.message_id).where(messages.c.chat_id == chat_id, *where)
            ).scalars()
        )

    def messages(self) -> None:
        expected: dict[str, list[int]] = self.case["distinct_message_ids"]
        self.expect_set("chats in the case", (store_key(k) for k in expected), self.chat_ids)
        for key, ids in expected.items():
            chat_id = self.chat_ids.get(store_key(key))
            if chat_id is None:
                continue  # reported above
            self.expect_set(f"message ids of {key}", ids, self._ids(chat_id))
        services: dict[str, set[int]] = {}
        for ex in self.truth["exports"].values():
            for key, chat in ex["chats"].items():
                services.setdefault(key, set()).update(chat["service_message_ids"])
        for key, sids in services.items():
            chat_id = self.chat_ids.get(store_key(key))
            if chat_id is not None:
                self.expect_set(
                    f"service message ids of {key}", sids, self._ids(chat_id, messages.c.kind == "service")
                )
        first, last = self.conn.execute(
            select(func.min(messages.c.date_utc), func.max(messages.c.date_utc))
        ).one()
        self.expect("first message time (UTC epoch)", _epoch(self.case["first_message_utc"]), first)
        self.expect("last message time (UTC epoch)", _epoch(self.case["last_message_utc"]), last)
        self.expect(
            "messages without a time",
            0,
            self.conn.execute(
                select(func.count())
                .select_from(messages)
                .where(messages.c.date_utc.is_(None), messages.c.kind != "unsupported")
            ).scalar(),
        )

    def edits(self) -> None:
        edited: list[dict[str, Any]] = self.case["edited_messages"]
        stated = set()
        for e in edited:
            chat_id = self.chat_ids.get(store_key(e["chat"]))
            what = f"versions of message {e['id']} in {e['chat']}"
            stated.add((store_key(e["chat"]), e["id"]))
            if chat_id is None:
                continue
            row = self.conn.execute(
                select(messages.c.id, messages.c.text, messages.c.edited_utc, messages.c.n_versions).where(
                    messages.c.chat_id == chat_id, messages.c.message_id == e["id"]
                )
            ).first()
            if row is None:
                self.found.append(Mismatch(what, e["texts"], None))
                continue
            versions = list(
                self.conn.execute(
                    select(message_versions.c.text)
                    .where(message_versions.c.message_pk == row.id)
                    .order_by(message_versions.c.version)
                ).scalars()
            )
            texts = versions or [row.text]
            self.expect(what, e["texts"], texts)
            self.expect(f"version count of message {e['id']} in {e['chat']}", len(e["texts"]), row.n_versions)
            self.expect(f"message {e['id']} in {e['chat']} shown as edited", True, row.edited_utc is not None)
        multi = self.conn.execute(
            select(chats.c.key, messages.c.message_id)
            .join(chats, chats.c.id == messages.c.chat_id)
            .where(messages.c.n_versions > 1)
        ).all()
        self.expect_set(
            "messages with several versions not in the ground truth",
            [],
            [(k, m) for k, m in multi if (k, m) not in stated],
        )

    def possibly_deleted(self) -> None:
        expected = {(store_key(k), i) for k, ids in self.case["possibly_deleted"].items() for i in ids}
        found = self.conn.execute(
            select(chats.c.key, messages.c.message_id)
            .join(chats, chats.c.id == messages.c.chat_id)
            .where(messages.c.possibly_deleted.is_(True))
        ).all()
        self.expect_set("messages flagged possibly deleted", expected, [(k, m) for k, m in found])

    def media(self) -> None:
        present: dict[str, set[int]] = {}
        for ex in self.truth["exports"].values():
            for key, chat in ex["chats"].items():
                present.setdefault(key, set()).update(chat["media_present_ids"])
        for key, ids in present.items():
            chat_id = self.chat_ids.get(store_key(key))
            if chat_id is None:
                continue
            found = self.conn.execute(
                select(messages.c.message_id)
                .distinct()
                .join(media, media.c.message_pk == messages.c.id)
                .where(
                    messages.c.chat_id == chat_id,
                    media.c.present.is_(True),
                    media.c.role.in_(("photo", "file")),
                )
            ).scalars()
            self.expect_set(f"messages of {key} with a saved photo or file", ids, found)
        broken = self.conn.execute(
            select(func.count())
            .select_from(media)
            .where(media.c.present.is_(True), media.c.file_evidence_id.is_(None))
        ).scalar()
        self.expect("present media without an evidence file", 0, broken)
        issues: dict[str, int] = dict(
            self.conn.execute(
                select(media.c.issue, func.count()).where(media.c.issue.is_not(None)).group_by(media.c.issue)
            ).all()
        )
        self.expect("media missing from their export or refused", {}, issues)

    # -- accounts ------------------------------------------------------------------------------
    def _names(self, kind: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for key, value in self.conn.execute(
            select(accounts.c.key, account_names.c.value)
            .join(accounts, accounts.c.id == account_names.c.account_id)
            .where(account_names.c.name_kind == kind)
        ):
            out.setdefault(key, set()).add(value)
        return out

    def accounts(self) -> None:
        expected: dict[str, dict[str, list[str]]] = self.case["accounts"]
        known = {r.key: r for r in self.conn.execute(select(accounts))}
        display = self._names("display_name")
        usernames = self._names("username")
        for key, facts in expected.items():
            skey = store_key(key)
            row = known.get(skey)
            if row is None:
                self.found.append(Mismatch(f"account {key}", "present", None))
                continue
            self.expect(f"identity of account {key}", "platform_id", row.identity)
            self.expect_set(f"display names of {key}", facts["names"], display.get(skey, set()))
            self.expect_set(f"usernames of {key}", facts["usernames"], usernames.get(skey, set()))
        expected_keys = {store_key(k) for k in expected}
        self.expect_set(
            "accounts with a username not in the ground truth",
            [],
            (k for k in usernames if k not in expected_keys),
        )
        self.expect_set(
            "deleted accounts",
            (store_key(k) for k in self.case["deleted_account_ids"]),
            (k for k, r in known.items() if r.deleted_seen),
        )
        central = (
            self.conn.execute(
                select(accounts.c.key)
                .join(exporter_records, exporter_records.c.account_id == accounts.c.id)
                .where(exporter_records.c.section == "personal_information")
            )
            .scalars()
            .all()
        )
        self.expect(
            "central account (personal_information)",
            [store_key(self.case["central_account_id"])],
            list(central),
        )

    # -- per export ----------------------------------------------------------------------------
    def exports(self) -> None:
        rows = self.conn.execute(select(imports).order_by(imports.c.id)).all()
        by_folder: dict[str, Any] = {}
        for r in rows:
            folder = r.source_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
            if r.status == "complete" and folder not in by_folder:
                by_folder[folder] = r
        order = self.truth["import_order"]
        self.expect("exports imported", sorted(order), sorted(by_folder))
        for folder in order:
            imp = by_folder.get(folder)
            if imp is None:
                continue
            facts = self.truth["exports"][folder]
            report = orjson.loads(imp.report or "{}")
            self.expect(f"{folder}: layout", facts["layout"], imp.layout)
            self.expect(f"{folder}: formats", "+".join(facts["formats"]), imp.format)
            per_chat = {c["chat"]: c for c in report.get("chats", [])}
            counted = report.get("counters", {}).get("placeholders", {})
            escapes = 0
            for key, chat in facts["chats"].items():
                skey = store_key(key)
                escapes += chat["json_escapes"]
                want = {k: v for k, v in chat["placeholders"].items() if v}
                self.expect(f"{folder}: placeholders of {key} (counters)", want, counted.get(skey, {}))
                rep = per_chat.get(skey)
                if rep is None:
                    self.found.append(Mismatch(f"{folder}: chat {key} in the import report", "present", None))
                    continue
                self.expect(f"{folder}: placeholders of {key} (report)", want, rep.get("placeholders"))
                ids = chat["message_ids"]
                self.expect(f"{folder}: message count of {key}", len(ids), rep.get("messages"))
                self.expect(
                    f"{folder}: date range of {key}",
                    self._range(self.chat_ids.get(skey), ids),
                    (rep.get("first"), rep.get("last")),
                )
                coverage = "own_messages_only" if chat["only_own_messages"] else "all"
                self.expect(f"{folder}: coverage of {key}", coverage, self._coverage(skey, imp.id))
            self.expect(
                f"{folder}: chats in the import report",
                sorted(store_key(k) for k in facts["chats"]),
                sorted(per_chat),
            )
            self._times(folder, facts, imp.id)
            repairs = self.conn.execute(
                select(func.count())
                .select_from(import_log)
                .where(
                    import_log.c.import_id == imp.id,
                    import_log.c.kind == "repair",
                    import_log.c.code == "invalid_escape",
                )
            ).scalar()
            self.expect(f"{folder}: \\xHH escapes repaired", escapes, repairs)
            if escapes:
                files = set(
                    self.conn.execute(
                        select(evidence.c.relpath)
                        .join(import_log, import_log.c.evidence_id == evidence.c.id)
                        .where(import_log.c.import_id == imp.id, import_log.c.code == "invalid_escape")
                    ).scalars()
                )
                self.expect(f"{folder}: file of the repaired escapes", {"result.json"}, files)

    def _times(self, folder: str, facts: dict[str, Any], import_id: int) -> None:
        """How the times of the messages this export brought were obtained, and that the
        exporter's offset was applied to local times (HTML titles without ``UTC±HH:MM``)."""
        if "json" in facts["formats"]:
            basis = "unixtime"
        elif facts["html_titles_have_utc_offset"]:
            basis = "html_offset"
        else:
            basis = "local_with_offset"
        rows = self.conn.execute(
            select(
                messages.c.message_id, messages.c.time_basis, messages.c.date_utc, messages.c.date_local
            ).where(messages.c.first_import_id == import_id, messages.c.kind != "unsupported")
        ).all()
        self.expect(
            f"{folder}: time basis of its messages", {basis} if rows else set(), {r.time_basis for r in rows}
        )
        if basis != "local_with_offset":
            return
        offset = _offset_seconds(facts["utc_offset"])
        wrong = []
        for r in rows:
            try:
                local = datetime.strptime(r.date_local or "", "%d.%m.%Y %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                local = None
            if local is None or r.date_utc != int(local.timestamp()) - offset:
                wrong.append(r.message_id)
        self.expect(
            f"{folder}: messages whose local time was not shifted by {facts['utc_offset']}", [], sorted(wrong)
        )

    def _range(self, chat_id: int | None, ids: list[int]) -> tuple[str | None, str | None]:
        """First and last time of these messages of a chat, as stored (ISO UTC)."""
        if chat_id is None or not ids:
            return None, None
        lo, hi = self.conn.execute(
            select(func.min(messages.c.date_utc), func.max(messages.c.date_utc)).where(
                messages.c.chat_id == chat_id, messages.c.message_id.in_(ids)
            )
        ).one()
        return iso_utc(lo), iso_utc(hi)

    def _coverage(self, skey: str, import_id: int) -> str | None:
        chat_id = self.chat_ids.get(skey)
        if chat_id is None:
            return None
        return self.conn.execute(
            select(chat_imports.c.coverage).where(
                and_(chat_imports.c.chat_id == chat_id, chat_imports.c.import_id == import_id)
            )
        ).scalar()


def check_ground_truth(conn: Connection, truth: dict[str, Any]) -> list[Mismatch]:
    """Every fact of ``truth`` (a loaded ``ground_truth.json``) the case behind ``conn`` does not hold.

    Checked: the chats and their distinct message ids, service message ids, first and last
    message time; edited messages and their versions; messages flagged possibly deleted; messages
    with a saved photo or file; accounts (platform identity, every display name observed, usernames),
    deleted accounts and the exporting account; and for each export its import report (message
    count, date range and placeholders per chat, coverage), layout, formats and its ``\\xHH``
    repairs.
    """
    c = _Checker(conn, truth)
    c.messages()
    c.edits()
    c.possibly_deleted()
    c.media()
    c.accounts()
    c.exports()
    return c.found


def check_hits(conn: Connection, truth: dict[str, Any]) -> list[Mismatch]:
    """Every fact of ``truth["known_material"]`` the case's current matching run does not hold.

    Each listed message's file must be hit with exactly the expected signals agreeing (all hits
    suppressed for a known false positive); no other file may be flagged; and the messages with
    flagged files must be counted against the right sending accounts.
    """
    from veilleur.matching.results import flagged_files, hits_by_account

    c = _Checker(conn, truth)
    files = {f.sha256: f for f in flagged_files(conn)}
    expected_flagged: set[str] = set()
    per_sender: dict[str, int] = {}
    for k in truth["known_material"]:
        where = f"known material {k['label']} in {k['chat']} message {k['id']}"
        chat_id = c.chat_ids.get(store_key(k["chat"]))
        sha256s = set(
            conn.execute(
                select(evidence.c.sha256)
                .select_from(media)
                .join(messages, messages.c.id == media.c.message_pk)
                .join(evidence, evidence.c.id == media.c.file_evidence_id)
                .where(
                    messages.c.chat_id == chat_id,
                    messages.c.message_id == k["id"],
                    media.c.role.in_(MAIN_MEDIA_ROLES),
                )
            ).scalars()
        )
        if len(sha256s) != 1:
            c.expect(f"{where}: saved files", 1, len(sha256s))
            continue
        f = files.get(sha256s.pop())
        if f is None:
            c.expect(f"{where}: hits", k["signals"], "none")
            continue
        if k["suppressed"]:
            c.expect(f"{where}: flagged", False, f.flagged)
            suppressed = sorted({h.hash_type for h in f.hits})
            c.expect(f"{where}: signals of suppressed hits", k["signals"], suppressed)
        else:
            expected_flagged.add(f.sha256)
            c.expect(f"{where}: signals agreeing", k["signals"], list(f.signals))
            sender = store_key(k["sender"])
            per_sender[sender] = per_sender.get(sender, 0) + 1
    c.expect_set("files flagged", expected_flagged, [s for s, f in files.items() if f.flagged])
    c.expect(
        "messages with flagged files per sending account",
        per_sender,
        {t.key: len(t.messages) for t in hits_by_account(conn)},
    )
    return c.found


def check_network(conn: Connection, truth: dict[str, Any]) -> list[Mismatch]:
    """The accounts that exchanged flagged material with the central account, and how, against
    ``truth["central_network"]``: each expected account with exactly its kinds of link, and no
    other account."""
    from veilleur.analysis.network import exchanged_with

    c = _Checker(conn, truth)
    central = store_key(truth["case"]["central_account_id"])
    central_id = conn.execute(select(accounts.c.id).where(accounts.c.key == central)).scalar()
    found = {cp.key: list(cp.kinds) for cp in exchanged_with(conn, [central_id])} if central_id else {}
    expected = {store_key(k): v for k, v in truth["central_network"].items()}
    c.expect_set("accounts that exchanged flagged material with the central account", expected, found)
    for key in sorted(expected.keys() & found.keys()):
        c.expect(f"kinds of link with {key}", expected[key], found[key])
    return c.found


def check_identity(conn: Connection, truth: dict[str, Any], ranking_id: int) -> list[Mismatch]:
    """Links and ranking against ``truth["identity"]``: each account linked to its person, the
    homonym not linked with high confidence, each alias proposed, the top of the ranking in the
    expected order, and the top entries' expected reasons giving points."""
    from veilleur.analysis.priority import ranking
    from veilleur.linking import current_links, persons_of
    from veilleur.store.schema import persons

    c = _Checker(conn, truth)
    t = truth["identity"]
    ids = {k: v for k, v in conn.execute(select(accounts.c.key, accounts.c.id)).all()}
    pkeys = dict(conn.execute(select(persons.c.id, persons.c.key)).all())
    linked = {a: pkeys[p.person_id] for a, p in persons_of(conn).items()}
    for account, person in t["links"].items():
        c.expect(f"person linked to {account}", person, linked.get(ids.get(store_key(account), -1)))
    views = current_links(conn)
    for account, person in t["must_not_link"]:
        strong = [
            v
            for v in views
            if v.kind == "account_person"
            and v.account_key == store_key(account)
            and v.person_key == person
            and v.confidence == "high"
        ]
        c.expect(f"no high-confidence link of {account} to homonym {person}", [], [v.method for v in strong])
    pairs = {frozenset((v.account_key, v.other_account_key)) for v in views if v.kind == "account_account"}
    for a, b, why in t["aliases"]:
        c.expect(f"alias proposed ({why})", True, frozenset((store_key(a), store_key(b))) in pairs)
    ranked = ranking(conn, ranking_id)
    person_subject = {f"person:{pid}": key for pid, key in pkeys.items()}
    order = [person_subject.get(r.subject, r.subject) for r in ranked]
    c.expect("top of the ranking", t["ranking_top"], order[: len(t["ranking_top"])])
    for person, reasons in t["top_reasons"].items():
        entry = next((r for r in ranked if person_subject.get(r.subject) == person), None)
        found = sorted(n for n in reasons if entry is not None and entry.factors[n].points > 0)
        c.expect(f"factors giving points to {person}", sorted(reasons), found)
    return c.found
