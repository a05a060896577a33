"""Analytics rows for janus.seeds.synthetic: one JSON shape per research topic."""
from __future__ import annotations

import random
from datetime import datetime

from janus.seeds.synthetic.common import Picker, Timeline, between, dumps, weighted


def _hex_colour(rng: random.Random) -> str:
    return f"#{rng.getrandbits(24):06X}"


def _analytics_data(rng: random.Random, topic: str) -> dict:
    if topic == "contrast_ratio":
        pairs = []
        for _ in range(rng.randint(1, 4)):
            ratio = round(rng.uniform(1.2, 21.0), 1)
            pairs.append({"foreground": _hex_colour(rng), "background": _hex_colour(rng),
                          "ratio": ratio, "passes": {"AA_normal": ratio >= 4.5,
                                                     "AA_large": ratio >= 3.0,
                                                     "AAA_normal": ratio >= 7.0}})
        worst = min(p["ratio"] for p in pairs)
        level = "AAA" if worst >= 7 else "AA" if worst >= 4.5 else \
            "AA-large" if worst >= 3 else "fail"
        return {"standard": "WCAG 2.2", "pairs": pairs,
                "summary": {"worst_ratio": worst, "level": level}}
    if topic == "palette_extraction":
        k = rng.randint(3, 8)
        shares = [rng.random() for _ in range(k)]
        total = sum(shares)
        return {"method": "kmeans", "k": k,
                "colours": [{"hex": _hex_colour(rng), "share": round(s / total, 3)}
                            for s in shares]}
    if topic == "alt_text_coverage":
        total = rng.randint(1, 400)
        with_alt = rng.randint(0, total)
        return {"images": total, "with_alt_text": with_alt,
                "coverage": round(with_alt / total, 3)}
    if topic == "processing_latency":
        return {"stage": rng.choice(("decode", "phash", "thumbnail", "exif", "store")),
                "ms": round(rng.lognormvariate(3, 0.8), 2),
                "worker": f"gunicorn-{rng.randint(1, 8)}"}
    if topic == "upload_volume":
        count = rng.randint(0, 5000)
        return {"uploads": count, "bytes": count * rng.randint(50_000, 3_000_000),
                "window": "1d"}
    if topic == "moderation_review":
        return {"decision": rng.choice(("approved", "approved", "approved", "flagged",
                                        "removed")),
                "flags": rng.sample(["nsfw", "violence", "spam", "copyright", "pii"],
                                    rng.randint(0, 2)),
                "reviewer_confidence": round(rng.random(), 2)}
    if topic == "dynamic_range":
        low = rng.randint(0, 40)
        return {"min_luma": low, "max_luma": rng.randint(200, 255),
                "stops": round(rng.uniform(5, 14), 1), "clipped_highlights": rng.random() < 0.2}
    if topic == "colour_vision_simulation":
        return {"simulation": rng.choice(("protanopia", "deuteranopia", "tritanopia",
                                          "achromatopsia")),
                "min_delta_e": round(rng.uniform(0.5, 40), 1),
                "confusable_pairs": rng.randint(0, 6)}
    if topic == "focus_indicator_visibility":
        return {"indicator_px": rng.randint(0, 4), "contrast": round(rng.uniform(1, 12), 1),
                "visible": rng.random() < 0.8}
    return {"cells_detected": rng.randint(0, 800),  # braille_recognition
            "confidence": round(rng.uniform(0.4, 0.99), 2),
            "grade": rng.choice((1, 2))}


TOPICS = weighted([("contrast_ratio", 22), ("palette_extraction", 18),
                   ("processing_latency", 16), ("alt_text_coverage", 10),
                   ("upload_volume", 8), ("moderation_review", 8), ("dynamic_range", 7),
                   ("colour_vision_simulation", 6), ("focus_indicator_visibility", 3),
                   ("braille_recognition", 2)])


def analytics(rng: random.Random, now: datetime, users_: Picker, image_ids: list[int],
              image_owners: list[int], count: int, batch: int):
    """Analytics rows; ~70% about an image (then mostly by its owner)."""
    timeline = Timeline(rng, now, 90, count)
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        topics = rng.choices(TOPICS[0], cum_weights=TOPICS[1], k=k)
        for topic, created in zip(topics, timeline.take(k), strict=True):
            image = user = None
            if image_ids and rng.random() < 0.7:
                i = rng.randrange(len(image_ids))
                image = image_ids[i]
                user = image_owners[i] if rng.random() < 0.85 else users_.pick()
            elif rng.random() < 0.9:
                user = users_.pick()
            updated = created if rng.random() < 0.85 else between(rng, created, now)
            rows.append((topic, dumps(_analytics_data(rng, topic)), image, user, created,
                         updated))
        made += k
        yield rows
