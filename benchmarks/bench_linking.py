"""Account → person linkage at scale: Veilleur's linker (rules + splink on DuckDB) against a naive
exact-key join, on a synthetic population with known truth.

Usage::

    .venv/bin/python benchmarks/bench_linking.py --accounts 100000 --records 1000000

The generator (seeded) draws persons with French and other first and last names (real common
names, plus generated surnames so that surname frequencies have a long tail), birth dates, phone
numbers (E.164) and e-mail addresses; about 5 % of persons have a second identity record. Accounts
are derived from a subset of persons with noise — nicknames, typos, swapped first/last names,
first name only, pseudonyms, capitals, a changed or missing phone number, e-mail at another
provider or none — and decoys are added: accounts of nobody in the records (random names, so
homonyms of real persons), and accounts of a person's relative on that person's phone (same last
name, another first name: a family phone). Truth: each derived account's person; decoys have none.

Both methods see the same data in the same run. The linker is the code the case runs
(:func:`veilleur.linking.model.build_inputs` and :func:`~veilleur.linking.model.link_persons`),
called on in-memory inputs; the naive join links an account to a person when the lower-cased
observed name equals the record's "first last" and a phone number is shared. A method's answer
for an account is its best candidate (for the linker: *high* confidence, and separately any
proposal); precision = right answers / answers, recall = right answers / derived accounts.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from veilleur.linking.model import AccountInput, RecordInput, build_inputs, link_persons
from veilleur.linking.normalise import birth_year, fold, split_name
from veilleur.linking.settings import LinkSettings


def _words(text: str) -> list[str]:
    return text.split()


FR_FIRST = _words(
    "Jean Marie Michel Pierre Philippe Nathalie Isabelle Sylvie Catherine Alain Nicolas Christophe "
    "Patrick Christine Sophie Stéphane Frédéric Laurent Sandrine Valérie Julien David Céline Éric "
    "Sébastien Thomas Camille Léa Manon Chloé Emma Inès Lucas Hugo Louis Gabriel Arthur Jules Adam "
    "Raphaël Léo Nathan Théo Clément Maxime Antoine Alexandre Quentin Romain Kévin Mathieu Aurélie "
    "Émilie Julie Laura Sarah Pauline Marine Anaïs Audrey Élodie Mélanie Caroline Hélène Agnès "
    "Françoise Monique Jacqueline Nicole Bernard Daniel Gérard André René Claude Jacques Robert "
    "Dominique Yves Guillaume Benoît Olivier Vincent Damien Jérôme Arnaud Cédric Fabrice Florian "
    "Gaëlle Solène Maëlys Zoé Lina Jade Louise Alice Juliette Margaux Clara Océane Mathis Enzo Noah "
    "Ethan Timéo Baptiste Corentin Loïc Yann Gwenaël Erwan Ronan Morgane Nolwenn Cécile Odile Agathe "
    "Bérénice Capucine Apolline Victor Félix Gaspard Augustin Marius Anatole Basile Léonie Rose"
)
OTHER_FIRST = _words(
    "Mohamed Ahmed Youssef Karim Mehdi Rachid Nadia Fatima Samira Leïla Yasmine Amine Bilal Sofiane "
    "Walid Hamza Ayoub Ibrahim Moussa Mamadou Aïssatou Fatoumata Oumar Ousmane Awa Kadiatou João "
    "Ana Maria José Carlos Pedro Luis Sofia Giulia Marco Luca Francesca Andrea Giovanni Elena Piotr "
    "Anna Katarzyna Tomasz Agnieszka Ivan Olga Dmitri Natalia Sergei Mehmet Ayşe Emre Elif Burak "
    "Zeynep James John Emily Jessica Michael Daniel Sarah Oliver Charlotte Liam Mia Wei Li Jun Mei "
    "Hiroshi Yuki Minh Linh Thanh Kofi Ama Kwame Chidi Ngozi Tariq Omar Layla Zaid Rania Salma"
)
FR_LAST = _words(
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre "
    "Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent "
    "Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand "
    "Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson "
    "Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly "
    "Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux "
    "Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe "
    "Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy "
    "Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez "
    "Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault "
    "Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le Gall Collet Léger "
    "Bouvier Julien Prévost Millet Perrot Daniel Le Roux Cousin Germain Breton Besson Langlois Rémy "
    "Le Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger "
    "Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain Tessier Chevallier"
)
OTHER_LAST = _words(
    "Benali Haddad Mansouri Belkacem Cherif Bouazza Saidi Amrani Diallo Traoré Koné Camara Keita "
    "Cissé Sow Ndiaye Diop Fall Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Alves Rossi "
    "Russo Ferrari Esposito Bianchi Romano Nowak Kowalski Wiśniewski Ivanov Petrov Smirnov Yılmaz "
    "Kaya Demir Şahin Smith Johnson Williams Brown Jones Nguyen Tran Le Pham Wang Zhang Chen Liu "
    "Kim Park Lee Mensah Okafor Eze Khan Hussain Ali Rahman"
)
SYLLABLES = _words(
    "ba be bi bo bou ca ce cha che co cou da de di do du fa fe fi fo ga ge gi go gu la le li lo lu "
    "ma me mi mo mou na ne ni no nu pa pe pi po ra re ri ro rou sa se si so ta te ti to tou va ve "
    "vi vo"
)
ENDINGS = _words("in on ard et ot eau ier ez ault ac y ant ois el ine ette aud")
DOMAINS = (
    "gmail.com",
    "orange.fr",
    "free.fr",
    "hotmail.fr",
    "yahoo.fr",
    "sfr.fr",
    "laposte.net",
    "outlook.fr",
)
NICK = {
    "Jean": "Jeannot",
    "Nicolas": "Nico",
    "Christophe": "Chris",
    "Alexandre": "Alex",
    "Mathieu": "Matt",
    "Guillaume": "Guigui",
    "Sébastien": "Seb",
    "Stéphane": "Steph",
    "Frédéric": "Fred",
    "Catherine": "Cathy",
    "Isabelle": "Isa",
    "Mohamed": "Momo",
    "Maximilien": "Max",
    "Maxime": "Max",
    "Benjamin": "Ben",
    "Valérie": "Val",
    "Dominique": "Domi",
    "Emmanuel": "Manu",
}
PSEUDOS = _words("loup shadow dark ange tigre ghost wolf neo kami blaze raven zen titan nova")
EVIDENCE: dict[str, Callable[[Person], str]] = {
    "first": lambda p: fold(p.first),
    "first initial": lambda p: fold(p.first)[:1],
    "last": lambda p: fold(p.last),
    "last initial": lambda p: fold(p.last)[:1],
    "year": lambda p: p.birth[:4],
}
"""What an account's names and usernames can tell of its person, and how to read it off a person.
A nickname or a typo is counted as telling the whole name: that keeps :func:`ceiling` an upper
bound."""


@dataclass(frozen=True, slots=True)
class Person:
    pid: int
    first: str
    last: str
    birth: str
    phone: str | None
    email: str | None


def _weights(n: int, s: float) -> list[float]:
    return [1.0 / (r + 1) ** s for r in range(n)]


class Generator:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        r = self.r
        synth: set[str] = set()
        while len(synth) < 30_000:
            synth.add(
                (
                    "".join(r.choice(SYLLABLES) for _ in range(r.randint(1, 2))) + r.choice(ENDINGS)
                ).capitalize()
            )
        self.last_names = FR_LAST + OTHER_LAST + sorted(synth)
        self.last_cum = self._cum(_weights(len(self.last_names), 0.9))
        self.first_names = FR_FIRST + OTHER_FIRST
        self.first_cum = self._cum(_weights(len(self.first_names), 0.6))
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.told: dict[int, frozenset[str]] = {}
        """Per derived account, what its names and usernames tell of its person (:data:`EVIDENCE`)."""

    @staticmethod
    def _cum(w: list[float]) -> list[float]:
        out, t = [], 0.0
        for x in w:
            t += x
            out.append(t)
        return out

    def first(self) -> str:
        return self.r.choices(self.first_names, cum_weights=self.first_cum)[0]

    def last(self) -> str:
        return self.r.choices(self.last_names, cum_weights=self.last_cum)[0]

    def phone(self) -> str:
        while True:
            p = f"+33{self.r.choice('67')}{self.r.randrange(10**8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def email(self, first: str, last: str, year: str) -> str:
        f, la = fold(first).replace(" ", ""), fold(last).replace(" ", "")
        pattern = self.r.randrange(5)
        user = (
            f"{f}.{la}",
            f"{f[0]}{la}",
            f"{f}{la}{year[2:]}",
            f"{f}.{la}{self.r.randrange(100)}",
            f"{la}.{f}{year}",
        )[pattern]
        address = f"{user}@{self.r.choice(DOMAINS)}"
        while address in self.used_emails:  # an address has one owner: the provider says it is taken
            address = f"{user}{self.r.randrange(10, 1000)}@{address.split('@')[1]}"
        self.used_emails.add(address)
        return address

    def persons(self, n: int) -> list[Person]:
        r = self.r
        out = []
        for pid in range(n):
            first, last = self.first(), self.last()
            birth = f"{r.randint(1950, 2008)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
            phone = self.phone() if r.random() < 0.95 else None
            email = self.email(first, last, birth[:4]) if r.random() < 0.7 else None
            out.append(Person(pid, first, last, birth, phone, email))
        return out

    def typo(self, s: str) -> str:
        r = self.r
        if len(s) < 4:
            return s
        i = r.randrange(1, len(s) - 1)
        op = r.randrange(3)
        if op == 0:
            return s[:i] + r.choice("aeioulnrst") + s[i + 1 :]
        if op == 1:
            return s[:i] + s[i + 1 :]
        return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]

    def display(self, p: Person) -> tuple[list[str], frozenset[str]]:
        """Observed names, and what they tell of the person (:data:`EVIDENCE`)."""
        r = self.r
        x = r.random()
        told = frozenset({"first", "last"})
        if x < 0.50:
            names = [f"{p.first} {p.last}"]
        elif x < 0.58:
            names = [f"{p.last.upper()} {p.first}"]
        elif x < 0.66:
            names = [f"{NICK.get(p.first, p.first[:4])} {p.last}"]
        elif x < 0.76:
            names = [
                f"{self.typo(p.first)} {p.last}" if r.random() < 0.5 else f"{p.first} {self.typo(p.last)}"
            ]
        elif x < 0.80:
            names = [f"{p.last} {p.first}"]
        elif x < 0.90:
            short = r.random() < 0.5
            names = [p.first if short else f"{p.first} {p.last[0]}."]
            told = frozenset({"first"} if short else {"first", "last initial"})
        else:
            names = [f"{r.choice(PSEUDOS).capitalize()}{r.randrange(100)}"]
            told = frozenset()
        if r.random() < 0.2:
            names.append(f"{r.choice(PSEUDOS)} {r.choice(PSEUDOS)}")
        return names, told

    def username(self, p: Person) -> tuple[tuple[str, ...], frozenset[str]]:
        """Usernames, and what they tell of the person (:data:`EVIDENCE`)."""
        r = self.r
        if r.random() >= 0.5:
            return (), frozenset()
        f, la = fold(p.first).replace(" ", ""), fold(p.last).replace(" ", "")
        name, told = r.choice(
            (
                (f"{f[0]}{la}", ("first initial", "last")),
                (f"{f}_{la}", ("first", "last")),
                (f"{la}{p.birth[2:4]}", ("last", "year")),
                (f"{f}{la}{p.birth[:4]}", ("first", "last", "year")),
                (f"{r.choice(PSEUDOS)}{r.randrange(1000)}", ()),
            )
        )
        return (name,), frozenset(told)

    def accounts(self, people: list[Person], n: int) -> tuple[list[AccountInput], dict[int, int]]:
        r = self.r
        n_derived = int(n * 0.85)
        n_family = int(n * 0.01)
        chosen = r.sample(people, n_derived + n_family)
        truth: dict[int, int] = {}
        out: list[AccountInput] = []
        for aid, p in enumerate(chosen[:n_derived]):
            truth[aid] = p.pid
            x = r.random()
            phones = (p.phone,) if (p.phone and x < 0.90) else ((self.phone(),) if x < 0.97 else ())
            y = r.random()
            if p.email and y < 0.40:
                emails: tuple[str, ...] = (p.email,)
            elif p.email and y < 0.50:
                emails = (p.email.split("@")[0] + "@" + r.choice(("protonmail.com", "icloud.com", "gmx.fr")),)
            else:
                emails = ()
            names, by_names = self.display(p)
            usernames, by_usernames = self.username(p)
            self.told[aid] = by_names | by_usernames
            out.append(AccountInput(aid, tuple(names), usernames, phones, emails))
        aid = n_derived
        for p in chosen[n_derived:]:  # a relative on this person's phone: same last name
            first = self.first()
            while first == p.first:
                first = self.first()
            phones = (p.phone,) if p.phone else (self.phone(),)
            out.append(AccountInput(aid, (f"{first} {p.last}",), (), phones, ()))
            aid += 1
        while aid < n:  # nobody in the records: random names (homonyms happen), own phone
            first, last = self.first(), self.last()
            emails = (self.email(first, last, str(r.randint(1950, 2008))),) if r.random() < 0.3 else ()
            phones = (self.phone(),) if r.random() < 0.9 else ()
            out.append(AccountInput(aid, (f"{first} {last}",), (), phones, emails))
            aid += 1
        return out, truth

    def records(self, people: list[Person], n: int) -> Iterator[RecordInput]:
        r = self.r
        rid = 0
        for p in people:
            yield RecordInput(
                rid,
                p.pid,
                p.first,
                p.last,
                p.birth,
                (p.phone,) if p.phone else (),
                (p.email,) if p.email else (),
            )
            rid += 1
        while rid < n:  # a second record for some: another phone, no e-mail
            p = people[r.randrange(len(people))]
            yield RecordInput(rid, p.pid, p.first, p.last, p.birth, (self.phone(),), ())
            rid += 1


def naive(accounts: list[AccountInput], records: list[RecordInput]) -> dict[int, int]:
    """Lower-cased full name + phone, exact: an account's answer when exactly one person fits."""
    index: dict[tuple[str, str], set[int]] = {}
    for rec in records:
        name = f"{rec.first_name} {rec.last_name}".lower()
        for ph in rec.phones:
            index.setdefault((name, ph), set()).add(rec.person_id)
    out: dict[int, int] = {}
    for a in accounts:
        found: set[int] = set()
        for name in a.names:
            for ph in a.phones:
                found |= index.get((name.lower(), ph), set())
        if len(found) == 1:
            out[a.account_id] = found.pop()
    return out


