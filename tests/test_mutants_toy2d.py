"""The Map of models' likelihoods pinned to hand-computed values (issue 21, docs/mutation.md):
histogram, KDE, GMM, the autoregressive mixture, the standardisation's Jacobian and the energy
distance. Each expected number is computed here independently (explicit sums, torch.distributions),
on tiny inputs, so a wrong sign, constant or dropped term in genmodels/toy2d fails, and fast (no
fitting), so scripts/mutation.sh can run them once per mutant."""
import math

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal, Normal

from genmodels import toy2d
from genmodels.toy2d import autoregressive, flow, gmm, histogram, kde, metrics

D = torch.float64


# ---------------------------------------------------------------------------- histogram
def _normal2(x, std):
    """log N(x; 0, std² I) in 2-D, by torch.distributions."""
    return MultivariateNormal(torch.zeros(2, dtype=D), std ** 2 * torch.eye(2, dtype=D)).log_prob(x)


def test_histogram_count_cells_on_a_shifted_box():
    # box [−1, 3] × [0, 1], B = 2: cells 2 wide in x₀, ½ wide in x₁; a point on hi goes in the last cell
    lo, hi = torch.tensor([-1.0, 0.0], dtype=D), torch.tensor([3.0, 1.0], dtype=D)
    x = torch.tensor([[-1.0, 0.0], [0.9, 0.4], [1.1, 0.4], [0.0, 0.6], [3.0, 1.0], [2.9, 0.99]], dtype=D)
    counts, cell = histogram.count(x, lo, hi, 2)
    assert cell.tolist() == [0, 0, 2, 1, 3, 3]                   # cell = i·B + j
    assert counts.tolist() == [[2.0, 1.0], [1.0, 2.0]]
    counts3, cell3 = histogram.count(x, lo, hi, 3)              # B = 3: widths 4/3 and 1/3
    assert cell3.tolist() == [0, 4, 4, 1, 8, 8]
    assert counts3.flatten().tolist() == [1, 1, 0, 0, 2, 0, 0, 0, 2]


