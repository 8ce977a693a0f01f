"""What a worker hands over holds no file text: facts keep positions, not the file."""

from __future__ import annotations

import pickle
from pathlib import Path

from pcocheck.config import RunConfig
from pcocheck.inputs.discover import discover
from pcocheck.parallel import map_shard
from pcocheck.parallel.detach import KnownPositions
from pcocheck.parallel.shards import plan_shards
from pcocheck.rules import PcoRules, RulesState
from pcocheck.runner import Run, build_checkers
from tests.parallel.corpus import write_corpus


def test_the_facts_of_a_bundle_travel_without_its_text(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 6)
    config = RunConfig(paths=(str(corpus),), jobs=2)
    run = Run(config, build_checkers(config))
    inputs = discover([str(corpus)])[0]
    run.prescan(inputs)
    (shard,) = [s for s in plan_shards(inputs, 2) if s.item.display.endswith("d-proms.json")]
    text = (corpus / "d-proms.json").read_text("utf-8")
    assert "GAD-7 15" in text  # each PROM score's narrative

    result = map_shard(run, shard)
    (state,) = [s for s in result.states if isinstance(s, RulesState)]
    assert len(state.prom_scores) == 12
    for score in state.prom_scores:
        source = score.value_place.anchor.source
        assert isinstance(source, KnownPositions) and source.text == ""
        line, _ = source.position(score.value_place.anchor.base_path + score.value_place.path)
        assert line is not None and line > 1
    assert b"GAD-7 15" not in pickle.dumps(result)
    rules = next(c for c in run.checkers if isinstance(c, PcoRules))
    assert not rules.prom_scores  # handed over, not kept by the worker too
