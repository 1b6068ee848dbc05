"""The application layer: the one door to case data, for every client.

Clients (the command line, the web application, Spark jobs bringing results back) open a
:class:`CaseSession` — a case, the acting user and their role in it — and call the use cases
below. Each use case checks the session's permission against the table in
:mod:`veilleur.app.permissions` (a refusal is audited and changes nothing), resolves what the
user typed to record keys (:mod:`veilleur.app.resolve`), logs its audit entry, and returns a typed
result (:mod:`veilleur.app.results`) whose JSON shape is stated once. A client holds no SQL and
writes no audit entry itself.

    with open_session(Path("op-lumiere"), "camille") as s:
        view = network(s, ["telegram:user:547712782"])
"""

from __future__ import annotations

from veilleur.app.accounts import new_password
from veilleur.app.custody import (
    add_user,
    audit_show,
    audit_verify,
    case_verify,
    create_case,
    evidence_list,
    evidence_verify,
    members,
    remove_member,
    set_member,
    set_user_disabled,
    set_user_password,
    upgrade,
    users,
)
from veilleur.app.demo import build_demo
from veilleur.app.identity import (
    decide_link,
    import_record_file,
    indicator_hits,
    links,
    records,
    reveal_hit,
    run_indicator_scan,
    run_linking,
)
from veilleur.app.ingest import import_export_file, imports, summary, write_import_reports
from veilleur.app.jobs import JOB_KINDS, JobRunner, cancel_job, jobs_of, submit_job
from veilleur.app.media import hash_media, hits, import_hash_list, lists, match, set_list_threshold
from veilleur.app.network import exchange_graph, exchanges, network, propagation, roles, timeline
from veilleur.app.notes import add_note, notes_on, withdraw_note
from veilleur.app.outputs import EXPORT_FORMATS, dossiers, export, output_file, outputs, reports
from veilleur.app.permissions import USE_CASES, Role
from veilleur.app.profiles import account_profile, person_profile
from veilleur.app.ranking import compare_rankings, rank, show_ranking
from veilleur.app.results import RESULT_TYPES, json_schema, to_data, to_json
from veilleur.app.search import keyword_hits_view, reindex, run_keyword_list, search
from veilleur.app.session import REGISTRY, CaseSession, open_session
from veilleur.app.users import Installation, open_installation
from veilleur.errors import NotFound, PermissionDenied, VeilleurError
from veilleur.matching.run import MatchOptions
from veilleur.matching.video import VideoThresholds
from veilleur.sources.telegram_common import utc_offset

__all__ = [
    "EXPORT_FORMATS",
    "JOB_KINDS",
    "REGISTRY",
    "RESULT_TYPES",
    "USE_CASES",
    "CaseSession",
    "Installation",
    "JobRunner",
    "MatchOptions",
    "NotFound",
    "PermissionDenied",
    "Role",
    "VeilleurError",
    "VideoThresholds",
    "account_profile",
    "add_note",
    "add_user",
    "audit_show",
    "audit_verify",
    "build_demo",
    "cancel_job",
    "case_verify",
    "compare_rankings",
    "create_case",
    "decide_link",
    "dossiers",
    "evidence_list",
    "evidence_verify",
    "exchange_graph",
    "exchanges",
    "export",
    "hash_media",
    "hits",
    "import_export_file",
    "import_hash_list",
    "import_record_file",
    "imports",
    "indicator_hits",
    "jobs_of",
    "json_schema",
    "keyword_hits_view",
    "links",
    "lists",
    "match",
    "members",
    "network",
    "new_password",
    "notes_on",
    "open_installation",
    "open_session",
    "output_file",
    "outputs",
    "person_profile",
    "propagation",
    "rank",
    "records",
    "reindex",
    "remove_member",
    "reports",
    "reveal_hit",
    "roles",
    "run_indicator_scan",
    "run_keyword_list",
    "run_linking",
    "search",
    "set_list_threshold",
    "set_member",
    "set_user_disabled",
    "set_user_password",
    "show_ranking",
    "submit_job",
    "summary",
    "timeline",
    "to_data",
    "to_json",
    "upgrade",
    "users",
    "utc_offset",
    "withdraw_note",
    "write_import_reports",
]
