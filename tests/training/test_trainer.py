"""The trainer on tiny generated data: learns, resumes exactly, exports into the registry, simulates hints."""
import csv
import json

import numpy as np
import pytest
import torch

from training import protocol
from training.data import CropDataset, augment, load_folder
from training.hints import simulate_hints
from training.loop import TrainConfig, Trainer


def _cfg(folder, tmp_path, **kw):
    base = dict(data=str(folder), name="tiny-trained", minutes=0.2, arch="unet",
                arch_kwargs={"base": 8, "depth": 2}, size=64, batch=4, lr=3e-3, perc_weight=0.0,
                adv_weight=0.01, gan_fraction=0.5, run_dir=str(tmp_path / "run"), out_dir=str(tmp_path / "models"),
                val_count=4, val_size=64, working_size=64, threads=1)
    base.update(kw)
    return TrainConfig(**base)


def test_folder_scan_skips_gray_and_broken(colour_folder):
    images, paths, report = load_folder(colour_folder, progress=False)
    assert report.used == 12 and report.gray == 1 and len(report.broken) == 1
    assert all(im.dtype == np.uint8 and im.shape[2] == 3 for im in images)


def test_augment_shapes_and_variety():
    rgb = (np.random.default_rng(1).random((80, 120, 3)) * 255).astype(np.uint8)
    crops = [augment(rgb, 48, np.random.default_rng(i)) for i in range(5)]
    assert all(c.shape == (48, 48, 3) and c.dtype == np.uint8 for c in crops)
    assert len({c.tobytes() for c in crops}) == 5


def test_crop_scale_sets_how_much_of_the_photo_a_crop_shows():
    """A horizontal ramp 0..239: a crop's span of values is the share of the width it covers."""
    ramp = np.repeat(np.repeat(np.arange(240, dtype=np.uint8)[None, :, None], 160, 0), 3, 2)

    def mean_span(scale):
        ds = CropDataset([ramp], 64, scale=scale)
        return np.mean([int(c[0].max()) - int(c[0].min()) for c in (ds[i].numpy() for i in range(20))])

    wide, close = mean_span((0.9, 1.0)), mean_span((0.18, 0.33))
    assert wide > 140 and close < 0.7 * wide


def test_few_steps_reduce_the_loss(colour_folder, tmp_path):
    torch.manual_seed(0)
    t = Trainer(_cfg(colour_folder, tmp_path))
    t.load_data()
    batch = next(iter(t.loader))
    losses = [t.train_step(batch, adversarial=False)["l1"] for _ in range(40)]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])


def test_perceptual_adversarial_and_neutral_terms_run(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path, perc_weight=0.02, neutral_weight=1.0))
    t.load_data()
    out = t.train_step(next(iter(t.loader)), adversarial=True)
    assert {"l1", "perc", "adv", "d", "neutral"} <= set(out) and all(np.isfinite(v) for v in out.values())


def test_resume_continues_at_saved_step_with_same_optimiser(colour_folder, tmp_path):
    cfg = _cfg(colour_folder, tmp_path, minutes=0.05, export=False)
    t1 = Trainer(cfg)
    t1.run()
    saved = torch.load(t1.ckpt_path, weights_only=True)
    assert saved["step"] == t1.step > 0
    t2 = Trainer(_cfg(colour_folder, tmp_path, minutes=0.05, export=False, resume=True))
    assert t2.load_checkpoint()
    assert t2.step == t1.step and t2.images_seen == t1.images_seen
    s1, s2 = t1.opt_g.state_dict(), t2.opt_g.state_dict()
    assert s1["state"].keys() == s2["state"].keys()
    for k in s1["state"]:
        assert torch.equal(s1["state"][k]["exp_avg"], s2["state"][k]["exp_avg"])
        assert s1["state"][k]["step"] == s2["state"][k]["step"]
    for a, b in zip(t1.net.state_dict().values(), t2.net.state_dict().values()):
        assert torch.equal(a, b)
    # Resuming with more budget trains on from the saved step rather than from zero.
    # Budget just above what was already trained (slow machines may overshoot the first budget).
    t3 = Trainer(_cfg(colour_folder, tmp_path, minutes=t1.elapsed / 60 + 0.01, export=False, resume=True))
    t3.run()
    assert t3.step > t1.step


