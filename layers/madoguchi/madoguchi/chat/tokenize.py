"""Turn normalised text into index terms: words and character n-grams.

Japanese words come from SudachiPy (dictionary ``sudachidict_small``) in its
normalized form, so 申し込み and 申込 meet. A second, character-level channel
catches what word matching misses: bigrams of the kana reading catch
hiragana-only questions and kanji typos with the right reading (手数量), and
bigrams of the surface catch typos that keep most of the characters.

SudachiPy and the stemmer are imported on first use, because importing them
and loading the dictionary is most of the cold start.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from madoguchi.chat.normalize import Language, fold_kana

# Parts of speech (first level, Sudachi's UniDic-style tags) that carry no topic.
_SKIPPED_POS = {"助詞", "助動詞", "補助記号", "記号", "空白", "接続詞", "感動詞", "フィラー"}

# Dictionary forms too common in questions to say what the question is about.
_JA_STOP_WORDS = {
    "する",
    "為る",
    "ある",
    "有る",
    "在る",
    "いる",
    "居る",
    "なる",
    "成る",
    "できる",
    "出来る",
    "れる",
    "られる",
    "せる",
    "こと",
    "事",
    "もの",
    "物",
    "よう",
    "様",
    "ため",
    "為",
    "の",
    "ん",
    "方",
    "私",
    "僕",
    "俺",
    "自分",
    "わたし",
    "教える",
    "知る",
    "知れる",
    "分かる",
    "解る",
    "欲しい",
    "いい",
    "良い",
    "よい",
    "下さる",
    "くださる",
    "思う",
    "願う",
    "お願い",
    "ちょっと",
    "本当",
    "今",
    "これ",
    "それ",
    "あれ",
    "この",
    "その",
    "どう",
    "何",
    "なに",
    "なん",
    "です",
    "ます",
    "さん",
    "すみません",
    "済みません",
    "もらう",
    "貰う",
    "いただく",
    "頂く",
    "ください",
    "みる",
    "見る",
    "行う",
    "について",
    "関する",
    "場合",
    "とき",
    "時",
    "ところ",
    "所",
    "一",
    "的",
    "けど",
    "よね",
    "かな",
    "いう",
    "言う",
    "聞く",
}

_EN_STOP_WORDS = {
    "a",
    "an",
    "the",
    "i",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "it",
    "its",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "am",
    "do",
    "does",
    "did",
    "can",
    "could",
    "should",
    "would",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "have",
    "has",
    "had",
    "to",
    "of",
    "in",
    "on",
    "at",
    "for",
    "with",
    "by",
    "from",
    "about",
    "as",
    "and",
    "or",
    "but",
    "if",
    "so",
    "what",
    "which",
    "who",
    "how",
    "there",
    "this",
    "that",
    "these",
    "those",
    "please",
    "tell",
    "know",
    "want",
    "need",
    "get",
    "any",
    "some",
    "than",
    "then",
    "into",
    "up",
    "out",
    "hi",
    "hello",
    "thanks",
    "thank",
    "also",
    "just",
    "like",
    "where",
    "why",
}

_EN_WORD = re.compile(r"[a-z0-9]+")
_CONTENT_CHARACTER = re.compile(r"[0-9a-z\u3041-\u309f\u30a1-\u30ff\u3400-\u9fff\uf900-\ufaffー]")
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")

_lock = threading.Lock()


@cache
def _sudachi_tokenizer() -> Any:
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="small").tokenizer(mode=SplitMode.C)


@cache
def _english_stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def load_models() -> None:
    """Load the tokeniser dictionary and stemmer now instead of on the first question."""
    _sudachi_tokenizer()
    _english_stemmer()


def analyze(text: str, language: Language) -> tuple[list[str], list[str]]:
    """Return ``(word terms, character terms)`` of normalised text.

    Placeholders left by masking, such as ``[PHONE]``, are dropped first.
    """
    text = _PLACEHOLDER.sub(" ", text)
    if language == "en":
        return _analyze_english(text)
    return _analyze_japanese(text)


def _analyze_japanese(text: str) -> tuple[list[str], list[str]]:
    # Calls are serialised because SudachiPy does not document its tokenizer as thread-safe.
    with _lock:
        morphemes = [
            (m.surface(), m.normalized_form(), m.reading_form(), m.part_of_speech()[0])
            for m in _sudachi_tokenizer().tokenize(text)
        ]

    words: list[str] = []
    reading_parts: list[str] = []
    surface_parts: list[str] = []
    for surface, normalized, reading, pos in morphemes:
        # The character channel keeps particles: in hiragana-only text Sudachi often
        # tags content as particles, and skipping them would break the bigram sequence.
        if pos not in ("補助記号", "空白"):
            # Out-of-vocabulary words get an empty or odd reading, so fall back to the surface.
            reading_parts.append(fold_kana(reading if reading and reading != "キゴウ" else surface))
            surface_parts.append(fold_kana(surface))
        if pos in _SKIPPED_POS:
            continue
        term = fold_kana(normalized)
        if term in _JA_STOP_WORDS or normalized in _JA_STOP_WORDS:
            continue
        if _CONTENT_CHARACTER.search(term):
            words.append(term)

    characters = _bigrams("".join(reading_parts), "r") + _bigrams("".join(surface_parts), "s")
    return words, characters


def _analyze_english(text: str) -> tuple[list[str], list[str]]:
    stemmer = _english_stemmer()
    tokens = [token for token in _EN_WORD.findall(text) if token not in _EN_STOP_WORDS]
    words = stemmer.stemWords(tokens)
    characters: list[str] = []
    for word in tokens:
        padded = f"_{word}_"
        characters.extend(f"t:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    return words, characters


def _bigrams(text: str, prefix: str) -> list[str]:
    characters = [character for character in text if _CONTENT_CHARACTER.match(character)]
    if len(characters) == 1:
        return [f"{prefix}:{characters[0]}"]
    return [f"{prefix}:{characters[i]}{characters[i + 1]}" for i in range(len(characters) - 1)]