def test_histogram_log_density_is_the_smoothed_cell_share_over_its_area_mixed_with_a_broad_gaussian():
    # box [−1, 2] × [0, 1.5], B = 3: cells 1 × ½ (area ½); n = 17, α = ½
    model = histogram.Histogram(bins=3, alpha=0.5)
    model.lo, model.hi = torch.tensor([-1.0, 0.0]), torch.tensor([2.0, 1.5])
    model.counts = torch.tensor([[3.0, 0.0, 1.0], [1.0, 6.0, 0.0], [0.0, 2.0, 4.0]])
    x = torch.tensor([[-1.0, 0.6],        # on the box's lower edge: inside, cell (0, 1)
                      [0.5, 0.2],         # cell (1, 0)
                      [1.9, 1.4],         # cell (2, 2)
                      [2.0, 1.5],         # on the upper corner: inside, the last cell (2, 2)
                      [-0.5, 1.2],        # cell (0, 2)
                      [3.0, 0.5], [0.0, -0.1]])                   # outside: the broad Gaussian only
    c = torch.tensor([0.0, 1.0, 4.0, 4.0, 1.0], dtype=D)
    share = torch.cat([(c + 0.5) / ((17 + 0.5 * 9) * 0.5), torch.zeros(2, dtype=D)])
    eps, s = 1e-3, 2.0
    broad = torch.exp(_normal2(x.double(), s))
    expected = torch.log((1 - eps) * share + eps * broad)
    torch.testing.assert_close(histogram.log_density(model, x).double(), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(histogram._broad_log_density(x.double()), _normal2(x.double(), s))
    y = torch.tensor([[0.3, -0.7]], dtype=D)                         # the broad part's ‖x‖² term at s = 2
    assert float(histogram._broad_log_density(y)) == pytest.approx(-math.log(8 * math.pi) - 0.58 / 8)


def test_histogram_leave_one_out_scores_each_point_without_itself():
    lo, hi = torch.tensor([1.0, -2.0], dtype=D), torch.tensor([4.0, 2.0], dtype=D)
    # B = 3: cells 1 × 4/3; three points in cell 0, one in cell 4, one in cell 8
    x = torch.tensor([[1.2, -1.9], [1.5, -1.0], [1.9, -1.5], [3.5, 1.5], [2.5, 0.1]], dtype=D)
    assert histogram.count(x, lo, hi, 3)[1].tolist() == [0, 0, 0, 8, 4]
    alpha, n, B = 0.25, 5, 3
    denominator = (n - 1 + alpha * B ** 2) * (4 / 3)
    share = torch.tensor([2 + alpha, 2 + alpha, 2 + alpha, 0 + alpha, 0 + alpha], dtype=D) / denominator
    expected = torch.log((1 - 1e-3) * share + 1e-3 * torch.exp(_normal2(x, 2.0))).mean()
    assert histogram.leave_one_out(x, lo, hi, B, alpha) == pytest.approx(float(expected), rel=1e-9)


# ---------------------------------------------------------------------------- KDE
def _kde_by_hand(x, points, h):
    """log (1/m) Σ_j N(x; p_j, h² I), one kernel at a time."""
    dens = sum(torch.exp(MultivariateNormal(p, h ** 2 * torch.eye(2, dtype=D)).log_prob(x)) for p in points)
    return torch.log(dens / len(points))


def test_kde_log_density_is_the_mean_gaussian_kernel():
    g = torch.Generator().manual_seed(0)
    points = torch.randn(7, 2, generator=g, dtype=D)
    x = torch.randn(5, 2, generator=g, dtype=D)
    model = kde.KDE(points.float(), 0.7)
    torch.testing.assert_close(kde.log_density(model, x.float()).double(),
                               _kde_by_hand(x, points.float().double(), 0.7), rtol=1e-5, atol=1e-5)


def test_kde_kernel_sums_cover_every_row_once_across_chunks():
    # more rows than kde.CHUNK (1024): the chunking must neither skip nor repeat a row
    n = kde.CHUNK + 300
    x = torch.zeros(n, 2, dtype=D)
    x[:, 0] = torch.arange(n, dtype=D) / n
    points = torch.tensor([[0.0, 0.0], [1.0, 0.5]], dtype=D)
    h = 0.5
    out = kde._log_kernel_sums(x, points, h)
    assert out.shape == (n,)
    d2 = ((x[:, None, :] - points[None]) ** 2).sum(-1)
    expected = torch.log(torch.exp(-0.5 * d2 / h ** 2).sum(1) / (2 * math.pi * h ** 2))
    torch.testing.assert_close(out, expected)


def test_kde_cross_validation_leaves_each_point_out():
    points = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 1.0]], dtype=D)
    d2 = kde.cv_distances(points)
    assert d2.shape == (4, 4)
    assert torch.isinf(torch.diagonal(d2)).all()
    assert d2[0, 1].item() == pytest.approx(1.0) and d2[1, 2].item() == pytest.approx(5.0)
    assert d2[2, 3].item() == pytest.approx(10.0) and d2[3, 0].item() == pytest.approx(10.0)
    h = 0.8
    loo = [_kde_by_hand(points[i:i + 1], torch.cat([points[:i], points[i + 1:]]), h) for i in range(4)]
    assert kde.cross_validation(d2, h) == pytest.approx(float(torch.cat(loo).mean()), rel=1e-6)


def test_kde_cross_validation_scores_at_most_cv_points_rows():
    n = kde.CV_POINTS + 5
    d2 = kde.cv_distances(torch.zeros(n, 2))
    assert d2.shape == (kde.CV_POINTS, n)
    assert torch.isinf(d2[torch.arange(kde.CV_POINTS), torch.arange(kde.CV_POINTS)]).all()
    assert int(torch.isinf(d2).sum()) == kde.CV_POINTS                # only the pairs i = j are left out


# ---------------------------------------------------------------------------- GMM
def _gmm_by_hand():
    model = gmm.GMM(K=2)
    model.weights = torch.tensor([0.3, 0.7], dtype=D)
    model.means = torch.tensor([[1.0, -1.0], [-0.5, 2.0]], dtype=D)
    model.covariances = torch.tensor([[[2.0, 0.6], [0.6, 0.5]], [[0.3, -0.2], [-0.2, 1.5]]], dtype=D)
    x = torch.tensor([[0.0, 0.0], [1.5, -0.5], [-1.0, 2.5], [3.0, 1.0]], dtype=D)
    comps = torch.stack([math.log(w) + MultivariateNormal(m, S).log_prob(x)
                         for w, m, S in zip([0.3, 0.7], model.means, model.covariances)], 1)
    return model, x, comps


def test_gmm_component_log_densities_and_log_density_with_full_covariances():
    model, x, comps = _gmm_by_hand()
    torch.testing.assert_close(gmm.component_log_densities(model, x), comps)
    torch.testing.assert_close(gmm.log_density(model, x), torch.logsumexp(comps, 1))
    r, ll = gmm.e_step(model, x)
    torch.testing.assert_close(r, torch.softmax(comps, 1))
    assert ll == pytest.approx(float(torch.logsumexp(comps, 1).mean()))


