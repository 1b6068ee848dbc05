"""The synthetic case behind the demo: who is in it, what they wrote, and how exports differ.

A hiking club's private supergroup (migrated from a basic group) with about forty members, the
central account's full data export, a later re-export of the group, and an old HTML export of a
private chat between two other members. All names, ids, phone numbers and IPs are invented
(phone numbers use the French mobile format, IPs only the documentation ranges of RFC 5737) and
every message is harmless chit-chat.

This module only decides *content*, in canonical form: every :class:`Item` wraps a
:class:`~veilleur.demo.tdesktop_json.Message` whose peers carry the users' own names, plus a
:class:`MediaSpec` describing the media abstractly. ``generate.py`` then renders each export with
its own view of names (contact-saved names, renames, deleted accounts), its own media settings
and file naming, exactly as a Telegram Desktop export would differ from another.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from typing import Any

from veilleur.demo.tdesktop_json import (
    Action,
    Button,
    GeoPoint,
    Media,
    Message,
    Part,
    Peer,
    Poll,
    PollAnswer,
    Reaction,
)

TZ = 3600  # every exporting PC in the case is at UTC+01:00 (no DST in the story)

GROUP_ID = 1712345678  # the supergroup (bare channel id)
OLD_GROUP_ID = 912345678  # the basic group it was migrated from
OLD_TITLE = "Randonneurs du dimanche"
TITLE_MARCH = "Randonneurs du Dimanche \U0001f97e"
TITLE_APRIL = "Randos & Co \u26f0\ufe0f"
WEATHER_CHANNEL = Peer("channel", 1598765432, "Météo Alpes")
LEFT_GROUP = Peer("channel", 1845671234, "Vide-grenier du quartier")
MIGRATED_SHIFT = -1_000_000_000


def ts(y: int, mo: int, d: int, h: int = 12, mi: int = 0, s: int = 0) -> int:
    """Epoch seconds of a wall-clock time on the exporting PCs (UTC+01:00)."""
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - TZ


GROUP03_EXPORTED = ts(2026, 3, 31, 23, 59)
GROUP06_FROM = ts(2026, 2, 1, 0, 0)  # the re-export was asked for 1 Feb - 30 Jun 2026
ACCOUNT_EXPORTED = ts(2026, 5, 12, 20, 0)
EDITS_06 = ts(2026, 4, 15, 9, 30)


@dataclass(frozen=True)
class Person:
    index: int
    id: int
    first: str
    last: str
    username: str = ""
    phone: str = ""

    @property
    def peer(self) -> Peer:
        return Peer("user", self.id, self.first, self.last, self.username)


@dataclass(frozen=True)
class MediaSpec:
    """Media described abstractly; each export decides whether and where the file is saved.

    ``kind``: photo, video, animation, sticker, round, voice, file, contact. ``size`` is the
    server-side size used when the file is *not* saved (a saved file reports its real size).
    """

    kind: str
    seed: int
    width: int = 0
    height: int = 0
    duration: int = 0
    size: int = 0
    name: str = ""
    mime: str = ""
    emoji: str = ""
    unavailable: bool = False
    contact: tuple[str, str, str] = ("", "", "")
    known: bool = False  # drawn by ``media.known_image``: a picture the demo's lists hold
    mirror: bool = False  # the known picture mirrored (found only by dihedral matching)


@dataclass(frozen=True)
class Known:
    """A synthetic file the demo's own hash lists hold, how they hold it, and what matching finds.

    ``spec`` is the copy in the case; ``lists`` names the demo lists carrying it (see
    ``demo/known_lists.py``); ``signals`` are the hash types expected to agree on the case copy;
    ``suppressed``: a known false positive, listed by a positive list and cleared by a negative one.
    """

    label: str
    spec: MediaSpec
    lists: tuple[str, ...]
    signals: tuple[str, ...]
    suppressed: bool = False


KNOWN = {
    "F1": Known("F1", MediaSpec("photo", 901, 800, 600, known=True), ("vics",), ("md5", "sha1", "pdq")),
    "F2": Known("F2", MediaSpec("photo", 902, 960, 720, known=True), ("pdq",), ("pdq",)),
    "F3": Known("F3", MediaSpec("photo", 903, 800, 600, known=True, mirror=True), ("pdq",), ("pdq",)),
    "F4": Known("F4", MediaSpec("photo", 904, 720, 540, known=True), ("sha256",), ("sha256",)),
    "V1": Known(
        "V1", MediaSpec("video", 951, 480, 272, 4, 0, name="clip.mp4", mime="video/mp4"), ("vpdq",), ("vpdq",)
    ),
    "B1": Known("B1", MediaSpec("photo", 303, 1024, 768), ("pdq", "negative"), ("pdq",), suppressed=True),
}
"""The demo's "known material": synthetic pictures and a video that its lists hold, one per way
of matching (exact VICS entry with MD5, SHA-1 and PDQ; a resized copy by PDQ; a mirrored copy by
dihedral PDQ; an exact SHA-256; a re-encoded video by vPDQ) and a benign group photo that a
positive list holds by mistake and the team's negative list clears."""