def test_export_registry_engine_round_trip(colour_folder, tmp_path, monkeypatch):
    cfg = _cfg(colour_folder, tmp_path, minutes=0.05)
    result = Trainer(cfg).run()
    card = json.loads((tmp_path / "models" / "tiny-trained.json").read_text())
    assert card["arch"] == "unet" and card["training"]["steps"] == result["steps"]
    assert "psnr" in card["metrics"] and "colourfulness_ratio" in card["metrics"]
    monkeypatch.setenv("RESTORER_USER_MODELS", str(tmp_path / "models"))
    from restorer.core.engine import colorize
    from restorer.core.models import list_models, load_model

    assert "tiny-trained" in [c.name for c in list_models()]
    m = load_model("tiny-trained", device="cpu")
    gray = np.repeat(np.linspace(0, 255, 64 * 80, dtype=np.float32).reshape(64, 80, 1), 3, 2).astype(np.uint8)
    out = colorize(gray, m)
    assert out.shape == gray.shape and out.dtype == np.uint8


def test_hint_simulation_statistics():
    g = torch.Generator().manual_seed(0)
    ab = torch.randn(400, 2, 48, 48) * 30
    hint, mask = simulate_hints(ab, generator=g)
    per_sample = mask.flatten(1).sum(1)
    empty_share = (per_sample == 0).float().mean().item()
    assert 0.4 < empty_share < 0.6  # p_none = 0.5
    # Each patch carries the mean ground-truth ab of its own pixels: check isolated patches.
    checked = 0
    for i in range(ab.shape[0]):
        m = mask[i, 0]
        if m.sum() == 0:
            continue
        ys, xs = torch.nonzero(m, as_tuple=True)
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        if m.sum() == h * w and h == w:  # a single square patch
            assert 1 <= h <= 9
            patch = ab[i, :, ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            assert torch.allclose(hint[i, :, ys[0], xs[0]], patch.mean(dim=(1, 2)), atol=1e-4)
            checked += 1
    assert checked > 20
    # Geometric(1/8) count: mean 8 points among samples that got hints (patch overlaps make pixels fewer).
    with_hints = per_sample[per_sample > 0]
    assert with_hints.numel() > 100 and with_hints.float().mean() > 8 * 4


def test_colour_rebalance_weights_rare_colours_up():
    from training.losses import ColourRebalance, weighted_l1

    # Mostly gray photos with a small saturated red patch: red must weigh more than gray.
    images = []
    for _ in range(4):
        img = np.full((40, 40, 3), 120, np.uint8)
        img[:6, :6] = (220, 20, 20)
        images.append(img)
    rb = ColourRebalance(images, lam=0.5, stride=1)
    assert torch.isclose((rb.prior * rb.table).sum(), torch.tensor(1.0), atol=1e-4)  # E_data[w] = 1
    from restorer.lab import rgb_to_lab_t

    lab = rgb_to_lab_t(torch.from_numpy(images[0]).permute(2, 0, 1)[None].float() / 255)
    w = rb(lab[:, 1:])
    assert w.shape == (1, 1, 40, 40)
    assert w[0, 0, 0, 0] > 3 * w[0, 0, 20, 20]
    softer = ColourRebalance(images, lam=0.5, stride=1, power=0.5)(lab[:, 1:])
    assert 1 < softer[0, 0, 0, 0] / softer[0, 0, 20, 20] < w[0, 0, 0, 0] / w[0, 0, 20, 20]
    # With weights, an error on the rare colour costs more than the same error on gray.
    gt = lab[:, 1:]
    err_red, err_gray = gt.clone(), gt.clone()
    err_red[..., :6, :6] += 10
    err_gray[..., 20:26, 20:26] += 10
    assert weighted_l1(err_red, gt, pixel_weight=w) > weighted_l1(err_gray, gt, pixel_weight=w)


def test_rebalanced_fine_tune_from_an_exported_card(colour_folder, tmp_path):
    first = Trainer(_cfg(colour_folder, tmp_path, minutes=0.03))
    first.run()
    card_path = tmp_path / "models" / "tiny-trained.json"
    cfg = _cfg(colour_folder, tmp_path / "ft", minutes=0.03, base=str(card_path), arch=None, rebalance=0.5,
               chroma_boost=0.0, name="tiny-ft")
    t = Trainer(cfg)
    for a, b in zip(first.eval_net.state_dict().values(), t.net.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-2)  # starts from the (fp16) export
    t.run()
    card = json.loads((tmp_path / "ft" / "models" / "tiny-ft.json").read_text())
    assert card["arch"] == "unet" and card["training"]["base"] == str(card_path)
    assert card["training"]["base_training"]["steps"] == first.step
    assert card["training"]["losses"]["rebalance"]["lambda"] == 0.5
    # The base itself was validated before the first step: every later score can be read against it.
    vals = [r for r in csv.DictReader(open(tmp_path / "ft" / "run" / "log.csv")) if r["stage"] == "val"]
    assert vals[0]["step"] == "0" and len(vals) >= 2 and float(vals[0]["val_psnr"]) > 0


def test_a_fine_tune_that_only_gets_worse_exports_the_base(colour_folder, tmp_path):
    first = Trainer(_cfg(colour_folder, tmp_path, minutes=0.03))
    first.run()
    # A huge learning rate wrecks the first step; the selection keeps the base's validated weights.
    cfg = _cfg(colour_folder, tmp_path / "ft", minutes=0.02, base=str(tmp_path / "models" / "tiny-trained.json"),
               arch=None, lr=50.0, name="tiny-ft", min_colourfulness=0.0, max_steps=2)
    t = Trainer(cfg)
    base_state = {k: v.clone() for k, v in t.eval_net.state_dict().items()}
    result = t.run()
    if result.get("selected_step") == 0:
        for k, v in t.eval_net.state_dict().items():
            assert torch.equal(v, base_state[k]), k
    else:  # the wrecked step happened to validate better: then it must really have scored higher
        vals = [r for r in csv.DictReader(open(tmp_path / "ft" / "run" / "log.csv")) if r["stage"] == "val"]
        assert float(vals[-1]["val_psnr"]) > float(vals[0]["val_psnr"])


def test_stop_file_checkpoints_and_exports_what_was_trained(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path, minutes=10))
    first_step = t.train_step

    def step_then_stop(*args, **kwargs):
        out = first_step(*args, **kwargs)
        t.stop_path.touch()  # what the GUI's Stop button does while the step runs
        return out

    t.train_step = step_then_stop
    result = t.run()
    assert result["stopped"] and result["steps"] == 1 and result["minutes"] < 1
    assert not t.stop_path.exists()  # consumed: a later --resume must not stop at once
    assert torch.load(t.ckpt_path, weights_only=True)["step"] == 1
    card = json.loads((tmp_path / "models" / "tiny-trained.json").read_text())
    assert card["training"]["steps"] == 1 and "psnr" in card["metrics"]
    rows = protocol.read_log(t.run_dir / protocol.LOG_CSV)
    assert rows[-1]["stage"] == protocol.STAGE_VAL  # validated after the stop, so the card's numbers are current
    assert rows[0]["stage"] == protocol.STAGE_BASELINE and float(rows[0]["val_psnr"]) == round(t.gray_psnr, 3)


