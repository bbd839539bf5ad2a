"""The bad-input corpus: every kind gets its documented one-sentence error, end to end."""

import pytest

from corpus import make_corpus
from images import astronaut, tshirt
from pipelines import TryOnPipeline
from tryon.errors import TryOnError


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    person, garment = root / "good_person.png", root / "good_garment.png"
    astronaut().save(person)
    tshirt().save(garment)
    return make_corpus(root / "bad", person, garment)


def test_corpus_is_large_enough(corpus):
    assert len({c.kind for c in corpus}) >= 15


def test_every_bad_input_gets_its_error(corpus):
    pipe = TryOnPipeline.from_pretrained()
    for case in corpus:
        with pytest.raises(case.error, match=f"(?i){case.match}") as info:
            pipe(person=case.person, garment=case.garment)
        msg = str(info.value)
        assert isinstance(info.value, TryOnError), case.kind
        assert "\n" not in msg and msg.endswith("."), f"{case.kind}: {msg!r}"
        assert "Traceback" not in msg and "Errno" not in msg, f"{case.kind}: {msg!r}"