@dataclass(frozen=True)
class Session:
    """One active session of the central account (IPs from RFC 5737 documentation ranges)."""

    last_active: int
    ip: str
    country: str
    region: str
    app: str
    version: str
    device: str
    platform: str
    system: str
    created: int


@dataclass
class Item:
    """A canonical message plus what cannot be rendered before ids and exports are known."""

    msg: Message
    spec: MediaSpec | None = None
    reply: Item | None = None
    pin: Item | None = None


@dataclass
class Case:
    people: list[Person]
    central: Person
    exporter: Person
    group: list[Item]  # whole history Jan-Jun, ids assigned, sorted
    deleted_06: set[int]  # ids gone (deleted by their authors) before the June re-export
    edits_06: dict[int, tuple[tuple[Part, ...], int]]  # id -> (new text, edit time)
    renames_06: dict[int, tuple[str, str]]  # user id -> new own name
    deleted_before_03: set[int]  # user ids deleted before the March export
    deleted_before_06: set[int]  # user ids deleted between March and June
    contact_names: dict[int, tuple[str, str]]  # central's address book: user id -> saved name
    private_chats: list[tuple[Person, list[Item]]]
    saved: list[Item]
    bot: Person
    bot_chat: list[Item]
    left_chat: list[Item]
    dm_pair: tuple[Person, Person]  # (exporting side, other side) of the old HTML export
    dm: list[Item]
    sessions: list[Session] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------

_FIRST = [
    "Camille",
    "Hugo",
    "Léa",
    "Théo",
    "Nathan",
    "Inès",
    "Louis",
    "Sarah",
    "Jules",
    "Sofia",
    "Jules",
    "Emma",
    "Adam",
    "Jade",
    "Noah",
    "Lina",
    "Yanis",
    "Zoé",
    "Gabriel",
    "Alice",
    "Raphaël",
    "Nour",
    "Arthur",
    "Eva",
    "Samir",
    "Ольга",
    "Dmitri",
    "Aiko",
    "健二",
    "Fatima",
    "Omar",
    "Mateo",
    "Priya",
    "Ravi",
    "Anna",
    "Jonas",
    "Elif",
    "Mehmet",
    "Ngozi",
    "Tariq",
    "Marie",
    "Paul",
]
_LAST = [
    "Renaud",
    "Marchand",
    "Moreau",
    "Lambert",
    "Girard",
    "Benali",
    "Roux",
    "Haddad",
    "Fontaine",
    "Rossi",
    "Fontaine",
    "Dubois",
    "Petit",
    "Durand",
    "Leroy",
    "Simon",
    "Laurent",
    "Michel",
    "Garcia",
    "Bonnet",
    "Dupont",
    "",
    "Rousseau",
    "Vincent",
    "Benyahia",
    "Иванова",
    "Petrov",
    "Sato",
    "田中",
    "Zahra",
    "Saleh",
    "Silva",
    "Sharma",
    "Iyer",
    "Novak",
    "Jensen",
    "Yılmaz",
    "Kaya",
    "Okafor",
    "",
    "Chevalier",
    "Blanc",
]
_USERNAMES = {
    0: "camille_rnd",
    1: "hugo_m",
    2: "lea_rando",
    3: "theo_l",
    9: "sofia_ro",
    10: "jules_f",
    12: "adam_p",
    19: "alice_bonnet",
    26: "dmitri_p",
}


def _people(rng: random.Random) -> list[Person]:
    people = []
    used: set[int] = set()
    for i, (first, last) in enumerate(zip(_FIRST, _LAST, strict=True)):
        uid = (
            rng.randrange(5_000_000_000, 7_900_000_000) if i % 3 else rng.randrange(200_000_000, 999_999_999)
        )
        while uid in used:
            uid += 1
        used.add(uid)
        pairs = " ".join(str(rng.randrange(10, 99)) for _ in range(4))
        phone = f"+33 6 {pairs}"
        people.append(Person(i, uid, first, last, _USERNAMES.get(i, ""), phone))
    return people


# --------------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------------

