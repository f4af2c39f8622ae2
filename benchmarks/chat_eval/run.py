"""Evaluate the chatbot on the question sets in this folder.

Run from the repository root:

    .venv/bin/python benchmarks/chat_eval/run.py [--rounds 5] [--output results.json]

Prints and writes top-1 accuracy, the rate of correct "don't know" answers,
warm answer time (median and p95), cold start (import, dictionary load,
knowledge base build and the first answer) and the peak RSS of this process.
Run it in a fresh process: the cold start is only measured once.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "layers" / "madoguchi"))

SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Case:
    split: str
    category: str
    question: str
    expected: str


def load_cases() -> list[Case]:
    cases = []
    for split in SPLITS:
        for line in (HERE / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            category, question, expected = line.split("\t")
            cases.append(Case(split, category, question, expected))
    return cases


def answer_key(answer) -> str:
    if not answer.answered or answer.source is None:
        return "unknown"
    if answer.source.kind == "procedure":
        return f"procedure:{answer.source.id}#{answer.source.facet}"
    return f"faq:{answer.source.id}"


def is_correct(expected: str, actual: str) -> bool:
    if expected.startswith("procedure:") and "#" not in expected:
        return actual.split("#")[0] == expected
    return actual == expected


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarize(results: list[tuple[Case, str]]) -> dict:
    answerable = [(case, actual) for case, actual in results if case.expected != "unknown"]
    unknown = [(case, actual) for case, actual in results if case.expected == "unknown"]
    correct = sum(is_correct(case.expected, actual) for case, actual in answerable)
    correct_unknown = sum(actual == "unknown" for _, actual in unknown)
    wrongly_declined = sum(actual == "unknown" for _, actual in answerable)
    all_correct = correct + correct_unknown
    return {
        "questions": len(results),
        "accuracy_all": round(all_correct / len(results), 3),
        "top1_accuracy_answerable": round(correct / len(answerable), 3) if answerable else None,
        "answerable": len(answerable),
        "declined_answerable": wrongly_declined,
        "correct_dont_know_rate": round(correct_unknown / len(unknown), 3) if unknown else None,
        "must_not_answer": len(unknown),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="warm passes over all questions")
    parser.add_argument(
        "--output", type=Path, default=HERE / "results.json", help="JSON file to write"
    )
    arguments = parser.parse_args()
    cases = load_cases()

    started = time.perf_counter()
    from madoguchi.chat import InMemoryUnansweredQuestionStore, answer_question

    imported = time.perf_counter()
    store = InMemoryUnansweredQuestionStore()
    answer_question(cases[0].question, "ja", unanswered_store=store)
    first_answer = time.perf_counter()

    results: list[tuple[Case, str]] = []
    timings: list[float] = []
    for round_number in range(arguments.rounds):
        for case in cases:
            begin = time.perf_counter()
            answer = answer_question(case.question, "ja", unanswered_store=store)
            timings.append(time.perf_counter() - begin)
            if round_number == 0:
                results.append((case, answer_key(answer)))

    report = {
        "splits": {
            split: summarize([r for r in results if r[0].split == split]) for split in SPLITS
        },
        "total": summarize(results),
        "by_category": {
            category: summarize([r for r in results if r[0].category == category])["accuracy_all"]
            for category in sorted({case.category for case in cases})
        },
        "import_seconds": round(imported - started, 3),
        "cold_start_seconds": round(first_answer - started, 3),
        "warm_median_ms": round(statistics.median(timings) * 1000, 2),
        "warm_p95_ms": round(percentile(timings, 0.95) * 1000, 2),
        "warm_max_ms": round(max(timings) * 1000, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'unknown processor'}",
        "failures": [
            {
                "split": case.split,
                "question": case.question,
                "expected": case.expected,
                "actual": actual,
            }
            for case, actual in results
            if not (
                actual == "unknown"
                if case.expected == "unknown"
                else is_correct(case.expected, actual)
            )
        ],
    }
    arguments.output.write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )

    for split in (*SPLITS, "total"):
        summary = report["splits"].get(split) or report["total"]
        print(
            f"{split:8} questions={summary['questions']:3} top1={summary['top1_accuracy_answerable']:.3f} "
            f"dont_know={summary['correct_dont_know_rate']:.3f} all={summary['accuracy_all']:.3f} "
            f"declined_answerable={summary['declined_answerable']}"
        )
    print("by category:", report["by_category"])
    print(
        f"cold start {report['cold_start_seconds']} s (import {report['import_seconds']} s), "
        f"warm median {report['warm_median_ms']} ms, p95 {report['warm_p95_ms']} ms, "
        f"peak RSS {report['peak_rss_mb']} MB"
    )
    for failure in report["failures"]:
        print(
            f"  FAIL [{failure['split']}] {failure['question']}: expected {failure['expected']}, got {failure['actual']}"
        )


if __name__ == "__main__":
    main()