def ceiling(
    people: list[Person], truth: dict[int, int], linkable: set[int], told: dict[int, frozenset[str]]
) -> tuple[float, Counter[str]]:
    """An upper bound on the recall of *any* method on these data, at any precision.

    An account that shares a phone or e-mail user name with its person counts as found. Any other
    account's evidence of its person is what its names and usernames tell (:data:`EVIDENCE`); its
    phone, if any, is a number no record holds. Every person who agrees with the true one on that
    evidence — same name, same year where a username spells one — would have produced the account
    as likely, so no method finds the right one with probability above 1 / their number. Persons
    who are the truth of another account are left out of that number (a method that knew every
    other link could rule them out), and a nickname or typo counts as the whole name: both make
    the bound generous. Returns the bound and, per kind of evidence, the accounts it covers.
    """
    order = sorted(EVIDENCE)
    facts = [tuple(EVIDENCE[k](q) for k in order) for q in people]  # each person's evidence, once
    taken = {truth[a] for a in truth}
    expected = float(len(linkable))
    kinds: Counter[str] = Counter()
    wanted: dict[frozenset[str], list[int]] = {}
    for a, pid in truth.items():
        if a in linkable:
            continue
        kinds[" + ".join(sorted(told[a])) or "nothing (pseudonyms only)"] += 1
        if told[a]:
            wanted.setdefault(told[a], []).append(pid)
        else:
            expected += 1.0 / (len(people) - len(taken) + 1)
    for known, pids in wanted.items():
        at = [order.index(k) for k in sorted(known)]

        def key(pid: int, at: list[int] = at) -> tuple[str, ...]:
            return tuple(facts[pid][i] for i in at)

        needed = {key(pid) for pid in pids}
        heads = {k[0] for k in needed}  # a cheap first filter: most persons differ on it
        everyone = Counter(
            k for k in (key(q) for q in range(len(people)) if facts[q][at[0]] in heads) if k in needed
        )
        linked = Counter(k for k in (key(t) for t in taken) if k in needed)
        expected += sum(1.0 / (everyone[key(pid)] - linked[key(pid)] + 1) for pid in pids)
    return expected / max(1, len(truth)), kinds


