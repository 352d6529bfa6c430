#!/usr/bin/env bash
# Mutation testing of the math modules (issue 21): how many deliberate small bugs the fast tests catch.
#
#   bash scripts/mutation.sh vae            # genmodels/vae.py against its fast tests
#   bash scripts/mutation.sh ddpm cyclegan  # several modules, one after the other
#   BEFORE=1 bash scripts/mutation.sh vae   # the same, without tests/test_formulas.py (the old suite)
#
# Modules: vae ddpm cyclegan dcgan coin_gan cgan pixelcnn metrics diffusion_view toy2d.histogram
# toy2d.kde toy2d.gmm toy2d.autoregressive toy2d.flow toy2d.__init__ toy2d.metrics. Only the math
# functions listed in scripts/mutmut_config.py (MATH) are mutated. Runs scripts/mutate.py (our own
# AST runner; mutmut 2.5.1's database died mid-run last time) in a copy of the tree under $WORK, so
# the working tree is never mutated, at nice 19, one worker, OMP_NUM_THREADS=1. Not part of CI:
# INPROCESS=1 (the default here; INPROCESS= to turn it off) runs every mutant in one Python process,
# ~1 s of CPU a mutant instead of ~8 (rerun survivors with INPROCESS= to confirm them).
# ~18 s per mutant on a loaded 2-core box without INPROCESS. Results: $WORK/<module>[-before].txt (every mutant + survivors).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${MUTATION_WORK:-/tmp/genmodels-mutation}
[ $# -ge 1 ] || { sed -n 2,13p "$0"; exit 2; }


# The fast tests that exercise each module's math ("old" = the suite before test_formulas.py).
declare -A OLD NEW
OLD[vae]="tests/test_vae.py -k iwae_converges"
NEW[vae]="tests/test_formulas.py tests/test_mutants_vae.py -k reparam|kl_|elbo|iwae|log_normal|loss_defaults"
OLD[ddpm]="tests/test_ddpm.py tests/test_ddpm_solvers.py -k not few_step"
NEW[ddpm]="tests/test_formulas.py tests/test_mutants_ddpm.py -k alpha_bar|add_noise|ddpm_|ddim|dpm_|loss_is|guidance|linear_betas_default|leading_spacing|every_step_is_allowed|ddim_defaults_to_50|dpm_solver_step_onto|guidance_defaults|denoise_every|loss_draws"
OLD[cyclegan]="tests/test_cyclegan.py"
NEW[cyclegan]="tests/test_formulas.py -k cyclegan|lsgan"
OLD[dcgan]="tests/test_dcgan.py"
NEW[dcgan]="tests/test_formulas.py -k dcgan"
OLD[coin_gan]="tests/test_coin_gan.py"
NEW[coin_gan]="tests/test_formulas.py -k coin_gan|saturating"
OLD[cgan]="tests/test_cgan.py"
NEW[cgan]="tests/test_formulas.py -k cgan"
OLD[pixelcnn]="tests/test_pixelcnn.py"
NEW[pixelcnn]="tests/test_formulas.py tests/test_mutants_pixelcnn.py -k pixelcnn|masks|receptive|ordering|nll_of"
OLD[metrics]="tests/test_metrics.py"
NEW[metrics]="tests/test_formulas.py tests/test_mutants.py -k fld|kid|inception"
OLD[diffusion_view]="tests/test_diffusion_view.py"
NEW[diffusion_view]="tests/test_formulas.py tests/test_mutants_diffusion_view.py -k ddpm_step|ddim_eta1_single|alpha_bar|previous_timestep|coefficient"
# the Map of models' likelihoods (genmodels/toy2d/*.py; toy2d.__init__ = Toy2D's standardisation)
OLD[toy2d.histogram]="tests/test_toy2d.py -k histogram"
NEW[toy2d.histogram]="tests/test_mutants_toy2d.py -k histogram"
OLD[toy2d.kde]="tests/test_toy2d.py -k kde"
NEW[toy2d.kde]="tests/test_mutants_toy2d.py -k kde"
OLD[toy2d.gmm]="tests/test_toy2d.py -k gmm_e_and_m"
NEW[toy2d.gmm]="tests/test_toy2d.py tests/test_mutants_toy2d.py -k gmm_e_and_m|gmm_component|gmm_m_step|log_prob_is_the_density"
OLD[toy2d.autoregressive]="tests/test_toy2d.py -k chain_rule"
NEW[toy2d.autoregressive]="tests/test_toy2d.py tests/test_mutants_toy2d.py -k chain_rule|mixture_log_prob|mdn"
OLD[toy2d.flow]="tests/test_toy2d.py -k rq_spline|flow_log_det"
NEW[toy2d.flow]="tests/test_toy2d.py tests/test_mutants_toy2d.py -k rq_spline|flow_log_det|durkan|coupling_moves|flow_log_prob_is"
OLD[toy2d.__init__]="tests/test_toy2d.py -k scaling_the_data"
NEW[toy2d.__init__]="tests/test_mutants_toy2d.py -k toy2d_log_prob|heldout_nll"
OLD[toy2d.metrics]="tests/test_toy2d.py -k energy_distance"
NEW[toy2d.metrics]="tests/test_toy2d.py tests/test_mutants_toy2d.py -k energy_distance|sample_distance_defaults"

for module in "$@"; do
  [ -n "${NEW[$module]:-}" ] || { echo "unknown module: $module" >&2; exit 2; }
  tests=${NEW[$module]}; name=$module
  [ -n "${BEFORE:-}" ] && { tests=${OLD[$module]}; name=$module-before; }
  files=${tests%% -k *}; kflag=""
  [ "$files" != "$tests" ] && kflag="-k '${tests#* -k }'"
  kflag=${kflag//|/ or }
  mkdir -p "$WORK"
  INPROCESS=${INPROCESS-1} OMP_NUM_THREADS=1 MUTATION_WORK=$WORK/runs nice -n 19 python3 "$ROOT/scripts/mutate.py" "$module" "$files $kflag" \
    | tee "$WORK/$name.txt"
done