_CHATTER = [
    "Bonjour à tous ! Qui vient dimanche ?",
    "Je serai là \U0001f44d",
    "Départ 8h30 au parking de la gare",
    "Pensez aux chaussures imperméables, ça glisse",
    "Quelqu'un a la carte IGN du secteur ?",
    "Super sortie aujourd'hui, merci pour l'organisation !",
    "Météo incertaine, on décale à samedi ?",
    "Je peux prendre trois personnes en voiture \U0001f697",
    "Pause pique-nique au lac vers midi",
    "Les photos arrivent ce soir",
    "Good morning everyone!",
    "See you at the trailhead \U0001f332",
    "Le sentier est fermé après le pont, il faut faire le tour",
    "Combien de kilomètres au total ?",
    "Environ 14 km et 600 m de dénivelé",
    "Trop bien \U0001f604",
    "J'apporte le thermos de thé",
    "Je ne pourrai pas venir cette fois, bonne rando !",
    "On se retrouve au café après ?",
    "Merci pour le covoiturage \U0001f64f",
    "Est-ce que les chiens sont acceptés ?",
    "Oui, en laisse",
    "Quel est le niveau de difficulté ?",
    "Facile, parfait pour les débutants",
    "Il reste des places pour la sortie raquettes ?",
    "Encore deux places",
    "Bravo pour le sommet \U0001f3d4\ufe0f",
    "Привет всем! Я тоже иду в воскресенье \U0001f642",
    "مرحبا\u060c سأكون هناك غدا",
    "おはようございます\uff01日曜日楽しみです",
    "Καλημέρα σε όλους",
    "Je regarde les horaires du bus",
    "Le refuge est ouvert à partir d'avril",
    "Qui a oublié un bonnet bleu dans ma voiture ?",
    "C'est le mien, merci !",
    "Programme du mois :\n- samedi : forêt\n- dimanche : crêtes",
    "Très belle lumière ce matin \u2600\ufe0f",
    "Attention, chasse en cours sur le versant nord",
    "On part plus tôt pour éviter la chaleur",
    "Ça marche pour moi",
]
_DM_TEXTS = [
    "Salut ! Tu as bien reçu les horaires ?",
    "Oui merci, je serai à l'heure",
    "Tu veux qu'on partage la voiture ?",
    "Avec plaisir",
    "Je passe te prendre à 8h",
    "Parfait \U0001f44c",
    "Tu as un sac de couchage à me prêter pour le refuge ?",
    "Oui, je l'apporte dimanche",
    "Merci beaucoup !",
    "On se voit au club jeudi ?",
    "Oui, vers 19h",
    "À tout à l'heure",
    "Il pleut ici, et chez toi ?",
    "Grand soleil \U0001f60e",
    "J'ai trouvé un super itinéraire pour le mois prochain",
    "Envoie-moi le lien quand tu peux",
]


def plain(text: str) -> tuple[Part, ...]:
    return (Part("plain", text),) if text else ()


# --------------------------------------------------------------------------------------------------
# The supergroup
# --------------------------------------------------------------------------------------------------


