"""CycleGAN: unpaired translation horse ↔ zebra (Zhu et al. 2017; seed deck 001).

Two domains X (horses) and Y (zebras), no pairs. Two generators
G: X → Y and F: Y → X, two discriminators D_Y (real zebra?) and D_X (real horse?).

    L_GAN(G, D_Y)  = E_y[(D_Y(y) − 1)²] + E_x[D_Y(G(x))²]        least squares (LSGAN, Mao et al. 2017)
    L_cyc(G, F)    = E_x[‖F(G(x)) − x‖₁] + E_y[‖G(F(y)) − y‖₁]    go there and back
    L_identity     = E_y[‖G(y) − y‖₁] + E_x[‖F(x) − x‖₁]         leave the target domain alone
    L = L_GAN(G, D_Y) + L_GAN(F, D_X) + λ L_cyc + 0.5 λ L_identity,   λ = 10

As in the official repo: ResNet generators with instance norm, 70×70-style
PatchGAN discriminators (here shrunk for 28×28), the discriminator loss halved,
a history pool of 50 generated images, Adam(2e-4, β1 = 0.5), and the learning
rate held for the first half of training then decayed linearly to 0.
D_Y minimises ½[(D_Y(y) − 1)² + D_Y(G(x))²] and G minimises (D_Y(G(x)) − 1)²:
the squared error replaces the decks' log loss because it grows with how far
D's score of a fake is from "real", while the log loss of a sigmoid saturates
and its gradient vanishes (Mao et al. 2017); Zhu et al. found it more stable.
Networks (this file's first half) are kept apart from the model (second half).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, device, device_description, grid, init_normal, seeded, to_model, to_unit
from .family import Option
from .progress import Cadence, Record

FAMILY = "cyclegan"
DIRECTIONS = ("horse2zebra", "zebra2horse")
SAMPLE_OPTIONS: tuple[Option, ...] = ()
EVAL_OPTIONS: tuple[Option, ...] = ()
CARD_EVAL: dict = {}


# ===========================================================================
# Networks
# ===========================================================================
class ResidualBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, affine=True), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, affine=True),
        )

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """c7s1-ngf, d2ngf (14×14), d4ngf (7×7), n residual blocks, u2ngf, ungf, c7s1-1 + tanh."""

    def __init__(self, ngf: int = 32, n_blocks: int = 6):
        super().__init__()
        norm = lambda c: nn.InstanceNorm2d(c, affine=True)  # noqa: E731
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(1, ngf, 7), norm(ngf), nn.ReLU(True),
                  nn.Conv2d(ngf, ngf * 2, 3, 2, 1), norm(ngf * 2), nn.ReLU(True),
                  nn.Conv2d(ngf * 2, ngf * 4, 3, 2, 1), norm(ngf * 4), nn.ReLU(True)]
        layers += [ResidualBlock(ngf * 4) for _ in range(n_blocks)]
        layers += [nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1), norm(ngf * 2), nn.ReLU(True),
                   nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1), norm(ngf), nn.ReLU(True),
                   nn.ReflectionPad2d(3), nn.Conv2d(ngf, 1, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """C64 (no norm) → C128 → C256 (stride 1) → 1: one real/fake score per overlapping patch."""

    def __init__(self, ndf: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),                                       # 14
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.InstanceNorm2d(ndf * 2, affine=True), nn.LeakyReLU(0.2, True),  # 7
            nn.Conv2d(ndf * 2, ndf * 4, 4, 1, 1), nn.InstanceNorm2d(ndf * 4, affine=True), nn.LeakyReLU(0.2, True),  # 6
            nn.Conv2d(ndf * 4, 1, 4, 1, 1),                                                             # 5×5 patches
        )

    def forward(self, x):
        return self.net(x)


class ImagePool:
    """History of generated images (Shrivastava et al.): D sees old fakes half the time."""

    def __init__(self, size: int, g: torch.Generator):
        self.size, self.g, self.images = size, g, []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        out = []
        for img in images.detach():
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif float(torch.rand(1, generator=self.g)) < 0.5:
                i = int(torch.randint(self.size, (1,), generator=self.g))
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.stack(out)


# ===========================================================================
# The model: losses and training
# ===========================================================================
@dataclass
class Config:
    ngf: int = 32
    ndf: int = 32
    n_blocks: int = 4
    steps: int = 6000
    batch_size: int = 16
    lr: float = 2e-4
    beta1: float = 0.5
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5       # × lambda_cycle, as in the official repo
    pool_size: int = 50
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0

    def validate(self) -> "Config":
        if not (4 <= self.ngf <= 128 and 4 <= self.ndf <= 128 and 0 <= self.n_blocks <= 12):
            raise ValueError("ngf, ndf must be in 4..128 and n_blocks in 0..12")
        if not (1 <= self.steps <= 1_000_000 and 1 <= self.batch_size <= 512):
            raise ValueError("steps must be in 1..1000000 and batch_size in 1..512")
        return self


class CycleGAN(nn.Module):
    """The Model: G: X → Y, F: Y → X, D_X, D_Y; ``cfg``, ``steps`` (optimizer steps done) and,
    once loaded, ``card``."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg, self.steps = cfg, 0
        self.G = ResnetGenerator(cfg.ngf, cfg.n_blocks)   # horse -> zebra
        self.F = ResnetGenerator(cfg.ngf, cfg.n_blocks)   # zebra -> horse
        self.D_X = PatchDiscriminator(cfg.ndf)            # real horse?
        self.D_Y = PatchDiscriminator(cfg.ndf)            # real zebra?

    def networks(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F, "D_X": self.D_X, "D_Y": self.D_Y}