def test_gmm_m_step_with_soft_responsibilities_and_its_default_ridge():
    x = torch.tensor([[0.0, 0.0], [1.0, 2.0], [2.0, -1.0], [3.0, 1.0]], dtype=D)
    r = torch.tensor([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.1, 0.2]], dtype=D)   # rows need not sum to 1
    w, means, cov = gmm.m_step(x, r)                                  # the default ridge 1e-6
    for k in range(2):
        nk = r[:, k].sum()
        mu = (r[:, k, None] * x).sum(0) / nk
        S = sum(r[i, k] * torch.outer(x[i] - mu, x[i] - mu) for i in range(4)) / nk
        assert w[k].item() == pytest.approx(float(nk / 4))
        torch.testing.assert_close(means[k], mu)
        torch.testing.assert_close(cov[k], S + 1e-6 * torch.eye(2, dtype=D), rtol=0, atol=1e-12)
    # a component with little mass (n_k < 1) keeps its own n_k (the clamp only guards 0)
    r2 = torch.tensor([[0.1, 0.9], [0.2, 0.8], [0.0, 1.0], [0.1, 0.9]], dtype=D)
    w2, means2, _ = gmm.m_step(x, r2, reg=0)
    assert w2[0].item() == pytest.approx(0.4 / 4)
    torch.testing.assert_close(means2[0], (r2[:, 0, None] * x).sum(0) / 0.4)


# ---------------------------------------------------------------------------- autoregressive
def test_mixture_log_prob_is_a_gaussian_mixture():
    x = torch.tensor([-1.0, 0.2, 2.5])
    logits = torch.tensor([0.0, 1.0, -0.5])
    m = torch.tensor([-1.0, 0.5, 2.0])
    log_s = torch.tensor([0.0, -1.0, 0.5])
    pi = torch.softmax(logits, 0)
    expected = torch.log(sum(pi[k] * Normal(m[k], log_s[k].exp()).log_prob(x).exp() for k in range(3)))
    torch.testing.assert_close(autoregressive.mixture_log_prob(x, logits, m, log_s), expected)


def test_mdn_log_stds_are_clamped_to_minus_7_and_3():
    K = 4                                             # (logits, means, log stds) = 3K outputs, split in three
    model = autoregressive.MDN(K=K, hidden=4, seed=0)
    with torch.no_grad():
        for p in model.net.parameters():
            p.zero_()
        model.net[-1].bias.copy_(torch.tensor([0.0] * 8 + [9.0, -9.0, 0.0, 0.5]))  # log s → (3, −7, 0, ½)
        model.log_s1.copy_(torch.tensor([5.0, -8.0, 0.0, 1.0]))                     # → (3, −7, 0, 1)
        model.m1.copy_(torch.tensor([0.0, 0.3, -1.0, 1.0]))
    logits, m, log_s = model.conditional(torch.zeros(3))
    assert log_s.tolist() == [[3.0, -7.0, 0.0, 0.5]] * 3 and m.shape == logits.shape == (3, K)
    # x₁ = 0.3 and x₂ = 0 sit on the narrow (s = e⁻⁷) components, which then dominate the mixtures
    x = torch.tensor([[0.3, 0.0], [-0.2, 0.0]])
    p1 = autoregressive.mixture_log_prob(x[:, 0], model.logits1, model.m1, torch.tensor([3.0, -7.0, 0.0, 1.0]))
    p2 = autoregressive.mixture_log_prob(x[:, 1], torch.zeros(K), torch.zeros(K), torch.tensor([3.0, -7.0, 0.0, 0.5]))
    torch.testing.assert_close(model.log_prob(x), p1 + p2)
    assert float(p1[0]) == pytest.approx(math.log(0.25) + 7 - 0.5 * math.log(2 * math.pi), abs=1e-3)