def test_stop_before_the_first_step_exports_nothing(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path, minutes=10))
    t.stop_path.touch()
    result = t.run()
    assert result["stopped"] and result["steps"] == 0 and "card" not in result
    assert not (tmp_path / "models" / "tiny-trained.json").exists()


def test_selection_exports_the_most_accurate_validation_that_is_colourful_enough(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path, min_colourfulness=0.5))
    t.load_data()
    snapshots = {}
    fake = iter([{"psnr": 30.0, "colourfulness_ratio": 0.4},   # accurate but too gray: never kept
                 {"psnr": 25.0, "colourfulness_ratio": 0.8},   # kept
                 {"psnr": 27.0, "colourfulness_ratio": 0.6},   # better and vivid enough: replaces it
                 {"psnr": 26.0, "colourfulness_ratio": 0.9}])  # less accurate: ignored
    for step in range(4):
        t.step = step
        with torch.no_grad():
            for p in t.eval_net.parameters():
                p.fill_(float(step))  # tell the snapshots apart
        snapshots[step] = {k: v.clone() for k, v in t.eval_net.state_dict().items()}
        t._keep_if_best(next(fake))
    for p in t.eval_net.parameters():
        p.data.zero_()
    metrics = t.load_best()
    assert t.step == 2 and metrics["psnr"] == 27.0
    for k, v in t.eval_net.state_dict().items():
        assert torch.equal(v, snapshots[2][k])


