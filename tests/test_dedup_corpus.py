"""Demo-like texts for dedup tests, and the measurements that justify the Jaccard threshold.

Two wire stories about the same people (a foreign minister, a secretary of state, a
spokesperson) on different events, and near copies of the first as mirror blogs make them:
a paragraph dropped, a sentence reworded, a cache notice appended. Written for these tests.
"""

from __future__ import annotations

import pytest

from pipelines.dedup import DedupConfig, estimated_jaccard, shingles, signature

STORY_A = [
    "KUALA LUMPUR: A meeting between Russian Foreign Minister Sergey Lavrov and US Secretary "
    "of State Marco Rubio on the sidelines of the Asean foreign ministers' meeting in Kuala "
    "Lumpur is being arranged, foreign ministry spokeswoman Maria Zakharova told reporters "
    "on Wednesday.",
    '"I can confirm that such a meeting is being prepared," Zakharova said when asked '
    "whether the two ministers would sit down together during their stay in the Malaysian "
    "capital.",
    "Lavrov landed at the air force base in Subang late on Wednesday evening and is due to "
    "attend ministerial sessions on Thursday and Friday, the second and third days of the "
    "gathering hosted by Malaysia as this year's Asean chair.",
    "According to the published schedule of the State Department, Rubio will meet Lavrov at "
    "six in the evening local time on Thursday, shortly after a working lunch with his "
    "Japanese and South Korean counterparts.",
    "Zakharova said Lavrov would also hold a series of bilateral talks with Asian partners, "
    "including the foreign ministers of Laos, Myanmar and Indonesia, and would take part in "
    "the Russia-Asean session, the East Asia Summit ministerial and the Asean Regional Forum.",
    "The East Asia Summit brings together the ten members of the bloc and their dialogue "
    "partners, among them China, India, Japan, Russia and the United States, and is one of "
    "the few settings where Moscow and Washington still meet face to face.",
    "Analysts in Kuala Lumpur said a first in-person meeting between the two men would be "
    "watched closely for signals on a ceasefire in Ukraine, on sanctions relief and on the "
    "return of diplomats expelled by both sides over the past three years.",
]
"""~300 words: a meeting of the two ministers being arranged (day 1)."""

STORY_B = [
    "MOSCOW: Russian Foreign Minister Sergey Lavrov and US Secretary of State Marco Rubio "
    "spoke by telephone on Saturday about the exchange of prisoners agreed last month, the "
    "Russian foreign ministry said in a brief statement.",
    "Spokeswoman Maria Zakharova told a news briefing that the call had been requested by "
    "the American side and lasted a little under forty minutes, and that both ministers "
    "described the conversation as businesslike.",
    '"The ministers discussed the practical steps needed to complete the exchange before '
    'the end of the summer," Zakharova said, adding that lists of names had been handed '
    "over through the embassies in Moscow and Washington.",
    "The State Department said Rubio had raised the cases of two American citizens held in "
    "Russian prisons and had pressed for consular access to a third man detained in "
    "Yekaterinburg in the spring on charges his family calls absurd.",
    "Lavrov, according to the Russian readout, complained about the seizure of diplomatic "
    "property in Maryland and New York and asked for the return of six buildings that have "
    "stood empty since they were closed by the previous administration.",
    "No date was set for a further conversation. Zakharova said working groups of the two "
    "ministries would meet in Istanbul next week to continue talks on the functioning of "
    "embassies, visas for diplomats and direct flights between the two countries.",
    "The call was the third between the two ministers this year and came a week after "
    "Lavrov returned from a tour of Africa, where he visited Egypt, Kenya and South Africa.",
]
"""~300 words: same three people, a phone call about a prisoner exchange (another week)."""

CACHE_NOTICE = (
    "Artikel ini hanyalah simpanan cache dari url asal penulis yang berkebarangkalian sudah "
    "terlalu lama atau sudah dibuang : https://news.example.org/world/lavrov-rubio-meeting"
)

REWORDED = (
    "Lavrov arrived at the Subang air base on Wednesday night and will take part in the "
    "ministerial sessions on Thursday and Friday, the second and third days of the gathering "
    "hosted by Malaysia as this year's Asean chair."
)


def text(paragraphs: list[str]) -> str:
    """Join paragraphs the way Article.text stores them (one blank line between)."""
    return "\n\n".join(paragraphs)


ORIGINAL = text(STORY_A)

NEAR_COPIES = {
    "paragraph dropped": text(STORY_A[:5] + STORY_A[6:]),
    "sentence reworded": text([*STORY_A[:2], REWORDED, *STORY_A[3:]]),
    "cache notice appended": text([*STORY_A, CACHE_NOTICE]),
    "caption glued and notice": text(
        ["Lavrov arrives at the air base. - BERNAMA pic" + STORY_A[0], *STORY_A[1:], CACHE_NOTICE]
    ),
    "all of them": text([*STORY_A[:2], REWORDED, *STORY_A[3:5], *STORY_A[6:], CACHE_NOTICE]),
    "last two paragraphs cut": text(STORY_A[:5]),
}
"""Near copies of ORIGINAL as mirrors produce them (a new headline changes only the title)."""

DIFFERENT = {
    "same people, other event": text(STORY_B),
    "same people, shared background paragraph": text([*STORY_B[:6], STORY_A[5]]),
}
"""Texts that are another story although they name the same people."""


def exact_jaccard(a: str, b: str, size: int) -> float:
    """Return the true Jaccard similarity of the word shingles of two texts."""
    sa, sb = shingles(a, size), shingles(b, size)
    return len(sa & sb) / len(sa | sb)


def test_story_texts_are_news_length() -> None:
    assert 250 <= len(ORIGINAL.split()) <= 400
    assert 250 <= len(text(STORY_B).split()) <= 400


@pytest.mark.parametrize("name", sorted(NEAR_COPIES))
def test_near_copy_estimate_clears_threshold(name: str) -> None:
    config = DedupConfig()
    estimate = estimated_jaccard(signature(ORIGINAL, config), signature(NEAR_COPIES[name], config))
    assert estimate >= config.threshold + 0.1, (name, estimate)


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_different_story_estimate_stays_far_below_threshold(name: str) -> None:
    config = DedupConfig()
    estimate = estimated_jaccard(signature(ORIGINAL, config), signature(DIFFERENT[name], config))
    assert estimate <= config.threshold - 0.3, (name, estimate)


def measurements(config: DedupConfig) -> list[tuple[str, str, float, float]]:
    """Return (kind, case, exact Jaccard, estimated Jaccard) for every case (for the report)."""
    rows = []
    base = signature(ORIGINAL, config)
    for kind, cases in (("near", NEAR_COPIES), ("different", DIFFERENT)):
        for name, other in cases.items():
            exact = exact_jaccard(ORIGINAL, other, config.shingle_words)
            rows.append((kind, name, exact, estimated_jaccard(base, signature(other, config))))
    return rows
