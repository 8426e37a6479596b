"""The command-line benchmark's workload: deterministic two-sentence posts that name assets."""

import re

import orjson
from bench.cli import two_sentence_posts

from tickerpulse.enrich.tagger import Tagger
from tickerpulse.universe import load_universe


def test_the_workload_is_the_same_every_time_and_every_post_names_an_asset() -> None:
    data = two_sentence_posts(200)
    assert data == two_sentence_posts(200) != two_sentence_posts(200, seed=12)
    posts = [orjson.loads(line) for line in data.splitlines()]
    assert [p["id"] for p in posts] == list(range(200))
    tagger = Tagger(load_universe())
    tagged = [tagger.mentions_in(p["text"]) for p in posts]
    assert sum(len(found) >= 1 for found in tagged) >= 190  # a few names need context
    assert all(re.search(r"[.!?] \S", p["text"]) for p in posts)  # a second sentence