def lsgan(pred: torch.Tensor, real: bool) -> torch.Tensor:
    """(D(·) − 1)² for real, D(·)² for fake."""
    return ((pred - (1.0 if real else 0.0)) ** 2).mean()


def generator_losses(m: CycleGAN, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict, tuple]:
    lam, lam_id = m.cfg.lambda_cycle, m.cfg.lambda_identity * m.cfg.lambda_cycle
    fake_y, fake_x = m.G(x), m.F(y)
    rec_x, rec_y = m.F(fake_y), m.G(fake_x)
    terms = {
        "GAN_G": lsgan(m.D_Y(fake_y), True),              # G fools D_Y
        "GAN_F": lsgan(m.D_X(fake_x), True),              # F fools D_X
        "cycle_X": (rec_x - x).abs().mean() * lam,        # F(G(x)) ≈ x
        "cycle_Y": (rec_y - y).abs().mean() * lam,        # G(F(y)) ≈ y
        "identity_X": (m.F(x) - x).abs().mean() * lam_id,  # F leaves horses alone
        "identity_Y": (m.G(y) - y).abs().mean() * lam_id,  # G leaves zebras alone
    }
    return sum(terms.values()), terms, (fake_x, fake_y)


def discriminator_loss(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """½ [(D(real) − 1)² + D(fake)²]."""
    return 0.5 * (lsgan(D(real), True) + lsgan(D(fake.detach()), False))


def build(cfg: Config) -> CycleGAN:
    """Fresh networks of ``cfg``'s sizes, initialised N(0, 0.02) from ``cfg.seed``."""
    cfg.validate()
    model = CycleGAN(cfg)
    init_normal(model, seeded(cfg.seed))
    return model


LOSS_KEYS = {"GAN_G": "loss_GAN_G", "GAN_F": "loss_GAN_F", "cycle_X": "loss_cycle_X", "cycle_Y": "loss_cycle_Y",
             "identity_X": "loss_identity_X", "identity_Y": "loss_identity_Y"}


def train(cfg: Config, model: CycleGAN | None = None, *, seconds: float = 1.0, every: int = 50,
          preview_every: int = 250):
    """Yields Records at least every ``seconds`` of wall time and every ``every`` steps, with every
    loss term (``loss_GAN_G``, ``loss_GAN_F``, ``loss_cycle_X``, ``loss_cycle_Y``,
    ``loss_identity_X``, ``loss_identity_Y``, weighted as in L; ``loss_D_X``, ``loss_D_Y``; ``loss``:
    the full objective L that G and F minimise). Every record's ``model`` is the live model, so a
    run stopped at any record keeps it; every ``preview_every`` steps and on the last record the
    preview is a ``Preview`` of held-out translations."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    if model is None:
        model = build(cfg)
    model.cfg = cfg
    model.steps = getattr(model, "steps", 0)
    model.to(dev).train()
    horses, zebras = (to_model(d) for d in data.horses_and_zebras("train"))
    th, tz = (d[:4] for d in data.horses_and_zebras("test"))
    opt_g = torch.optim.Adam(list(model.G.parameters()) + list(model.F.parameters()), cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(list(model.D_X.parameters()) + list(model.D_Y.parameters()), cfg.lr, betas=(cfg.beta1, 0.999))
    half = cfg.steps // 2
    decay = lambda s: 1.0 if s < half else max(0.0, 1 - (s - half) / max(1, cfg.steps - half))  # noqa: E731
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_g, opt_d)]
    pool_x, pool_y = ImagePool(cfg.pool_size, g), ImagePool(cfg.pool_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(every, seconds)              # records every ``every`` steps, or ``seconds``
    for step in range(1, cfg.steps + 1):
        # unpaired: an independent random batch from each domain
        x = horses[torch.randint(len(horses), (cfg.batch_size,), generator=g)].to(dev)
        y = zebras[torch.randint(len(zebras), (cfg.batch_size,), generator=g)].to(dev)

        loss_g, terms, (fake_x, fake_y) = generator_losses(model, x, y)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        loss_dx = discriminator_loss(model.D_X, x, pool_x.query(fake_x))
        loss_dy = discriminator_loss(model.D_Y, y, pool_y.query(fake_y))
        opt_d.zero_grad(set_to_none=True)
        (loss_dx + loss_dy).backward()
        opt_d.step()
        for s in scheds:
            s.step()
        model.steps += 1

        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            pv = None
            if step % preview_every == 0 or last:
                pv = preview(model, th, tz)
                model.train()
            losses = {LOSS_KEYS[k]: v.item() for k, v in terms.items()} | {
                "loss_D_X": loss_dx.item(), "loss_D_Y": loss_dy.item(), "loss": loss_g.item()}
            yield Record(model.steps, losses, {}, pv, done=last, model=model)
        if last:
            return


def other(direction: str) -> str:
    """The way back: zebra2horse for horse2zebra and the reverse."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got '{direction}'")
    return DIRECTIONS[1 - DIRECTIONS.index(direction)]


