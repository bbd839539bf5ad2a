"""The shared Accelerate training loop: smoke, determinism, kill -9 resume, 2 processes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from toy_task import ToyTask
from tryon.training import TrainOptions, train
from tryon.training.checkpoint import latest_checkpoint

SCRIPT = Path(__file__).with_name("toy_task.py")


def _weights(run_dir: Path) -> dict:
    return torch.load(run_dir / "export" / "weights.pt", weights_only=True)


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k][n], b[k][n]) for k in a for n in a[k])


def _opts(run_dir, steps, **kw):
    return TrainOptions(run_dir=run_dir, max_steps=steps, batch_size=4, checkpoint_every=2,
                        sample_every=3, log_every=1, progress=False, **kw)


def test_two_steps_write_everything_a_person_looks_at(tmp_path):
    summary = train(ToyTask(), _opts(tmp_path / "run", 2))
    run = tmp_path / "run"
    assert summary["step"] == 2 and summary["stopped"] == "max_steps"
    assert latest_checkpoint(run).name == "step_00000002"
    assert (run / "samples" / "step_00000002.png").is_file()
    stats = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["step"] for s in stats] == [1, 2] and {"d", "g", "images_per_second"} <= set(stats[0])
    assert list((run / "logs").rglob("events.out.tfevents.*")), "TensorBoard wrote nothing"
    assert json.loads((run / "options.json").read_text())["options"]["max_steps"] == 2
    assert (run / "export" / "weights.pt").is_file()


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
    train(ToyTask(), _opts(tmp_path / "a", 4))
    train(ToyTask(), _opts(tmp_path / "b", 4))
    train(ToyTask(), _opts(tmp_path / "c", 4, seed=1))
    assert _same(_weights(tmp_path / "a"), _weights(tmp_path / "b"))
    assert not _same(_weights(tmp_path / "a"), _weights(tmp_path / "c"))


def test_resume_continues_exactly_where_it_stopped(tmp_path):
    train(ToyTask(), _opts(tmp_path / "full", 10))
    train(ToyTask(), _opts(tmp_path / "part", 5))          # stops at 5 (checkpoint at 5)
    summary = train(ToyTask(), _opts(tmp_path / "part", 10))  # resumes mid-epoch
    assert summary["resumed_from"].endswith("step_00000005")
    assert _same(_weights(tmp_path / "full"), _weights(tmp_path / "part"))


def test_kill_9_mid_run_then_resume_matches_an_uninterrupted_run(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent)}
    train(ToyTask(), _opts(tmp_path / "full", 12))
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(run), "--steps", "12", "--sleep", "0.3"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (latest_checkpoint(run) is None or latest_checkpoint(run).name < "step_00000004"):
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = latest_checkpoint(run)
    assert killed_at is not None and not (run / "export").exists(), "it must die before finishing"
    r = subprocess.run([sys.executable, str(SCRIPT), str(run), "--steps", "12"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert latest_checkpoint(run).name == "step_00000012"
    assert _same(_weights(tmp_path / "full"), _weights(run))


def test_two_processes_hold_identical_replicas(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    r = subprocess.run([str(torchrun), "--nproc_per_node", "2", str(SCRIPT), str(tmp_path / "ddp"), "--steps", "6"],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(SCRIPT.parent)})
    assert r.returncode == 0, r.stderr[-3000:]
    replicas = json.loads((tmp_path / "ddp" / "replicas.json").read_text())
    assert len(replicas["checksums"]) == 2 and replicas["identical"] is True
    opts = json.loads((tmp_path / "ddp" / "options.json").read_text())
    assert opts["processes"] == 2
    # The replicas really trained: six steps end elsewhere than one step does.
    train(ToyTask(), _opts(tmp_path / "init", 1))
    assert not _same(_weights(tmp_path / "ddp"), _weights(tmp_path / "init"))


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="mixed_precision"):
        TrainOptions(run_dir="x", mixed_precision="fp8")
    with pytest.raises(ValueError, match="batch_size"):
        TrainOptions(run_dir="x", batch_size=0)


def test_checkpoint_objects_round_trip_as_safetensors_without_pickle(tmp_path):
    """An EMA (nested state: a scalar and a module's tensors) is saved as safetensors and loaded
    back exactly; a checkpoint without the file leaves the object as it is."""
    from safetensors import safe_open

    from tryon.training.checkpoint import load_objects, save_objects
    from tryon.training.ema import EMA

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    ema = EMA(model, decay=0.9)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.update(model)
    save_objects([ema], tmp_path)
    with safe_open(str(tmp_path / "object_0.safetensors"), framework="pt") as f:
        assert "shadow.0.weight" in f.keys()
    other = EMA(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)), decay=0.5)
    assert load_objects([other], tmp_path) == 1
    assert other.decay == 0.9
    for (k, a), (_, b) in zip(ema.shadow.state_dict().items(), other.shadow.state_dict().items()):
        assert torch.equal(a, b), k
    assert load_objects([other], tmp_path / "nowhere") == 0


def test_ema_warms_up_so_a_fine_tune_leaves_its_initial_weights_behind():
    """The first updates follow the model closely (decay (1 + n) / (10 + n)); the set decay
    holds once warmed up; an average saved before the warmup existed counts as warmed up."""
    from tryon.training.ema import EMA, WARMED_UP

    model = torch.nn.Linear(2, 2)
    ema = EMA(model, decay=0.999)
    with torch.no_grad():
        start = ema.shadow.weight.clone()
        model.weight.add_(1.0)
    ema.update(model)
    assert torch.allclose(ema.shadow.weight, start + 0.9)            # decay 0.1 at the first update
    assert ema.current_decay() < 0.2
    ema.updates = 100_000
    assert ema.current_decay() == 0.999
    old = {k: v for k, v in ema.state_dict().items() if k != "updates"}
    ema.load_state_dict(old)
    assert ema.updates == WARMED_UP