def test_no_selection_without_a_floor(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path))
    t.load_data()
    t._keep_if_best({"psnr": 30.0, "colourfulness_ratio": 1.0})
    assert not t.best_path.exists() and t.load_best() is None


def test_a_fresh_run_forgets_the_selection_of_an_earlier_run_in_its_folder(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path, min_colourfulness=2.0, minutes=0.02))  # a floor never reached
    t.best_path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"ema": {}, "metrics": {"psnr": 99.0}, "step": 7, "images_seen": 0, "elapsed": 0.0}, t.best_path)
    result = t.run()
    assert not t.best_path.exists() and "selected_step" not in result


def test_freeze_encoder_trains_only_the_decoder_and_still_exports_the_trainable_trunk(colour_folder, tmp_path):
    cfg = _cfg(colour_folder, tmp_path, arch="effnet_unet", arch_kwargs={"dec_channels": (16, 16, 16, 8)},
               freeze_encoder=True, adv_weight=0.0)
    t = Trainer(cfg)
    t.load_data()
    before = {k: v.clone() for k, v in t.net.state_dict().items()}
    for _ in range(3):
        t.train_step(next(iter(t.loader)), adversarial=False)
    after = t.net.state_dict()
    enc = [k for k in before if k.startswith("encoder.")]
    assert enc and all(torch.equal(before[k], after[k]) for k in enc)  # weights and BatchNorm statistics
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("ups."))
    assert not any(p.requires_grad for n, p in t.net.named_parameters() if n.startswith("encoder."))
    # The card's backbone still names only ImageNet's frozen stem and blocks 0-4: blocks 5-6, which an earlier
    # stage may have trained, stay in the model file.
    path = t.export({"psnr": 20.0})
    from safetensors.torch import load_file

    from restorer.core.models import load_network, resolve

    card = resolve(path)
    assert card.training["freeze_encoder"] is True
    assert any(k.startswith("encoder._blocks.5.") for k in load_file(str(card.weights_path)))
    net = load_network(card)
    exported = t.eval_net.state_dict()  # the weight average is what is exported
    for k in ("ups.0.body.0.0.weight", "encoder._blocks.5._expand_conv.weight"):
        assert torch.equal(net.state_dict()[k].half(), exported[k].half()), k
    with pytest.raises(ValueError, match="pretrained encoder"):
        Trainer(_cfg(colour_folder, tmp_path, freeze_encoder=True))


def test_encoder_lr_gives_the_trained_trunk_its_own_rate_and_survives_resume(colour_folder, tmp_path):
    kw = dict(arch="effnet_unet", arch_kwargs={"dec_channels": (16, 16, 16, 8)}, adv_weight=0.0, lr=1e-3,
              encoder_lr=1e-4, minutes=0.05, export=False)
    t = Trainer(_cfg(colour_folder, tmp_path, **kw))
    groups = {g["name"]: g for g in t.opt_g.param_groups}
    assert groups["net"]["lr"] == 1e-3 and groups["encoder"]["lr"] == 1e-4
    enc = {id(p) for n, p in t.net.named_parameters() if p.requires_grad and n.startswith("encoder.")}
    assert enc and {id(p) for p in groups["encoder"]["params"]} == enc
    assert not enc & {id(p) for p in groups["net"]["params"]}
    t.run()
    # The command line's rates win on resume, group by group.
    t2 = Trainer(_cfg(colour_folder, tmp_path, **{**kw, "encoder_lr": 3e-5}, resume=True))
    assert t2.load_checkpoint()
    assert {g["name"]: g["lr"] for g in t2.opt_g.param_groups} == {"net": 1e-3, "encoder": 3e-5}