# ---------------------------------------------------------------------------- the standardisation's Jacobian
def test_toy2d_log_prob_is_the_density_in_the_data_coordinates():
    """z = (x − m)/σ with z ~ N(μ, Σ) means x ~ N(m + σμ, diag(σ) Σ diag(σ)): the Jacobian −Σ log σ_i."""
    est, _, _ = _gmm_by_hand()
    mean, std = torch.tensor([1.0, -2.0], dtype=D), torch.tensor([2.0, 5.0], dtype=D)
    model = toy2d.Toy2D(toy2d.Config(model="gmm"), est, mean, std)
    assert model.log_jacobian() == pytest.approx(math.log(10.0))
    x = np.array([[1.0, -2.0], [3.0, 1.0], [-2.0, 8.0], [6.0, -4.0]])
    S = torch.diag(std)
    dens = sum(w * MultivariateNormal(mean + std * mu, S @ C @ S).log_prob(torch.tensor(x)).exp()
               for w, mu, C in zip([0.3, 0.7], est.means, est.covariances))
    torch.testing.assert_close(model.log_prob(x), torch.log(dens), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model.standardise(x), ((torch.tensor(x) - mean) / std).float())
    torch.testing.assert_close(model.unstandardise(model.standardise(x)), torch.tensor(x).float())
    assert toy2d.heldout_nll(model, x) == pytest.approx(float(-torch.log(dens).mean()), rel=1e-5)


# ---------------------------------------------------------------------------- the energy distance
def _energy_by_hand(y, x):
    """2 E|X − Y| − E|X − X'| − E|Y − Y'| (distinct pairs), in units of the held-out x's std (ddof 1)."""
    s = x.std(0, ddof=1)
    x, y = x / s, y / s
    d = lambda a, b: np.linalg.norm(a - b)
    xy = np.mean([d(a, b) for a in x for b in y])
    xx = np.mean([d(x[i], x[j]) for i in range(len(x)) for j in range(len(x)) if i != j])
    yy = np.mean([d(y[i], y[j]) for i in range(len(y)) for j in range(len(y)) if i != j])
    return 2 * xy - xx - yy


def test_energy_distance_and_the_seeded_subsample():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0], [2.0, 2.0], [1.0, -1.0]])
    y = np.array([[0.5, 0.5], [3.0, 1.0], [-1.0, 2.0]])
    expected = _energy_by_hand(y, x)
    assert metrics.energy_distance(y, x) == pytest.approx(expected, rel=1e-9)
    assert metrics.sample_distance(y, x, n=None) == pytest.approx(expected, rel=1e-9)
    # n = 3 keeps all of y (3 points, no draw) and a seeded 3 of the 5 x; n = 5 keeps both whole
    x3 = x[np.random.default_rng(4).permutation(5)[:3]]
    assert metrics.sample_distance(y, x, n=3, seed=4) == pytest.approx(_energy_by_hand(y, x3), rel=1e-9)
    assert metrics.sample_distance(y, x, n=5, seed=4) == pytest.approx(expected, rel=1e-9)
    # n = 2 subsamples both: y is drawn first, then x, from the one generator
    rng = np.random.default_rng(0)
    y2 = y[rng.permutation(3)[:2]]
    x2 = x[rng.permutation(5)[:2]]
    assert metrics.sample_distance(y, x, n=2, seed=0) == pytest.approx(_energy_by_hand(y2, x2), rel=1e-9)
    assert metrics.nll(np.log([0.5, 0.125])) == pytest.approx((math.log(2) + math.log(8)) / 2)


def test_heldout_nll_is_none_without_a_normalised_density():
    x = np.array([[0.0, 1.0], [1.0, 0.0]])
    for name in ("gan", "ebm"):                        # implicit, unnormalised: no NLL to report
        assert toy2d.heldout_nll(toy2d.build(toy2d.Config(model=name)), x) is None, name
    unfitted = toy2d.Toy2D(toy2d.Config(model="gmm"), None, torch.zeros(2), torch.ones(2))
    assert toy2d.heldout_nll(unfitted, x) is None


def test_sample_distance_defaults_to_a_seed_0_subsample_of_2000():
    """The table's sample distance (sample_distance(samples, held_out)) compares 2000 of each set,
    drawn with seed 0: samples first, then the held-out points."""
    g = np.random.default_rng(11)
    y, x = g.normal(size=(2001, 2)), g.normal(size=(2003, 2)) + [0.3, 0.0]
    rng = np.random.default_rng(0)
    y2000, x2000 = y[rng.permutation(2001)[:2000]], x[rng.permutation(2003)[:2000]]
    want = metrics.energy_distance(y2000, x2000)
    assert metrics.sample_distance(y, x) == pytest.approx(want, rel=1e-12)
    assert metrics.sample_distance(y, x) != pytest.approx(metrics.energy_distance(y, x), rel=1e-9)


def test_kde_cross_validation_keeps_at_most_ten_million_distances():
    n = 6001                                          # 10⁷ // 6001 = 1666 scored rows (fewer than CV_POINTS)
    points = torch.zeros(n, 2)
    points[:, 0] = torch.arange(n) / n
    d2 = kde.cv_distances(points)
    assert d2.shape == (1666, n)
    assert d2[5, 7].item() == pytest.approx((2 / n) ** 2, rel=1e-4)


