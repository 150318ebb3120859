"""Pairwise precision and recall of "same story" on a corpus written for this test.

Wire stories are generated from sentence templates (seeded, so the corpus is the same on
every run) and republished by several sites: verbatim, under a new headline, with a
paragraph dropped, with a sentence reworded, with a cache notice or a glued photo caption,
cut short. Look-alike stories are the hard part: pairs that name the same people in the
same city, share a background paragraph and are built from the same templates, but report
another event on another day. Every article is stored; a pair of articles is "same story"
when the store gives them the same ``story_id``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pytest

from pipelines.dedup import DedupConfig
from pipelines.items import Article
from pipelines.store import Store

PEOPLE = [
    ("Sergey Lavrov", "Russian Foreign Minister"), ("Marco Rubio", "US Secretary of State"),
    ("Wang Yi", "Chinese Foreign Minister"), ("Penny Wong", "Australian Foreign Minister"),
    ("Anwar Ibrahim", "Malaysian Prime Minister"), ("Maria Zakharova", "ministry spokeswoman"),
    ("Retno Marsudi", "Indonesian envoy"), ("Kaja Kallas", "EU foreign policy chief"),
    ("Ursula von der Leyen", "European Commission President"), ("Jaishankar", "Indian Foreign Minister"),
]  # fmt: skip
PLACES = ["Kuala Lumpur", "Jakarta", "Geneva", "Istanbul", "Vientiane", "Manila", "Brussels",
          "Riyadh", "Doha", "Singapore", "Hanoi", "Canberra"]  # fmt: skip
TOPICS = ["a ceasefire", "sanctions relief", "a prisoner exchange", "rice exports",
          "maritime patrols", "tariffs on steel", "a nuclear plant", "visa rules",
          "flood relief", "undersea cables", "fishing rights", "a rail link"]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ORGS = ["Asean", "the United Nations", "the G20", "Opec", "the World Bank", "Interpol"]

TEMPLATES = [
    "{p1}, the {r1}, met {p2} in {place} on {day} to discuss {topic}, officials said.",
    "{p2} told reporters after the meeting that talks on {topic} had been {mood}.",
    "The two sides agreed to set up a working group on {topic} that will meet in {place2} within {n} weeks.",
    "According to a statement from the office of {p1}, the meeting lasted {n} hours.",
    "Analysts in {place} said the outcome on {topic} would be watched closely by {org}.",
    "{p1} arrived in {place} late on {day} and is due to leave for {place2} on {day2}.",
    "{p2} also held separate talks with officials from {org} about {topic2}.",
    "A spokesman for {org} said it welcomed any progress on {topic} but urged caution.",
    "The {r2} said {n} proposals on {topic2} had been handed over in {place2}.",
    "Protesters gathered outside the venue in {place} calling for action on {topic2}.",
    "It was the {ordinal} meeting between {p1} and {p2} this year.",
    "Officials in {place2} declined to comment on reports about {topic}.",
    "{p1} described the talks on {topic2} as {mood} and said more work was needed.",
    "Markets in {place} reacted {reaction} to the news on {topic}, traders said.",
    "The {r1} is expected to brief {org} on {topic} on {day2}.",
    "{p2} said the next round of talks would take place in {place2} before the end of the month.",
    "Earlier on {day}, {p1} laid a wreath at a memorial in {place}.",
    "Diplomats said a draft text on {topic2} ran to {n} pages.",
    "The {r2} warned that failure on {topic} would hurt trade with {place2}.",
    "Local media in {place} reported that {n} agreements were signed on {day}.",
    "{p1} and {p2} posed for photographs before the closed-door session on {topic}.",
    "A joint statement issued in {place} called for restraint over {topic2}.",
    "Security was tight in central {place}, with {n} roads closed for the visit.",
    "{org} has been pressing both sides for a deal on {topic} since last year.",
]  # fmt: skip
BACKGROUND = (
    "{p1} and {p2} have met several times since taking office, and their ministries keep "
    "a channel open on {topic} despite sharp differences over other questions raised by {org}."
)
MOODS = ["constructive", "difficult", "frank", "productive", "tense", "useful", "slow"]
REACTIONS = ["calmly", "nervously", "sharply", "with relief", "little"]
ORDINALS = ["first", "second", "third", "fourth", "fifth"]
CACHE_NOTICE = ("Artikel ini hanyalah simpanan cache dari url asal penulis yang "
                "berkebarangkalian sudah terlalu lama atau sudah dibuang : {url}")  # fmt: skip
SITES = ["news.example.org", "wire.example.com", "daily.example.net", "mirror-a.blogspot.com",
         "mirror-b.blogspot.com", "portal.example.my"]  # fmt: skip


@dataclass(frozen=True)
class Copy:
    """One published copy: its URL, headline, text, date, and the story it belongs to."""

    url: str
    title: str
    text: str
    published: str
    story: int


def _slots(rng: random.Random, people: tuple[int, int], place: str) -> dict[str, str]:
    """Fill the template slots of one story: given people and place, the rest at random."""
    (p1, r1), (p2, r2) = PEOPLE[people[0]], PEOPLE[people[1]]
    topic, topic2 = rng.sample(TOPICS, 2)
    day, day2 = rng.sample(DAYS, 2)
    return {
        "p1": p1, "r1": r1, "p2": p2, "r2": r2, "place": place,
        "place2": rng.choice([p for p in PLACES if p != place]), "topic": topic,
        "topic2": topic2, "day": day, "day2": day2, "org": rng.choice(ORGS),
        "mood": rng.choice(MOODS), "reaction": rng.choice(REACTIONS),
        "ordinal": rng.choice(ORDINALS), "n": str(rng.randint(2, 40)),
    }  # fmt: skip


def _story(rng: random.Random, people: tuple[int, int], place: str) -> list[str]:
    """Return the paragraphs of one wire story (two or three sentences each, ~250 words)."""
    slots = _slots(rng, people, place)
    sentences = [t.format(**slots) for t in rng.sample(TEMPLATES, 14)]
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, 14, 2)]
    paragraphs.insert(3, BACKGROUND.format(**slots))
    return paragraphs


def _variants(rng: random.Random, paragraphs: list[str], origin: str) -> list[str]:
    """Return the texts the sites publish: verbatim and edited as mirrors edit them."""
    reworded = list(paragraphs)
    reworded[2] = "In other remarks, " + reworded[2][0].lower() + reworded[2][1:].replace(
        " said ", " stated ", 1)  # fmt: skip
    dropped = list(paragraphs)
    del dropped[rng.randrange(1, len(dropped))]
    join = "\n\n".join
    return [
        join(paragraphs),
        join(paragraphs),  # verbatim, new headline
        join(dropped),
        join(reworded),
        join([*paragraphs, CACHE_NOTICE.format(url=origin)]),
        join(["Delegates arrive for the talks. - AFP pic" + paragraphs[0], *paragraphs[1:]]),
        join(paragraphs[: len(paragraphs) * 3 // 4]),
    ]


def corpus(seed: int = 7, pairs: int = 12) -> list[Copy]:
    """Return ``2 * pairs`` stories (look-alike pairs) in several copies each."""
    rng = random.Random(seed)
    copies: list[Copy] = []
    for pair in range(pairs):
        people = tuple(rng.sample(range(len(PEOPLE)), 2))
        place = rng.choice(PLACES)
        for twin in range(2):
            story = pair * 2 + twin
            paragraphs = _story(rng, (people[0], people[1]), place)
            day = f"2025-07-{1 + story:02d}"
            origin = f"https://{SITES[0]}/world/{day}/story-{story}"
            texts = _variants(rng, paragraphs, origin)
            count = rng.randint(3, len(texts))
            for number, text in enumerate(texts[:count]):
                site = SITES[number % len(SITES)]
                url = origin if number == 0 else f"https://{site}/{day}/copy-{story}-{number}"
                title = f"{PEOPLE[people[0]][0]} meets {PEOPLE[people[1]][0]} in {place}"
                copies.append(Copy(url, title if number != 1 else title.upper(), text, day, story))
    return copies


def store_corpus(path: Path, copies: list[Copy]) -> dict[str, int]:
    """Store every copy; return the story id the store gave each URL."""
    with Store(path) as store, store.transaction():
        for copy in copies:
            store.save_article(Article(url=copy.url, canonical_url="", site="", title=copy.title,
                                       text=copy.text, published=copy.published))  # fmt: skip
        return {
            row["url"]: row["story_id"]
            for row in store.db.query("SELECT url, story_id FROM articles")
        }


def pairwise(copies: list[Copy], found: dict[str, int]) -> tuple[float, float]:
    """Return (precision, recall) of "same story" over all pairs of copies."""
    true_positive = predicted = actual = 0
    for a, b in combinations(copies, 2):
        same = a.story == b.story
        said = found[a.url] == found[b.url]
        actual += same
        predicted += said
        true_positive += same and said
    return true_positive / max(predicted, 1), true_positive / max(actual, 1)


def test_corpus_is_news_like() -> None:
    copies = corpus()
    assert len({c.story for c in copies}) == 24
    assert len(copies) >= 24 * 3
    words = [len(c.text.split()) for c in copies]
    assert min(words) >= 150 and max(words) <= 450


def test_same_story_precision_and_recall(tmp_path: Path) -> None:
    copies = corpus()
    precision, recall = pairwise(copies, store_corpus(tmp_path / "news.db", copies))
    assert precision >= 0.98, precision
    assert recall >= 0.98, recall


@pytest.fixture
def look_alike_similarity() -> Iterator[list[float]]:
    """Estimated Jaccard between the two stories of each look-alike pair (for the report)."""
    from pipelines.dedup import DedupConfig, estimated_jaccard, signature

    config = DedupConfig()
    copies = corpus()
    first = {c.story: c.text for c in reversed(copies)}
    yield [
        estimated_jaccard(signature(first[2 * i], config), signature(first[2 * i + 1], config))
        for i in range(len(first) // 2)
    ]


def test_look_alike_stories_stay_far_below_the_threshold(
    look_alike_similarity: list[float],
) -> None:
    assert max(look_alike_similarity) < DedupConfig().threshold - 0.15, look_alike_similarity