def test_lr_anneal_decays_every_rate_by_trained_minutes_and_resumes_where_it_was(colour_folder, tmp_path):
    kw = dict(arch="effnet_unet", arch_kwargs={"dec_channels": (16, 16, 16, 8)}, adv_weight=0.0, lr=1e-3,
              encoder_lr=1e-4, minutes=0.05, export=False, lr_anneal_minutes=0.1, lr_floor=0.1)
    t = Trainer(_cfg(colour_folder, tmp_path, **kw))
    assert {g["name"]: g["lr"] for g in t.opt_g.param_groups} == {"net": 1e-3, "encoder": 1e-4}
    t.run()  # half of the anneal: the rates are on the cosine's way down, the encoder's in proportion
    rates = {g["name"]: g["lr"] for g in t.opt_g.param_groups}
    assert 1e-4 < rates["net"] < 1e-3 and rates["encoder"] == pytest.approx(rates["net"] / 10)
    t2 = Trainer(_cfg(colour_folder, tmp_path, **{**kw, "minutes": 0.1}, resume=True))
    assert t2.load_checkpoint()
    assert t2.elapsed == pytest.approx(t.elapsed)
    assert t2.opt_g.param_groups[0]["lr"] == pytest.approx(t2.lr_scale() * 1e-3)
    t2.elapsed = 600.0  # past the anneal: the floor
    assert t2.lr_scale() == pytest.approx(0.1)
    t2.elapsed = 0.0
    assert t2.lr_scale() == pytest.approx(1.0)


def test_ab_bins_cover_the_srgb_gamut_and_nothing_far_outside():
    from restorer.lab import rgb_to_lab
    from restorer.nets.blocks import ab_bin_centres

    c = ab_bin_centres()
    assert 200 <= len(c) <= 320  # Zhang et al. keep 313 cells of 10 x 10 (in-gamut for their data)
    rng = np.random.default_rng(0)
    rgb = np.concatenate([rng.random((2000, 3)), np.eye(3), 1 - np.eye(3)]).astype(np.float32)
    ab = rgb_to_lab(rgb.reshape(-1, 1, 3)).reshape(-1, 3)[:, 1:]
    # every displayable colour falls in a kept cell (half-diagonal 7.07)
    nearest = torch.cdist(torch.from_numpy(ab).float(), c).min(1).values
    assert nearest.max() <= 7.1
    # and no kept cell is far from every displayable colour (a few corners need the finer probe grid)
    dense = np.stack(np.meshgrid(*[np.linspace(0, 1, 24)] * 3), -1).reshape(-1, 1, 3).astype(np.float32)
    ab_dense = torch.from_numpy(rgb_to_lab(dense).reshape(-1, 3)[:, 1:]).float()
    assert torch.cdist(c, ab_dense).min(1).values.max() <= 9.0


def test_soft_bin_cross_entropy_is_lowest_for_the_true_colour():
    from restorer.nets.blocks import BinsHead
    from training.losses import soft_bin_ce

    head = BinsHead(8)
    c = head.centres
    gt = torch.zeros(1, 2, 4, 4)
    gt[:, 0], gt[:, 1] = 40.0, 60.0  # an orange
    near = torch.cdist(torch.tensor([[40.0, 60.0]]) / 110.0, c)[0]
    right = (-near * 200).view(1, -1, 1, 1).expand(1, -1, 4, 4)  # mass on the bins around the orange
    wrong = (-torch.cdist(torch.tensor([[-40.0, -30.0]]) / 110.0, c)[0] * 200).view(1, -1, 1, 1).expand(1, -1, 4, 4)
    flat = torch.zeros_like(right)
    ce = [soft_bin_ce(l.contiguous(), gt, c).item() for l in (right, flat, wrong)]
    assert ce[0] < ce[1] < ce[2]


