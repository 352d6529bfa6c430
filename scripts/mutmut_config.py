"""mutmut 2 hook for scripts/mutation.sh: mutate only the math (losses, schedulers, samplers,
likelihoods, metrics), not the networks, training loops, I/O or error-message text.

``MATH`` names, per module, the functions and classes whose bodies are mutated; every other line
is SKIPPED (and left out of the score). mutmut imports this file from the directory it runs in;
scripts/mutation.sh copies it there as ``mutmut_config.py``.
"""
import ast
import functools
import os

MATH = {
    "genmodels/vae.py": ["reparameterize", "kl_divergence", "reconstruction", "loss_terms", "loss_fn", "neg_elbo",
                         "reconstruction_at_mean", "_log_normal", "iwae_bound"],
    "genmodels/ddpm.py": ["betas_for", "DDPMScheduler", "spaced_timesteps", "DDIMScheduler", "DPMSolverScheduler",
                          "scheduler", "guided_eps", "denoise", "loss_fn"],
    "genmodels/cyclegan.py": ["lsgan", "generator_losses", "discriminator_loss"],
    "genmodels/dcgan.py": ["d_loss", "g_loss"],
    "genmodels/coin_gan.py": ["d_loss", "g_loss"],
    "genmodels/cgan.py": ["d_loss_from_logits", "g_loss_from_logits"],
    "genmodels/pixelcnn.py": ["MaskedConv2d", "nll_per_image", "nll", "bits_per_dim", "receptive_field", "ordering_before"],
    "genmodels/metrics.py": ["fld", "kid", "inception_score", "class_histogram", "nats_to_bits_per_dim"],
    "genmodels/diffusion_view.py": ["alpha_bar", "previous_timestep", "update"],
    # the Map of models' likelihoods ("Class.method" = one method; scripts/mutate.py only)
    "genmodels/toy2d/histogram.py": ["count", "_broad_log_density", "_mix", "leave_one_out", "log_density"],
    "genmodels/toy2d/kde.py": ["_log_kernel_sums", "cv_distances", "cross_validation", "log_density"],
    "genmodels/toy2d/gmm.py": ["component_log_densities", "log_density", "e_step", "m_step"],
    "genmodels/toy2d/autoregressive.py": ["mixture_log_prob", "MDN.conditional", "MDN.log_prob"],
    "genmodels/toy2d/flow.py": ["rq_spline", "Coupling._spline", "Flow.forward", "Flow.inverse", "Flow.log_prob"],
    "genmodels/toy2d/__init__.py": ["Toy2D.standardise", "Toy2D.unstandardise", "Toy2D.log_jacobian", "Toy2D.log_prob",
                                    "heldout_nll"],
    "genmodels/toy2d/metrics.py": ["nll", "_mean_distance", "energy_distance", "sample_distance"],
}


@functools.lru_cache(maxsize=None)
def _lines(filename: str) -> frozenset | None:
    """1-based line numbers of the bodies of MATH[filename] (docstrings and `raise` lines excluded)."""
    rel = os.path.relpath(os.path.abspath(filename)).replace(os.sep, "/")
    names = MATH.get(rel)
    if names is None:
        return None
    tree = ast.parse(open(filename).read())
    keep = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            keep.update(range(node.lineno, node.end_lineno + 1))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            doc = node.body[0]
            keep.difference_update(range(doc.lineno, doc.end_lineno + 1))
        if isinstance(node, ast.Raise):      # the text of an error message is not math
            keep.difference_update(range(node.lineno, node.end_lineno + 1))
    return frozenset(keep)


def pre_mutation(context):
    lines = _lines(context.filename)
    if lines is not None and context.current_line_index + 1 not in lines:
        context.skip = True
