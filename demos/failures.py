"""The "Failures worth seeing" accordion at the end of each tab: one click reproduces a failure.

Widgets only; every picture and number comes from :mod:`genmodels.failures`. A tab adds its
gallery with one line at the end of its ``build()``: ``failures.gallery("ddpm")``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import gradio as gr

from genmodels import failures

from .common import HEAVY, check_seed, seed_input

LIGHT = {"concurrency_id": "failures_light", "concurrency_limit": 4}   # under a second: their own queue


@dataclass
class Card:
    key: str                      # elem_id / api_name suffix
    title: str
    fn: Callable[[int], failures.Failure]
    heavy: bool = False           # over a second: the shared HEAVY queue
    seeded: bool = True           # False: a cached run, no seed to choose


def _ddpm_model():
    from .ddpm import load_model   # the tab's cached checkpoint
    return load_model()


def _vae_models():
    from .vae import load_model    # the tab's cached checkpoints
    return load_model("ae2d-mnist"), load_model("vae2d-mnist")


def _cyclegan_model():
    from .cyclegan import pretrained   # the tab's cached checkpoint
    return pretrained()


CARDS: dict[str, list[Card]] = {
    "coin": [
        Card("coin-collapse", "Mode collapse: a D that sees one flip at a time",
             lambda seed: failures.coin_collapse(seed=seed), heavy=True),
        Card("coin-saturating", "The saturating G loss log(1 − D(G(z))) stalls (a cached run, seed 0)",
             lambda seed: failures.saturating_stall(failures.load_saturating_run()), seeded=False),
    ],
    "dcgan": [
        Card("dcgan-checkerboard", "Checkerboard artefacts from transposed convolutions",
             lambda seed: failures.checkerboard(seed=seed)),
    ],
    "ddpm": [
        Card("ddpm-t50", "The seed notebook's T = 50 schedule never reaches noise",
             lambda seed: failures.short_schedule(seed=seed)),
        Card("ddpm-leading", "DDIM at 1-2 steps with leading timestep spacing",
             lambda seed: failures.ddim_leading(_ddpm_model(), seed=seed), heavy=True),
    ],
    "vae": [
        Card("vae-holes", "Holes in a plain autoencoder's latent space",
             lambda seed: failures.latent_holes(*_vae_models(), seed=seed), heavy=True),
        Card("vae-collapse", "Posterior collapse with a large β (a cached run, seed 0)",
             lambda seed: failures.posterior_collapse(failures.load_collapse_run()), seeded=False),
    ],
    "cyclegan": [
        Card("cyclegan-hidden", "Does CycleGAN hide x in G(x)? Chu et al.'s test",
             lambda seed: failures.hidden_information(_cyclegan_model(), seed=seed), heavy=True),
    ],
}


def show(card: Card, seed) -> tuple:
    """A card's click: its picture and explanation (bad seeds are a gr.Error)."""
    try:
        f = card.fn(check_seed(seed))
    except ValueError as e:
        raise gr.Error(str(e)) from None
    return f.picture, f.text


def gallery(tab_id: str) -> None:
    """The accordion of failure cards for ``tab_id`` (nothing if the tab has none yet)."""
    cards = CARDS.get(tab_id, [])
    if not cards:
        return
    with gr.Accordion("Failures worth seeing", open=False, elem_id=f"fail-{tab_id}"):
        gr.Markdown("Each card reproduces a failure the decks warn about, live from a seed.")
        for card in cards:
            with gr.Group(elem_id=f"fail-card-{card.key}"):
                gr.Markdown(f"**{card.title}**")
                with gr.Row():
                    seed = seed_input("Seed", min_width=120) if card.seeded else gr.State(0)
                    button = gr.Button("Show it", elem_id=f"fail-btn-{card.key}", min_width=120)
                image = gr.Image(label=card.title, interactive=False, elem_id=f"fail-img-{card.key}",
                                 show_label=False)
                text = gr.Markdown(elem_id=f"fail-text-{card.key}")
            button.click(lambda s, c=card: show(c, s), [seed], [image, text],
                         api_name=f"failure_{card.key.replace('-', '_')}", **(HEAVY if card.heavy else LIGHT))