# ---------------------------------------------------------------------------- the flow's spline
def _rq_by_hand(x, wl, hl, dl, B):
    """Durkan et al. (2019) eq. 4 and its derivative, one point, plain floats: bins of widths
    w_k = m + (1 − mK) softmax(wl)_k on [−B, B] (heights likewise), slopes 1, m + softplus(dl), 1."""
    K = len(wl)
    soft = lambda v: [math.exp(a) / sum(math.exp(b) for b in v) for a in v]      # noqa: E731
    w = [flow.MIN_WIDTH + (1 - flow.MIN_WIDTH * K) * s for s in soft(wl)]
    h = [flow.MIN_HEIGHT + (1 - flow.MIN_HEIGHT * K) * s for s in soft(hl)]
    cw, ch = [-B], [-B]
    for a, b in zip(w, h):
        cw.append(cw[-1] + 2 * B * a)
        ch.append(ch[-1] + 2 * B * b)
    cw[-1], ch[-1] = B, B
    d = [1.0] + [flow.MIN_DERIVATIVE + math.log1p(math.exp(v)) for v in dl] + [1.0]
    if not -B < x < B:
        return x, 0.0
    k = max(i for i in range(K) if cw[i] <= x)
    wk, hk = cw[k + 1] - cw[k], ch[k + 1] - ch[k]
    s, th = hk / wk, (x - cw[k]) / wk
    den = s + (d[k + 1] + d[k] - 2 * s) * th * (1 - th)
    y = ch[k] + hk * (s * th ** 2 + d[k] * th * (1 - th)) / den
    slope = s ** 2 * (d[k + 1] * th ** 2 + 2 * s * th * (1 - th) + d[k] * (1 - th) ** 2) / den ** 2
    return y, math.log(slope)


def test_rq_spline_values_are_durkans_formula():
    B, wl, hl, dl = 2.0, [0.0, math.log(2), 0.0], [0.0, 0.0, math.log(2)], [0.0, 1.0]
    knot1 = -B + 2 * B * (flow.MIN_WIDTH + (1 - 3 * flow.MIN_WIDTH) * 0.25)     # the first inner knot
    xs = [-2.5, -2.0, -1.9, -1.2, knot1, -0.3, 0.4, 1.2, 1.99, 2.0, 3.0]
    n = len(xs)
    x = torch.tensor(xs, dtype=D)
    rows = lambda v: torch.tensor(v, dtype=D).expand(n, len(v))                     # noqa: E731
    y, logdet = flow.rq_spline(x, rows(wl), rows(hl), rows(dl), B)
    want = [_rq_by_hand(v, wl, hl, dl, B) for v in xs]
    torch.testing.assert_close(y, torch.tensor([a for a, _ in want], dtype=D), rtol=0, atol=1e-12)
    torch.testing.assert_close(logdet, torch.tensor([b for _, b in want], dtype=D), rtol=0, atol=1e-12)
    assert y[4].item() == pytest.approx(-B + 2 * B * (flow.MIN_HEIGHT + (1 - 3 * flow.MIN_HEIGHT) * 0.25))


def test_coupling_moves_one_coordinate_by_the_spline_of_its_network_output():
    layer = flow.Coupling(b=0, bins=4, hidden=8, bound=3.0).double()
    g = torch.Generator().manual_seed(3)
    for p in layer.parameters():
        p.data.normal_(0, 0.5, generator=g)
    x = torch.randn(30, 2, generator=g, dtype=D) * 1.5
    y, logdet = layer(x)
    theta = layer.net(x[:, 1:2])                          # conditioned on the other coordinate (a = 1)
    want, want_ld = flow.rq_spline(x[:, 0], theta[:, :4], theta[:, 4:8], theta[:, 8:], 3.0)
    torch.testing.assert_close(y[:, 0], want)
    torch.testing.assert_close(logdet, want_ld)
    assert torch.equal(y[:, 1], x[:, 1])


def test_flow_log_prob_is_the_standard_normal_of_z_plus_the_log_det():
    model = flow.Flow(layers=2, bins=4, hidden=8, seed=0).double()
    x = torch.randn(25, 2, generator=torch.Generator().manual_seed(4), dtype=D)
    z, logdet = model(x)
    base = MultivariateNormal(torch.zeros(2, dtype=D), torch.eye(2, dtype=D)).log_prob(z)
    torch.testing.assert_close(model.log_prob(x), base + logdet)