class _Timeline:
    """Accumulates items with dates; ids are assigned once everything is placed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.items: list[Item] = []

    def add(
        self,
        date: int,
        sender: Person | None,
        text: tuple[Part, ...] = (),
        *,
        spec: MediaSpec | None = None,
        reply: Item | None = None,
        pin: Item | None = None,
        **fields: Any,
    ) -> Item:
        """Place a message; ``fields`` are further :class:`Message` fields (media, forwards...)."""
        msg = Message(id=0, date=date, sender=sender.peer if sender else None, text=text, **fields)
        item = Item(msg, spec, reply, pin)
        self.items.append(item)
        return item

    def assign_ids(self, start: int, gap_rate: float) -> None:
        self.items.sort(key=lambda it: it.msg.date)
        next_id = start
        for it in self.items:
            if it.msg.id:
                continue
            if self.rng.random() < gap_rate:
                next_id += self.rng.randint(1, 3)
            it.msg.id = next_id
            next_id += 1
        for it in self.items:
            if it.reply is not None:
                it.msg.reply_to = it.reply.msg.id
            if it.pin is not None and it.msg.action is not None:
                it.msg.action = Action(it.msg.action.type, message_id=it.pin.msg.id)


def _pick(rng: random.Random, people: list[Person], weights: list[float]) -> Person:
    return rng.choices(people, weights=weights, k=1)[0]


def _build_group(rng: random.Random, people: list[Person]) -> tuple[list[Item], dict[str, Item]]:
    """The whole supergroup history (Jan-Jun 2026) and named items the story refers to."""
    central, exporter, admin = people[0], people[1], people[10]
    members = people[:40]
    tl = _Timeline(rng)
    marks: dict[str, Item] = {}

    # --- the basic group before migration (negative ids in the export) ---
    old = _Timeline(rng)
    first_members = [people[i] for i in (0, 1, 2, 3, 4, 5, 7)]
    t = ts(2026, 1, 3, 18, 5)
    old.add(
        t, admin, action=Action("create_group", title=OLD_TITLE, members=tuple(p.peer for p in first_members))
    )
    old_texts = [
        "Bienvenue dans le groupe des randonneurs !",
        "Merci Jules \U0001f44b",
        "Première sortie le 11 janvier ?",
        "Top, je note",
        "On sera combien ?",
        "Au moins six",
        "Je m'occupe de l'itinéraire",
        "Parfait",
    ]
    speakers = [admin, people[2], admin, central, people[3], admin, exporter, people[5]]
    for k, (text, who) in enumerate(zip(old_texts, speakers, strict=True)):
        old.add(t + 600 + k * 420, who, plain(text))
    old.add(ts(2026, 1, 5, 20, 0), admin, action=Action("migrate_to_supergroup"))
    old.assign_ids(1, 0.0)
    for it in old.items:
        it.msg.id += MIGRATED_SHIFT
    marks["old_central"] = old.items[4]

    # --- the supergroup ---
    t0 = ts(2026, 1, 5, 20, 0)
    tl.add(t0, admin, action=Action("migrate_from_group", title=OLD_TITLE))
    joiners = members[8:40]
    day = t0 + 3600
    for k in range(0, len(joiners), 4):
        batch = joiners[k : k + 4]
        if k % 8 == 0:
            tl.add(day, admin, action=Action("invite_members", members=tuple(p.peer for p in batch)))
        else:
            for j, p in enumerate(batch):
                tl.add(day + j * 97, p, action=Action("join_group_by_link", inviter=admin.peer))
        day += 86400 // 3 + rng.randrange(0, 4000)
    tl.add(day + 500, people[6], action=Action("join_group_by_link", inviter=exporter.peer))

    weights = [6.0 if i in (0, 1, 2, 3, 10) else (3.0 if i < 12 else 1.0) for i in range(len(members))]
    start_day = ts(2026, 1, 8, 0, 0)
    day_count = (ts(2026, 6, 28, 0, 0) - start_day) // 86400
    chatter: list[Item] = []
    for d in range(day_count):
        base = start_day + d * 86400
        wd = (d + 3) % 7  # 8 Jan 2026 is a Thursday
        bursts = rng.choice([0, 1, 1, 2, 2, 3]) + (1 if wd >= 5 else 0)
        for _ in range(bursts):
            at = base + rng.randrange(7 * 3600, 22 * 3600) - TZ
            who = _pick(rng, members, weights)
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                chatter.append(tl.add(at, who, plain(rng.choice(_CHATTER))))
                at += rng.randrange(15, 400)
            for _ in range(rng.choice([0, 1, 1, 2])):
                at += rng.randrange(60, 2400)
                other = _pick(rng, members, weights)
                reply = chatter[-1] if rng.random() < 0.3 else None
                chatter.append(tl.add(at, other, plain(rng.choice(_CHATTER)), reply=reply))

    # --- special messages, at fixed dates ---
    pe = people
    tl.add(
        ts(2026, 1, 9, 19, 0), central, plain("Coucou, moi c'est Camille, contente de rejoindre le groupe !")
    )
    marks["central_hello"] = tl.items[-1]
    rules = tl.add(
        ts(2026, 1, 10, 9, 0),
        admin,
        (
            Part("bold", "Règles du groupe"),
            Part("plain", " : respect, ponctualité et bonne humeur. Questions à "),
            Part("mention", "@jules_f"),
            Part("plain", " ou par mail "),
            Part("email", "club.rando@example.org"),
            Part("plain", ", tél. "),
            Part("phone", "+33 6 00 00 00 00"),
            Part("plain", ". Infos : "),
            Part("link", "https://example.org/rando"),
            Part("plain", " et le "),
            Part("text_link", "programme", "https://example.org/rando/programme"),
            Part("plain", " "),
            Part("hashtag", "#rando"),
        ),
    )
    tl.add(ts(2026, 1, 10, 9, 5), admin, action=Action("pin_message"), pin=rules)
    tl.add(
        ts(2026, 1, 12, 18, 30),
        pe[2],
        (
            Part("plain", "Merci "),
            Part("mention_name", "Camille", central.id),
            Part("plain", " pour les photos ! "),
            Part("hashtag", "#souvenirs"),
        ),
        reactions=(
            Reaction(
                3,
                "\u2764\ufe0f",
                recent=((central.peer, ts(2026, 1, 12, 18, 40)), (pe[3].peer, ts(2026, 1, 12, 18, 35))),
            ),
            Reaction(1, "\U0001f44d", recent=((exporter.peer, ts(2026, 1, 12, 19, 2)),)),
        ),
    )
    tl.add(ts(2026, 1, 14, 8, 0), pe[3], plain("Rendez-vous\x01 à 8h devant la gare"))
    tl.add(ts(2026, 1, 14, 8, 2), pe[3], plain("Liste :\x1f eau, pain, fromage\x1f et bonne humeur"))
    tl.add(ts(2026, 1, 15, 20, 0), pe[9], plain("Ligne 1\u2028ligne 2 \u2014 séparateur Unicode"))
    # album: three photos with the same date, caption on the first one only
    album_t = ts(2026, 1, 18, 17, 42, 10)
    marks["album"] = tl.add(
        album_t,
        central,
        plain("Quelques photos du plateau \U0001f4f8"),
        spec=MediaSpec("photo", 101, 800, 600),
    )
    tl.add(album_t, central, spec=MediaSpec("photo", 102, 600, 800))
    tl.add(album_t, central, spec=MediaSpec("photo", 103, 800, 533))
    tl.add(
        ts(2026, 1, 18, 17, 50),
        pe[2],
        plain("Magnifique !"),
        reply=marks["album"],
        reactions=(
            Reaction(
                2,
                "\U0001f525",
                recent=((pe[4].peer, ts(2026, 1, 18, 18, 0)), (pe[5].peer, ts(2026, 1, 18, 18, 1))),
            ),
        ),
    )
    tl.add(ts(2026, 1, 20, 12, 0), pe[5], plain("Je confirme pour samedi"))  # deleted account
    tl.add(ts(2026, 1, 20, 12, 3), pe[5], plain("Et j'apporte des fruits"))
    tl.add(
        ts(2026, 1, 22, 7, 30),
        pe[4],
        forwarded_from=WEATHER_CHANNEL,
        forwarded_date=ts(2026, 1, 22, 6, 0),
        text=plain("Bulletin : neige au-dessus de 1200 m, vent faible."),
    )
    tl.add(ts(2026, 1, 22, 7, 31), pe[4], plain("Prévoyez des guêtres"))
    tl.add(
        ts(2026, 1, 24, 10, 0),
        pe[12],
        spec=MediaSpec("video", 201, 480, 272, 42, 14_200_000, name="IMG_2041.MP4", mime="video/mp4"),
        text=plain("La descente en luge \U0001f602"),
    )
    tl.add(
        ts(2026, 1, 24, 10, 5), pe[8], spec=MediaSpec("voice", 202, duration=7, size=11_480, mime="audio/ogg")
    )
    tl.add(
        ts(2026, 1, 25, 16, 0),
        pe[13],
        spec=MediaSpec(
            "sticker", 203, 512, 512, size=24_000, name="sticker.webp", mime="image/webp", emoji="\U0001f60a"
        ),
    )
    tl.add(
        ts(2026, 1, 26, 21, 0),
        exporter,
        via_bot=Peer("user", 6234567890, "GIF Bot", "", "demo_gif_bot"),
        spec=MediaSpec("animation", 204, 320, 240, 2, 180_000, name="animation.gif.mp4", mime="video/mp4"),
    )
    tl.add(
        ts(2026, 1, 28, 18, 0), pe[11], spec=MediaSpec("round", 205, 240, 240, 4, 300_000, mime="video/mp4")
    )
    tl.add(
        ts(2026, 1, 30, 9, 0),
        admin,
        media=Poll(
            "Sortie du 8 février : quel itinéraire ?",
            (
                PollAnswer("Les crêtes", 9, False),
                PollAnswer("La forêt", 5, True),
                PollAnswer("Le lac", 3),
            ),
            16,
        ),
    )
    tl.add(ts(2026, 2, 2, 19, 0), pe[10], plain("Point de rendez-vous :"))
    tl.add(ts(2026, 2, 2, 19, 1), pe[10], media=GeoPoint(45.899247, 6.129384))
    tl.add(
        ts(2026, 2, 3, 11, 0),
        pe[14],
        spec=MediaSpec("contact", 206, contact=("Refuge", "du Lac", "+33 4 00 00 00 00")),
    )
    tl.add(
        ts(2026, 2, 4, 14, 0),
        pe[15],
        spec=MediaSpec("file", 207, 900, 640, name="plan_du_parcours.png", mime="image/png"),
        text=plain("Le plan"),
    )
    tl.add(
        ts(2026, 2, 4, 14, 5),
        pe[15],
        spec=MediaSpec("file", 208, size=164_000_000, name="sorties_2025_photos.zip", mime="application/zip"),
    )
    tl.add(ts(2026, 2, 5, 9, 0), pe[16], spec=MediaSpec("photo", 209, 1280, 960, unavailable=True))
    tl.add(
        ts(2026, 2, 6, 20, 0),
        pe[17],
        spec=MediaSpec("video", 210, 640, 360, 75, 23_400_000, mime="video/mp4"),
    )
    tl.add(
        ts(2026, 2, 7, 8, 0),
        pe[18],
        forwarded_from=pe[12].peer,
        forwarded_date=ts(2026, 2, 6, 22, 10),
        text=plain("Je vends mes bâtons de marche, presque neufs"),
    )
    tl.add(
        ts(2026, 2, 7, 8, 20),
        pe[19],
        forwarded_name="Randonneur anonyme",
        forwarded_date=ts(2026, 2, 5, 7, 0),
        text=plain("Conseil : partez toujours avec une lampe frontale"),
    )
    marks["cross_reply"] = tl.add(
        ts(2026, 2, 9, 18, 0),
        pe[4],
        plain("Vu sur la chaîne météo, ça se confirme"),
        reply_peer=WEATHER_CHANNEL,
    )
    marks["cross_reply"].msg.reply_to = 4821
    marks["edited_03"] = tl.add(
        ts(2026, 2, 10, 12, 0),
        pe[2],
        plain("Sortie confirmée samedi 14, départ 9h"),
        edited=ts(2026, 2, 10, 12, 7),
    )
    tl.add(
        ts(2026, 2, 11, 19, 0),
        pe[20],
        plain("שלום לכולם, נתראה בשבת"),
    )
    tl.add(
        ts(2026, 2, 12, 10, 0),
        pe[21],
        plain("\U0001f3d4\ufe0f\U0001f97e\U0001f332\U0001f304 \U0001f44d\U0001f3fd"),
    )
    for k, (hh, seed) in enumerate(((15, 301), (16, 302))):
        tl.add(
            ts(2026, 2, 14, hh, 10),
            pe[2 + k],
            spec=MediaSpec("photo", seed, 720, 540),
            text=plain("Au sommet !" if k == 0 else ""),
        )
    tl.add(ts(2026, 2, 20, 18, 0), pe[7], plain("Je quitte la région, merci pour tout !"))
    tl.add(
        ts(2026, 2, 20, 18, 5), pe[7], action=Action("remove_members", members=(pe[7].peer,))
    )  # left by himself
    tl.add(ts(2026, 2, 22, 11, 0), admin, action=Action("remove_members", members=(pe[39].peer,)))  # removed
    tl.add(ts(2026, 3, 1, 10, 0), admin, action=Action("edit_group_title", title=TITLE_MARCH))
    tl.add(ts(2026, 3, 3, 20, 15), central, plain("Qui est partant pour le week-end en refuge ?"))
    marks["central_march"] = tl.items[-1]
    tl.add(ts(2026, 3, 8, 16, 30), central, spec=KNOWN["B1"].spec, text=plain("Vue du col"))
    tl.add(ts(2026, 3, 12, 21, 40), pe[12], spec=KNOWN["F4"].spec)  # known material, in the group
    tl.add(ts(2026, 3, 20, 9, 0), pe[22], plain("Bonjour, je découvre le groupe \U0001f44b"))
    # after the March export
    tl.add(ts(2026, 4, 10, 9, 0), admin, action=Action("edit_group_title", title=TITLE_APRIL))
    tl.add(
        ts(2026, 4, 18, 17, 0),
        central,
        spec=MediaSpec("photo", 304, 960, 720),
        text=plain("Printemps \U0001f33c"),
    )
    tl.add(ts(2026, 5, 2, 8, 0), pe[41], action=Action("join_group_by_link", inviter=central.peer))
    tl.add(
        ts(2026, 5, 20, 12, 0),
        pe[2],
        spec=MediaSpec("photo", 305, 800, 600),
        text=plain("Première baignade"),
    )

    tl.assign_ids(1, 0.04)
    return old.items + tl.items, marks


# --------------------------------------------------------------------------------------------------
# Private chats of the central account, saved messages, bot, left group
# --------------------------------------------------------------------------------------------------


def _build_private(
    rng: random.Random, people: list[Person], central: Person, bot: Person
) -> tuple[list[tuple[Person, list[Item]]], list[Item], list[Item]]:
    partners = [people[i] for i in (1, 2, 3, 4, 9, 11, 12, 13)]
    all_items: list[Item] = []
    chats: list[tuple[Person, list[Item]]] = []
    seed = 400
    f2: Item | None = None
    other_peer_of_f2: Peer | None = None
    for k, other in enumerate(partners):
        tl = _Timeline(rng)
        t = ts(2026, 2, 1 + k, 9, 0) + rng.randrange(0, 36000)
        n = 14 + rng.randrange(0, 16)
        for j in range(n):
            who = central if j % 3 != 1 else other
            spec = None
            text = plain(rng.choice(_DM_TEXTS))
            roll = rng.random()
            if roll < 0.16:
                seed += 1
                spec = MediaSpec("photo", seed, rng.choice([640, 800, 960]), rng.choice([480, 600, 720]))
                text = plain("") if rng.random() < 0.5 else text
            elif roll < 0.20:
                seed += 1
                spec = MediaSpec("video", seed, 480, 272, 3 + rng.randrange(0, 20), 0, mime="video/mp4")
            elif roll < 0.23:
                seed += 1
                spec = MediaSpec("file", seed, 640, 480, name=f"itineraire_{seed}.png", mime="image/png")
            elif roll < 0.26:
                seed += 1
                spec = MediaSpec(
                    "voice",
                    seed,
                    duration=5 + rng.randrange(0, 30),
                    size=9_000 + rng.randrange(0, 40_000),
                    mime="audio/ogg",
                )
                text = ()
            tl.add(t, who, text, spec=spec)
            t += rng.randrange(60, 30 * 3600)
        if k == 1:  # a self-destructing photo: never saved by the exporter
            tl.add(t + 600, other, spec=MediaSpec("photo", 499, 800, 600), ttl=10)
        if k == 2:
            tl.add(t + 700, central, media=GeoPoint(45.9237, 6.8694))
        if k == 3:
            tl.add(t + 800, other, media=GeoPoint(None), ttl=900)  # expired live location
        if k == 4:
            tl.add(t + 900, other, spec=MediaSpec("round", 498, 240, 240, 5, 0, mime="video/mp4"))
        # The known material exchanged with the central account (synthetic, see ``KNOWN``).
        if k == 0:
            tl.add(t + 1000, central, plain("Comme promis"), spec=KNOWN["F1"].spec)
            tl.add(t + 1500, central, plain("Ma fille de 8 ans adore la rando, elle viendra samedi"))
        elif k == 1:
            f2 = tl.add(t + 1100, other, spec=KNOWN["F2"].spec)
        elif k == 2:
            assert f2 is not None and other_peer_of_f2 is not None
            tl.add(
                max(t, f2.msg.date) + 1200,
                central,
                spec=KNOWN["F2"].spec,
                forwarded_from=other_peer_of_f2,
                forwarded_date=f2.msg.date,
            )
        elif k == 3:
            tl.add(t + 1300, other, spec=KNOWN["F3"].spec)
            tl.add(t + 1600, other, plain("Je suis animateur au centre aéré le mercredi, je ne peux pas"))
        elif k == 4:
            tl.add(t + 1400, central, plain("Regarde ça"), spec=KNOWN["V1"].spec)
        if k == 1:
            other_peer_of_f2 = other.peer
        chats.append((other, tl.items))
        all_items.extend(tl.items)
    # replies inside each chat
    for _, items in chats:
        for j in range(3, len(items), 7):
            items[j].reply = items[j - 2]

    saved = _Timeline(rng)
    saved.add(ts(2026, 2, 2, 22, 0), central, plain("Idées de sorties : Semnoz, Parmelan, Tournette"))
    saved.add(ts(2026, 3, 5, 21, 0), central, plain("Ne pas oublier : renouveler la licence"))
    saved.add(
        ts(2026, 3, 9, 7, 0),
        central,
        forwarded_from=WEATHER_CHANNEL,
        forwarded_date=ts(2026, 3, 9, 6, 0),
        saved_from=WEATHER_CHANNEL,
        text=plain("Bulletin du jour : grand beau temps"),
    )
    saved.add(ts(2026, 4, 1, 20, 0), central, spec=MediaSpec("photo", 480, 640, 480))
    all_items.extend(saved.items)

    bot_tl = _Timeline(rng)
    bot_tl.add(ts(2026, 2, 3, 7, 0), central, (Part("bot_command", "/start"),))
    bot_tl.add(
        ts(2026, 2, 3, 7, 0) + 1,
        bot,
        plain("Bonjour ! Choisissez une ville pour la météo."),
        buttons=(
            (
                Button("callback", "Annecy", b"city:annecy"),
                Button("callback", "Chambéry", b"city:chambery"),
            ),
            (Button("url", "Site web", b"https://example.org/meteo"),),
        ),
    )
    bot_tl.add(ts(2026, 2, 3, 7, 1), central, plain("Annecy"))
    bot_tl.add(ts(2026, 2, 3, 7, 1) + 2, bot, plain("Annecy : 4\u00b0C, ciel dégagé \u2600\ufe0f"))
    all_items.extend(bot_tl.items)

    # message ids of private chats come from the account's own sequence, in time order
    all_items.sort(key=lambda it: it.msg.date)
    next_id = 20411
    for it in all_items:
        next_id += rng.randint(1, 6)
        it.msg.id = next_id
    for it in all_items:
        if it.reply is not None:
            it.msg.reply_to = it.reply.msg.id
    for _, items in chats:
        items.sort(key=lambda it: it.msg.id)
    return chats, saved.items, bot_tl.items


def _build_left(rng: random.Random, central: Person) -> list[Item]:
    tl = _Timeline(rng)
    for k, text in enumerate(
        [
            "Je donne un vélo enfant, à récupérer samedi",
            "Toujours disponible",
            "Donné, merci !",
            "Bonne continuation à tous",
        ]
    ):
        tl.add(ts(2026, 1, 12 + 5 * k, 10, 0), central, plain(text))
    tl.assign_ids(318, 0.0)
    for k, it in enumerate(tl.items):
        it.msg.id = 318 + 17 * k  # only the account's own messages: sparse ids
    return tl.items


def _build_dm(rng: random.Random, a: Person, b: Person) -> list[Item]:
    tl = _Timeline(rng)
    t = ts(2026, 2, 10, 18, 0)
    for j in range(46):
        who = a if (j // 2) % 2 == 0 else b
        spec = None
        if j == 9:
            spec = MediaSpec("photo", 601, 800, 600)
        elif j == 23:
            spec = MediaSpec("voice", 602, duration=12, size=19_200, mime="audio/ogg")
        elif j == 31:
            spec = MediaSpec("file", 603, size=2_400_000, name="topo_refuge.pdf", mime="application/pdf")
        text = () if spec is not None and spec.kind == "voice" else plain(rng.choice(_DM_TEXTS))
        reply = tl.items[-3] if j in (12, 27, 40) else None
        tl.add(t, who, text, spec=spec, reply=reply)
        t += rng.choice([40, 90, 300, 700, 3600, 5 * 3600, 20 * 3600])
    tl.items.sort(key=lambda it: it.msg.date)
    next_id = 48213
    for it in tl.items:
        it.msg.id = next_id
        next_id += rng.randint(1, 9)
    for it in tl.items:
        if it.reply is not None:
            it.msg.reply_to = it.reply.msg.id
    return tl.items


# --------------------------------------------------------------------------------------------------
# The whole case
# --------------------------------------------------------------------------------------------------


def build_case(seed: int = 7) -> Case:
    rng = random.Random(seed)
    people = _people(rng)
    central, exporter = people[0], people[1]
    bot = Person(99, 6123456789, "Météo Bot", "", "meteo_demo_bot")
    group, marks = _build_group(rng, people)

    # June re-export: five messages deleted by their authors, three edited, users renamed
    candidates = [
        it
        for it in group
        if GROUP06_FROM <= it.msg.date < GROUP03_EXPORTED
        and it.msg.action is None
        and it.msg.sender is not None
        and it.msg.sender.id not in (central.id, people[5].id)
        and it.spec is None
        and it.msg.media is None
        and not it.msg.edited
        and all(o.reply is not it for o in group)
    ]
    editable = [it for it in candidates if it.msg.sender is not None and it.msg.sender.id != people[7].id]
    deleted_06 = {it.msg.id for it in rng.sample(candidates, 5)}
    rest = [it for it in editable if it.msg.id not in deleted_06]
    edits_06: dict[int, tuple[tuple[Part, ...], int]] = {}
    for k, it in enumerate(rng.sample(rest, 2)):
        edits_06[it.msg.id] = (plain(it.msg.plain_text + " (modifié)"), EDITS_06 + k * 3600)
    e3 = marks["edited_03"].msg
    edits_06[e3.id] = (
        plain("Sortie confirmée samedi 14, départ 8h30 (changement d'horaire)"),
        EDITS_06 + 7200,
    )

    private_chats, saved, bot_chat = _build_private(rng, people, central, bot)
    return Case(
        people=people,
        central=central,
        exporter=exporter,
        group=group,
        deleted_06=deleted_06,
        edits_06=edits_06,
        renames_06={
            people[2].id: ("Léa", "M."),
            people[3].id: ("Théo \U0001f6b4", ""),
            people[8].id: ("Noé", "Garnier"),
        },
        deleted_before_03={people[5].id},
        deleted_before_06={people[7].id},
        contact_names={
            people[1].id: ("Hugo", "Club"),
            people[2].id: ("Léa", "Vélo"),
            people[3].id: ("Théo", "Lambert"),
            people[4].id: ("Nathan", "(rando)"),
            people[9].id: ("Tante", "Sofia"),
            people[11].id: ("Emma", "Dubois"),
            people[12].id: ("Adam", "Petit"),
            people[13].id: ("Jade", ""),
        },
        private_chats=private_chats,
        saved=saved,
        bot=bot,
        bot_chat=bot_chat,
        left_chat=_build_left(rng, central),
        dm_pair=(people[3], people[4]),
        dm=_build_dm(rng, people[3], people[4]),
        sessions=[
            Session(
                ts(2026, 5, 12, 19, 58),
                "203.0.113.42",
                "France",
                "Auvergne-Rhône-Alpes",
                "Telegram Desktop",
                "5.12.3",
                "Desktop",
                "Windows",
                "Windows 11",
                ts(2025, 11, 2, 10, 0),
            ),
            Session(
                ts(2026, 5, 12, 8, 14),
                "198.51.100.23",
                "France",
                "Auvergne-Rhône-Alpes",
                "Telegram Android",
                "11.9.1",
                "Pixel 8",
                "Android",
                "SDK 34",
                ts(2024, 3, 18, 19, 0),
            ),
            Session(
                ts(2026, 4, 29, 13, 1),
                "192.0.2.77",
                "Switzerland",
                "Geneva",
                "Telegram Web",
                "2.1.0 A",
                "Chrome",
                "Web",
                "Linux",
                ts(2026, 4, 29, 12, 55),
            ),
        ],
    )


__all__ = [
    "KNOWN",
    "TZ",
    "Case",
    "Item",
    "Known",
    "Media",
    "MediaSpec",
    "Person",
    "Session",
    "build_case",
    "plain",
    "ts",
]