def test_neutral_hinge_prices_only_loud_colour_on_neutral_truth():
    from training.losses import neutral_hinge

    gt = torch.zeros(1, 2, 2, 2)
    gt[:, 0, 0] = 30.0  # top row truly red, bottom row gray
    pred = torch.zeros(1, 2, 2, 2, requires_grad=True)
    with torch.no_grad():
        pred[:, 1] = 25.0  # loud yellow everywhere
        pred[:, 1, 1, 1] = 5.0  # except one quiet gray pixel
    loss = neutral_hinge(pred, gt, loud=12.0)
    loss.backward()
    # Only the loud pixel over gray truth pays: (25 - 12) / 110 over 4 pixels.
    assert loss.item() == pytest.approx(13.0 / 110.0 / 4, rel=1e-4)
    g = pred.grad[0, 1]
    assert g[1, 0] > 0 and g[0, 0] == 0 and g[0, 1] == 0 and g[1, 1] == 0  # descent quietens it alone
    zero = torch.zeros(1, 2, 2, 2, requires_grad=True)
    neutral_hinge(zero, torch.zeros(1, 2, 2, 2)).backward()
    assert torch.isfinite(zero.grad).all()


def test_bins_head_trains_with_cross_entropy_and_anneals_toward_vivid_colour(colour_folder, tmp_path):
    torch.manual_seed(0)
    t = Trainer(_cfg(colour_folder, tmp_path, arch_kwargs={"base": 8, "depth": 2, "head": "bins"},
                     l1_weight=0.0, ce_weight=1.0, adv_weight=0.0))
    t.load_data()
    batch = next(iter(t.loader))
    losses = [t.train_step(batch, adversarial=False)["ce"] for _ in range(40)]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    from training.validation import batch_lab

    net = t.net.eval()
    lab = batch_lab(batch)
    x = torch.cat([(lab[:, :1] - 50) / 50, torch.zeros_like(lab[:, 1:]), torch.zeros_like(lab[:, :1])], 1)
    chroma = {}
    with torch.no_grad():
        for temp in (1.0, 0.3):
            net.head.temperature = temp
            chroma[temp] = net(x).norm(dim=1).mean().item()
    assert chroma[0.3] > chroma[1.0]  # sharper distribution: nearer its mode, further from the gray mean


def test_a_tanh_model_fine_tunes_into_a_bins_model_and_runs_in_the_engine(colour_folder, tmp_path, monkeypatch):
    first = Trainer(_cfg(colour_folder, tmp_path, minutes=0.03))
    first.run()
    cfg = _cfg(colour_folder, tmp_path / "ft", minutes=0.03, base=str(tmp_path / "models" / "tiny-trained.json"),
               arch=None, arch_kwargs={"head": "bins", "temperature": 0.5}, l1_weight=0.0, ce_weight=1.0,
               name="tiny-bins")
    t = Trainer(cfg)
    old, new = first.eval_net.state_dict(), t.net.state_dict()
    kept = [k for k in new if not k.startswith("head.")]
    assert kept and all(torch.allclose(old[k].float(), new[k].float(), atol=1e-2) for k in kept)
    t.run()
    card = json.loads((tmp_path / "ft" / "models" / "tiny-bins.json").read_text())
    assert card["arch_kwargs"] == {"base": 8, "depth": 2, "head": "bins", "temperature": 0.5}
    assert card["training"]["losses"]["bin_ce"] == 1.0
    monkeypatch.setenv("RESTORER_USER_MODELS", str(tmp_path / "ft" / "models"))
    from restorer.core.engine import colorize
    from restorer.core.models import load_model

    m = load_model("tiny-bins", device="cpu")
    assert m.net.head.temperature == 0.5
    gray = np.repeat(np.linspace(0, 255, 64 * 80, dtype=np.float32).reshape(64, 80, 1), 3, 2).astype(np.uint8)
    out = colorize(gray, m)
    assert out.shape == gray.shape and out.dtype == np.uint8


def test_selection_split_is_stable_and_by_name_only():
    from pathlib import Path

    from training.data import in_selection_split

    names = [f"src_{i:05d}.jpg" for i in range(5400)]
    chosen = [n for n in names if in_selection_split(Path("a") / n)]
    assert 120 < len(chosen) < 280  # about 1/27
    # the folder does not matter, and adding photos never moves one in or out
    assert chosen == [n for n in names if in_selection_split(Path("elsewhere/deeper") / n)]
    assert chosen[:10] == [n for n in names[: names.index(chosen[9]) + 1] if in_selection_split(Path(n))]