@torch.no_grad()
def translate(model: CycleGAN, images: torch.Tensor, direction: str = "horse2zebra") -> torch.Tensor:
    """Images (N, 28, 28) in [0, 1] -> translated (N, 28, 28) in [0, 1]: G(x) for horse2zebra, F(y)
    for zebra2horse."""
    other(direction)                            # checks the direction
    model.eval()
    net = model.G if direction == "horse2zebra" else model.F
    dev = next(model.parameters()).device       # all four networks live on one device
    images = torch.as_tensor(images, dtype=torch.float32).reshape(-1, 28, 28)
    return to_unit(net(to_model(images).to(dev))).cpu()[:, 0]


def reconstruct(model: CycleGAN, images: torch.Tensor, direction: str = "horse2zebra") -> torch.Tensor:
    """There and back: F(G(x)) for horse2zebra, G(F(y)) for zebra2horse; (N, 28, 28) in [0, 1]."""
    return translate(model, translate(model, images, direction), other(direction))


def identity(model: CycleGAN, images: torch.Tensor, direction: str = "horse2zebra") -> torch.Tensor:
    """The generator of the other direction applied to the source images, which it should leave
    alone: F(x) for horses (horse2zebra), G(y) for zebras (zebra2horse)."""
    return translate(model, images, other(direction))


def cycle_l1(images: torch.Tensor, reconstructed: torch.Tensor) -> float:
    """Mean |reconstructed − images| over every pixel, in [0, 1] pixel units."""
    return float((torch.as_tensor(reconstructed) - torch.as_tensor(images).reshape(-1, 28, 28)).abs().mean())


@dataclass
class Cycle:
    """One image's round trip (each (28, 28) in [0, 1]) and its cycle L1."""
    received: np.ndarray
    translated: np.ndarray
    reconstructed: np.ndarray
    identity: np.ndarray
    cycle_l1: float


