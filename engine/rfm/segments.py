"""Segment names: the 8-segment scheme (重要价值客户 …) and the 11-segment scheme (Champions …), as pinned."""

from __future__ import annotations

from typing import Literal

NO_PURCHASE = "no purchase"
"""Members with no order in the analysed window: not scored, a segment of their own for journeys."""

# (R high, F high, M high) → name; "high" means a score at or above that dimension's mean.
SEGMENTS8: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "重要价值客户",
    (True, False, True): "重要发展客户",
    (False, True, True): "重要保持客户",
    (False, False, True): "重要挽留客户",
    (True, True, False): "一般价值客户",
    (True, False, False): "一般发展客户",
    (False, True, False): "一般保持客户",
    (False, False, False): "一般挽留客户",
}
SEGMENT8_NAMES: tuple[str, ...] = tuple(SEGMENTS8.values())

_CODES11: dict[str, str] = {
    "Champions": "555 554 545 544 455 445 454",
    "Loyal": "543 444 435 355 354 345 344 335",
    "Potential Loyalist": "553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 "
    "341 333 323",
    "Recent": "512 511 422 421 412 411 311",
    "Promising": "525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313",
    "Needs Attention": "535 534 443 434 343 334 325 324",
    "About to Sleep": "331 321 312 221 213",
    "At Risk": "255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124",
    "Can't Lose Them": "155 154 144 214 215 115 114 113",
    "Hibernating": "332 322 231 241 251 233 232 223 222 132 123 122 212 211",
    "Lost": "111 112 121 131 141 151",
}
SEGMENT11_NAMES: tuple[str, ...] = tuple(_CODES11)
SEGMENTS11: dict[str, str] = {code: name for name, codes in _CODES11.items() for code in codes.split()}

Scheme = Literal["8", "11"]


def segment8(r: int, f: int, m: int, means: tuple[float, float, float]) -> str:
    """The 8-segment name of scores (r, f, m) given the means of the scored members."""
    return SEGMENTS8[(r >= means[0], f >= means[1], m >= means[2])]


def segment11(r: int, f: int, m: int) -> str:
    """The 11-segment name of the score code, e.g. 5-5-4 → Champions."""
    return SEGMENTS11[f"{r}{f}{m}"]


def segment_names(scheme: Scheme) -> tuple[str, ...]:
    """Every name a segment condition may use in this scheme, "no purchase" included."""
    return (*(SEGMENT8_NAMES if scheme == "8" else SEGMENT11_NAMES), NO_PURCHASE)


def unknown_segments(names: list[str], scheme: Scheme) -> list[str]:
    """A sentence for each of `names` that is not a segment of `scheme` (the segment conditions' check)."""
    known = segment_names(scheme)
    return [
        f"'{name}' is not a segment of the {scheme}-segment scheme; use one of {', '.join(known)}"
        for name in names
        if name not in known
    ]