def test_source_shares_cap_and_scene_floor():
    from pathlib import Path

    import numpy as np

    from training.data import SCENE_SOURCES, balance_weights, source_shares

    counts = {"nette": 3400, "clothing": 900, "utkface": 700, "camvid": 280, "crowd": 30, "mine": 50}
    paths = [Path(f"{src}_{i}.jpg") for src, n in counts.items() for i in range(n)]
    shares = source_shares(paths, cap=0.25, scene_floor=0.3)
    assert abs(sum(shares.values()) - 1) < 1e-9
    assert max(shares.values()) <= 0.25 + 1e-6
    assert sum(v for k, v in shares.items() if k in SCENE_SOURCES) >= 0.3 - 1e-6
    w = balance_weights(paths, cap=0.25, scene_floor=0.3)
    srcs = np.array([p.name.split("_")[0] for p in paths])
    for src, share in shares.items():  # the per-photo weights add up to each source's share
        assert abs(w[srcs == src].sum() - share) < 1e-9


def test_validation_finds_the_smallest_gain_that_reaches_the_colour_floor():
    from training.validation import GAINS, batch_lab, validate

    class Muted(torch.nn.Module):
        """The photos' own chroma at 40 %: accurate in hue, too quiet."""

        in_channels = 1

        def forward(self, x):
            return self.ab * 0.4 / 110.0

    rng = np.random.default_rng(1)
    rgb = torch.from_numpy(rng.integers(0, 255, (4, 3, 32, 32), dtype=np.uint8))
    net = Muted()
    net.ab = batch_lab(rgb)[:, 1:]
    plain, _ = validate(net, rgb, torch.device("cpu"), batch=4)
    assert "gain" not in plain
    m, _ = validate(net, rgb, torch.device("cpu"), batch=4, floor=0.6)
    assert plain["colourfulness_ratio"] < 0.6 <= m["gain_colourfulness_ratio"]
    below = GAINS[GAINS.index(m["gain"]) - 1]
    assert below >= 1.0
    assert m["psnr"] == plain["psnr"] and m["gain_psnr"] > plain["psnr"]  # closer to the truth when less muted

    net.ab = batch_lab(rgb)[:, 1:] * 3.0  # louder than the truth: judged at the gain that brings it down to the floor
    loud, _ = validate(net, rgb, torch.device("cpu"), batch=4, floor=0.6)
    assert GAINS[0] < loud["gain"] < 1.0 and loud["colourfulness_ratio"] > loud["gain_colourfulness_ratio"] >= 0.6
    i = GAINS.index(loud["gain"])
    quieter, _ = validate(_Scaled(net, GAINS[i - 1]), rgb, torch.device("cpu"), batch=4)
    assert quieter["colourfulness_ratio"] < 0.6  # the smallest gain that holds the floor


class _Scaled(torch.nn.Module):
    def __init__(self, net, gain):
        super().__init__()
        self.net, self.gain, self.in_channels = net, gain, net.in_channels

    def forward(self, x):
        return self.net(x) * self.gain


def test_colour_by_gain_exports_the_gain_it_selected_at(colour_folder, tmp_path):
    t = Trainer(_cfg(colour_folder, tmp_path, minutes=0.03, min_colourfulness=0.95, colour_by_gain=True,
                     recipe_changes=("step 0: no PatchGAN",)))
    t.run()
    card = json.loads((tmp_path / "models" / "tiny-trained.json").read_text())
    assert card["training"]["history"] == ["step 0: no PatchGAN"]  # a long run's changes travel with its card
    m = card["metrics"]
    assert "gain_psnr" in m and card["chroma_gain"] == m["gain"]
    assert m["gain"] == 2.0 or m["gain_colourfulness_ratio"] >= 0.95