def cycle(model: CycleGAN, image, direction: str) -> Cycle:
    """``image`` (28, 28) in [0, 1] through ``direction`` and back, and through the identity."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float32)).reshape(1, 28, 28)
    fake = translate(model, x, direction)
    back = translate(model, fake, other(direction))
    return Cycle(x[0].numpy(), fake[0].numpy(), back[0].numpy(), identity(model, x, direction)[0].numpy(),
                 cycle_l1(x, back))


@dataclass
class Preview:
    """Held-out translations at a step of a run: horses x, G(x), F(G(x)), F(x); zebras y, F(y),
    G(F(y)), G(y) (each (N, 28, 28) in [0, 1])."""
    step: int
    horse: np.ndarray
    horse2zebra: np.ndarray
    horse_reconstructed: np.ndarray
    horse_identity: np.ndarray
    zebra: np.ndarray
    zebra2horse: np.ndarray
    zebra_reconstructed: np.ndarray
    zebra_identity: np.ndarray

    ROWS = ("horse", "horse2zebra", "horse_reconstructed", "zebra", "zebra2horse", "zebra_reconstructed")

    def image(self, n: int = 4, scale: int = 4) -> np.ndarray:
        """Rows: n horses, G(x), F(G(x)), n zebras, F(y), G(F(y)), as one uint8 picture."""
        return grid(np.concatenate([getattr(self, k)[:n] for k in self.ROWS]), nrow=n, pad=0, scale=scale)


def preview(model: CycleGAN, horses: torch.Tensor, zebras: torch.Tensor) -> Preview:
    """real → translated → reconstructed, and the identity, both directions."""
    t = {"horse": horses, "zebra": zebras}
    for src, direction in (("horse", "horse2zebra"), ("zebra", "zebra2horse")):
        t[direction] = translate(model, t[src], direction)
        t[f"{src}_reconstructed"] = translate(model, t[direction], other(direction))
        t[f"{src}_identity"] = identity(model, t[src], direction)
    return Preview(model.steps, **{k: torch.as_tensor(v).numpy() for k, v in t.items()})


def sample(model: CycleGAN, n: int, *, seed: int = 0, **options):
    raise ValueError("CycleGAN translates images, it does not sample them: use "
                     "`python -m genmodels translate CHECKPOINT --direction horse2zebra --input IN.npy --out OUT.npy`")


# ===========================================================================
# Evaluation and checkpoints
# ===========================================================================
def evaluate(model: CycleGAN, *, n: int | None = None, seed: int = 0, **options) -> dict:
    """On the held-out split (its first ``n`` images per domain if given): target-class rate by the
    horse/zebra classifier, cycle L1, FLD of translations vs real target images beside the floor."""
    from .metrics import fld, load_classifier

    clf = load_classifier("horse_zebra")
    horses, zebras = (d[:n] if n else d for d in data.horses_and_zebras("test"))
    h_tr, z_tr = data.horses_and_zebras("train")
    out = {}
    for direction, src, target_label, target_test in (("horse2zebra", horses, 1, zebras), ("zebra2horse", zebras, 0, horses)):
        fake = translate(model, src, direction)
        back = translate(model, fake, other(direction))
        with torch.no_grad():
            pred = clf.eval().cpu()(fake).argmax(1)
        out[f"{direction}_target_rate"] = float((pred == target_label).float().mean())
        out[f"{direction}_cycle_l1"] = cycle_l1(src, back)
        out[f"{direction}_fld"] = fld(target_test, fake, clf)
    out["fld_floor_horse"] = fld(horses, h_tr[:len(horses)], clf)
    out["fld_floor_zebra"] = fld(zebras, z_tr[:len(zebras)], clf)
    out["cycle_l1"] = (out["horse2zebra_cycle_l1"] + out["zebra2horse_cycle_l1"]) / 2
    out["heldout_per_domain"] = len(horses)
    return out


def save(model: CycleGAN, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    card = checkpoints.card(FAMILY, model.cfg, "Animal-MNIST horses (7) and zebras (9), unpaired; held-out split excluded",
                            model.steps, device_description(next(model.parameters()).device), metrics, command, seconds)
    return checkpoints.save(path, model.networks(), card)


def load(path) -> CycleGAN:
    """The model of a checkpoint (tensors under ``G.``, ``F.``, ``D_X.``, ``D_Y.``), on the CPU in
    eval mode, with ``cfg``, ``steps`` and ``card``."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    model = CycleGAN(Config(**card["config"]))
    for name, net in model.networks().items():
        net.load_state_dict(checkpoints.unflatten(tensors, name))
    model.steps, model.card = card.get("steps", 0), card
    return model.eval()