def names_alone(people: list[Person], accounts: list[AccountInput]) -> dict[int, int]:
    """The one person whose folded first and last name (either order) equal an observed name of
    the account, and whose birth year equals the one a username spells if any — where exactly one
    fits: linking on a name alone, the rule Veilleur refuses."""
    index: dict[tuple[str, str], list[Person]] = {}
    for p in people:
        index.setdefault((fold(p.first), fold(p.last)), []).append(p)
    out: dict[int, int] = {}
    for a in accounts:
        year = birth_year(*a.usernames)
        found: set[int] = set()
        for raw in a.names:
            n = split_name(raw)
            for key in ((n.first, n.last), (n.last, n.first)):
                if key[0] and key[1]:
                    found |= {
                        q.pid
                        for q in index.get((key[0], key[1]), ())
                        if year is None or q.birth[:4] == str(year)
                    }
        if len(found) == 1:
            out[a.account_id] = found.pop()
    return out


def score(answers: dict[int, int], truth: dict[int, int]) -> dict[str, float]:
    right = sum(1 for a, p in answers.items() if truth.get(a) == p)
    return {
        "answers": len(answers),
        "right": right,
        "precision": right / len(answers) if answers else 0.0,
        "recall": right / len(truth) if truth else 0.0,
    }


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    t = time.monotonic()
    g = Generator(args.seed)
    people = g.persons(int(args.records * 0.95))
    accounts, truth = g.accounts(people, args.accounts)
    family = set(range(len(truth), len(truth) + int(args.accounts * 0.01)))
    records = list(g.records(people, args.records))
    linkable = {
        a.account_id
        for a in accounts
        if a.account_id in truth
        and (
            set(a.phones) & {ph for ph in [people[truth[a.account_id]].phone] if ph}
            or {e.split("@")[0] for e in a.emails}
            & {e.split("@")[0] for e in [people[truth[a.account_id]].email] if e}
        )
    }
    gen_s = time.monotonic() - t
    t = time.monotonic()
    bound, evidence = ceiling(people, truth, linkable, g.told)
    by_name = names_alone(people, accounts)
    bound_s = time.monotonic() - t
    del people
    print(
        f"generated {len(accounts):,} accounts ({len(truth):,} of a person, {len(linkable):,} sharing a "
        f"phone or e-mail user name with it), {len(records):,} identity records in {gen_s:.1f} s; "
        f"peak RSS so far {rss_mib():,.0f} MiB",
        flush=True,
    )

    t = time.monotonic()
    naive_answers = naive(accounts, records)
    naive_s = time.monotonic() - t
    gc.collect()

    t = time.monotonic()
    inputs = build_inputs(accounts, records)
    prep_s = time.monotonic() - t
    del records
    gc.collect()
    t = time.monotonic()
    matches, model = link_persons(inputs, LinkSettings(threads=args.threads))
    link_s = time.monotonic() - t

    best: dict[int, tuple[tuple[float, float], int, str]] = {}
    rank = {"high": 3, "medium": 2, "low": 1}
    for m in matches:
        key = (rank[m.confidence], m.score.match_weight if m.score else 0.0)
        if m.account_id not in best or key > best[m.account_id][0]:
            best[m.account_id] = (key, m.person_id, m.confidence)
    high = {a: p for a, (_, p, c) in best.items() if c == "high"}
    medium_up = {a: p for a, (_, p, c) in best.items() if c in ("high", "medium")}
    anyp = {a: p for a, (_, p, _) in best.items()}

    results = {
        "linker, high confidence": score(high, truth),
        "linker, high or medium": score(medium_up, truth),
        "linker, any proposal": score(anyp, truth),
        "naive exact join": score(naive_answers, truth),
        "linker + a unique name alone": score({**by_name, **anyp}, truth),
    }
    print(f"\nmodel: trained={model.trained}, prior={model.prior:.3g} ({model.prior_share_basis})")
    for line in model.training:
        print(f"  {line}")
    print(f"  seconds by phase: {model.seconds}")
    rows = f"{model.left_rows:,} account rows x {model.right_rows:,} record rows"
    print(f"  rows: {rows}; (account, person) pairs scored and kept: {model.pairs_scored:,}")
    print(
        f"\ntimes: generate {gen_s:.1f} s; inputs {prep_s:.1f} s; linker {link_s:.1f} s "
        f"(inputs + linker {prep_s + link_s:.1f} s); naive join {naive_s:.1f} s"
    )
    print(f"peak RSS (whole process, generator included): {rss_mib():,.0f} MiB\n")
    print(
        f"ceiling on recall for any method, at any precision: {bound:.4f} ({bound_s:.1f} s); "
        f"accounts sharing no identifier with their person, by what their names and usernames tell:"
    )
    for kind, n in evidence.most_common():
        print(f"  {kind}: {n:,}")
    print()
    print(f"{'method':28} {'answers':>9} {'right':>9} {'precision':>10} {'recall':>8}")
    for name, res in results.items():
        figures = f"{res['answers']:>9,} {res['right']:>9,} {res['precision']:>10.4f} {res['recall']:>8.4f}"
        print(f"{name:28} {figures}")
    rec_linkable = sum(1 for a in linkable if high.get(a) == truth[a]) / max(1, len(linkable))
    print(
        f"\nrecall of high-confidence links, accounts sharing a phone or e-mail user name: {rec_linkable:.4f}"
    )
    wrong: Counter[str] = Counter()
    for a, p in high.items():
        if a not in truth:
            wrong["family-phone decoy (high)" if a in family else "other decoy (high)"] += 1
        elif truth[a] != p:
            wrong["wrong person (high)"] += 1
    missed: Counter[str] = Counter()
    for a, p in truth.items():
        if high.get(a) == p:
            continue
        missed["no phone/e-mail in common" if a not in linkable else "shares an identifier, not high"] += 1
    print("errors:", dict(wrong), "misses:", dict(missed))
    conf = Counter(m.confidence for m in matches)
    methods = Counter(m.method for m in matches)
    print("candidates by confidence:", dict(conf), "by method:", dict(methods))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