def test_validation_reports_false_colour_where_the_truth_is_neutral():
    """The trainer judges checkpoints with restorer eval's blotch measures: loud colour painted on gray crops is
    false colour, the crops' own colour is none."""
    from training.validation import batch_lab, validate

    class Constant(torch.nn.Module):
        in_channels = 1

        def forward(self, x):
            return self.ab.expand(x.shape[0], 2, *x.shape[2:])

    gray = torch.full((2, 3, 16, 16), 128, dtype=torch.uint8)
    net = Constant()
    net.ab = torch.tensor([40.0, -30.0]).view(1, 2, 1, 1) / 110.0  # chroma 50: a loud blue-green
    loud, _ = validate(net, gray, torch.device("cpu"), batch=2)
    assert loud["false_colour"] == 1.0
    net.ab = batch_lab(gray)[:1, 1:] / 110.0
    own, _ = validate(net, gray, torch.device("cpu"), batch=2)
    assert own["false_colour"] == 0.0


def test_fresh_lr_trains_the_weights_new_to_the_base_at_their_own_rate(colour_folder, tmp_path):
    """A base given a new branch (global_context): the branch's weights, and only they, learn at ``fresh_lr``;
    the branch starts at zero, so the run starts from the base's own colours."""
    kw = dict(arch="effnet_unet", arch_kwargs={"dec_channels": (16, 16, 16, 8)}, adv_weight=0.0, lr=1e-3,
              minutes=0.03)
    first = Trainer(_cfg(colour_folder, tmp_path, **kw))
    first.run()
    cfg = _cfg(colour_folder, tmp_path / "ft", minutes=0.03, base=str(tmp_path / "models" / "tiny-trained.json"),
               arch=None, arch_kwargs={"global_context": True}, lr=1e-4, fresh_lr=2e-3, adv_weight=0.0,
               name="tiny-global")
    t = Trainer(cfg)
    groups = {g["name"]: g for g in t.opt_g.param_groups}
    assert groups["net"]["lr"] == 1e-4 and groups["fresh"]["lr"] == 2e-3
    branch = {id(p) for n, p in t.net.named_parameters() if n.startswith("global_context.")}
    assert branch and {id(p) for p in groups["fresh"]["params"]} == branch
    assert not branch & {id(p) for p in groups["net"]["params"]}
    x = torch.rand(2, 4, 64, 64)
    with torch.no_grad():
        assert torch.allclose(t.net.eval()(x), first.eval_net.eval()(x), atol=1e-2)  # fp16 export of the base
    t.net.train()
    t.run()
    card = json.loads((tmp_path / "ft" / "models" / "tiny-global.json").read_text())
    assert card["arch_kwargs"]["global_context"] is True and card["training"]["fresh_lr"] == 2e-3


def test_selection_by_source_weights_each_source_by_its_share_of_the_crops(colour_folder, tmp_path):
    """Nine photos of one source and three of another: each source weighs its share, not its count."""
    from restorer.core.metrics import psnr
    from training.data import list_images, source_shares
    from training.validation import validate

    val = tmp_path / "val"
    val.mkdir()
    for i, p in enumerate(sorted(p for p in list_images(colour_folder) if p.name.startswith("p"))):
        (val / f"{'many' if i < 9 else 'few'}_{i:02d}.jpg").write_bytes(p.read_bytes())
    t = Trainer(_cfg(colour_folder, tmp_path, val=str(val), val_count=12, selection_by_source=True))
    t.load_val()
    paths = list_images(val)
    w, src = t.val_weights, np.array([p.name.split("_")[0] for p in paths])
    shares = source_shares(paths)
    assert w.mean() == pytest.approx(1.0)
    assert w[src == "few"].sum() / w[src == "many"].sum() == pytest.approx(shares["few"] / shares["many"])
    metrics, pred = validate(t.eval_net, t.val_rgb, t.device, weights=w)
    per_photo = [psnr(p, g) for p, g in zip(pred.permute(0, 2, 3, 1).numpy(), t.val_rgb.permute(0, 2, 3, 1).numpy())]
    assert metrics["psnr"] == pytest.approx(np.average(per_photo, weights=w))
    assert metrics["psnr"] != pytest.approx(np.mean(per_photo))
