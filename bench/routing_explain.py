"""Why wave slots go where they go in ``bench/routing_sim.py --hard --explain FILE``: every
routed wave's top candidates with their score breakdown and the hidden truth of the
simulated person (JSON lines), and a summary of a file of them:

    python bench/routing_explain.py FILE [FILE ...]

The summary splits wave-1 slots by hidden type (truly competent, middling, weak; declared
level; over-claimer; named only in the headline; slow expert; always passes) and by what
put them there (their track record, competence evidence, meaning, exploration), and lists
the truly competent people a wave passed over."""

import json
import sys
from collections import Counter, defaultdict

from routing_world import COMPETENT

FIELDS = (
    "match",
    "text_match",
    "meaning",
    "competence",
    "competence_evidence",
    "similar_answered",
    "similar_good",
    "p_answer",
    "p_answer_evidence",
    "availability",
    "working_now",
    "starts_in_minutes",
    "presence",
    "pending",
    "requests_24h",
)
SHOWN = 30


def install(sim, ranking) -> None:
    """Log every choice of ``ranking.choose_wave`` (the sim restores the function)."""
    real_choose = ranking.choose_wave

    def choose_and_log(candidates, *, question_id, wave):
        picks = real_choose(candidates, question_id=question_id, wave=wave)
        record(sim, question_id, wave, candidates, picks)
        return picks

    ranking.choose_wave = choose_and_log


def record(sim, question_id, wave, candidates, picks) -> None:
    """One wave's choice: the top candidates, the picks and every truly competent one."""
    info = sim.questions.get(question_id)
    skill = info["skill"] if info else sim.asking_skill
    picked = {c.user_id for c in picks}
    people = []
    for rank, c in enumerate(candidates, start=1):
        person = sim.by_user[c.user_id]
        truth = person.competence.get(skill, 0.0)
        if rank > SHOWN and c.user_id not in picked and truth < COMPETENT:
            continue
        people.append(
            {
                "rank": rank,
                "picked": c.user_id in picked,
                "truth": round(truth, 3),
                "declared": person.declared.get(skill, 0),
                "overclaimed": skill in person.overclaimed,
                "headline": person.headline_skill == skill,
                "slow": person.slow,
                "decliner": person.decliner,
                "responsiveness": round(person.responsiveness, 3),
                "score": c.score,
                "optimistic": c.optimistic,
                "little_evidence": c.little_evidence,
                "exploration": c.exploration,
                **{k: c.breakdown.get(k) for k in FIELDS if k in c.breakdown},
                "reasons": c.breakdown.get("reasons"),
            }
        )
    line = {
        "question": question_id,
        "wave": wave,
        "skill": skill,
        "kind": info["kind"] if info else sim.asking_kind,
        "candidates": len(candidates),
        "people": people,
    }
    sim.explain.write(json.dumps(line) + "\n")


def kind_of(p: dict) -> str:
    if p["truth"] >= COMPETENT:
        return "competent"
    return "middling" if p["truth"] >= 0.45 else "weak"


def why(p: dict) -> str:
    if p.get("exploration"):
        return "exploration"
    if p.get("similar_answered"):
        return "track record"
    if p.get("competence_evidence"):
        return "competence evidence"
    if p["declared"]:
        return f"declared {p['declared']}"
    if (p.get("meaning") or 0) > 0 and (p.get("match") or 0) > (p.get("text_match") or 0):
        return "meaning"
    return "words"


def summarize(lines: list[dict]) -> None:
    wave1 = [line for line in lines if line["wave"] == 1]
    slots = [p for line in wave1 for p in line["people"] if p["picked"]]
    n = len(slots) or 1
    print(f"{len(wave1)} first waves, {len(slots)} slots, {sum(len(l_['people']) and 1 for l_ in wave1)}")
    print(f"truly competent share: {sum(kind_of(p) == 'competent' for p in slots) / n:.3f}")
    table: dict[str, Counter] = defaultdict(Counter)
    for p in slots:
        table[why(p)][kind_of(p)] += 1
        if p["overclaimed"]:
            table["(over-claimer)"][kind_of(p)] += 1
        if p["headline"]:
            table["(headline only)"][kind_of(p)] += 1
        if p["slow"]:
            table["(slow expert)"][kind_of(p)] += 1
        if p["decliner"]:
            table["(always passes)"][kind_of(p)] += 1
        table[f"(rank {min(p['rank'], 4)})"][kind_of(p)] += 1
        table["(working now)" if p.get("working_now") else "(not working now)"][kind_of(p)] += 1
    print(f"{'why':24} {'slots':>6} {'competent':>9} {'middling':>8} {'weak':>5}")
    for key, counts in sorted(table.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(counts.values())
        print(
            f"{key:24} {total:6} {counts['competent'] / total:9.2f} {counts['middling'] / total:8.2f} "
            f"{counts['weak'] / total:5.2f}"
        )
    by_size = Counter(sum(p["picked"] for p in line["people"]) for line in wave1)
    print("wave-1 sizes:", dict(sorted(by_size.items())))
    missed = [
        line for line in wave1 if not any(p["picked"] and kind_of(p) == "competent" for p in line["people"])
    ]
    passed_over = [p for line in missed for p in line["people"] if kind_of(p) == "competent"]
    print(f"first waves without a competent pick: {len(missed)}; competent people ranked there:")
    print("  by why:", dict(Counter(why(p) for p in passed_over)))
    print("  working now:", dict(Counter(bool(p.get("working_now")) for p in passed_over)))
    print(
        "  best rank:",
        dict(
            Counter(
                min((p["rank"] for p in line["people"] if kind_of(p) == "competent"), default=0) // 5 * 5
                for line in missed
            )
        ),
    )


def main() -> None:
    lines = []
    for path in sys.argv[1:]:
        with open(path) as handle:
            lines += [json.loads(row) for row in handle if row.strip()]
    summarize(lines)


if __name__ == "__main__":
    main()
