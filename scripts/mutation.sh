#!/usr/bin/env bash
# Mutation testing of the math modules (issue 21): how many deliberate small bugs the fast tests catch.
#
#   bash scripts/mutation.sh vae            # genmodels/vae.py against its fast tests
#   bash scripts/mutation.sh ddpm cyclegan  # several modules, one after the other
#   BEFORE=1 bash scripts/mutation.sh vae   # the same, without tests/test_formulas.py (the old suite)
#
# Modules: vae ddpm cyclegan dcgan coin_gan cgan pixelcnn metrics diffusion_view. Only the math
# functions listed in scripts/mutmut_config.py (MATH) are mutated. Runs scripts/mutate.py (our own
# AST runner; mutmut 2.5.1's database died mid-run last time) in a copy of the tree under $WORK, so
# the working tree is never mutated, at nice 19, one worker, OMP_NUM_THREADS=1. Not part of CI:
# ~18 s per mutant on a loaded 2-core box. Results: $WORK/<module>[-before].txt (every mutant + survivors).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${MUTATION_WORK:-/tmp/genmodels-mutation}
[ $# -ge 1 ] || { sed -n 2,13p "$0"; exit 2; }


# The fast tests that exercise each module's math ("old" = the suite before test_formulas.py).
declare -A OLD NEW
OLD[vae]="tests/test_vae.py -k iwae_converges"
NEW[vae]="tests/test_formulas.py -k reparam|kl_|elbo|iwae"
OLD[ddpm]="tests/test_ddpm.py tests/test_ddpm_solvers.py -k not few_step"
NEW[ddpm]="tests/test_formulas.py -k alpha_bar|add_noise|ddpm_|ddim|dpm_|loss_is|guidance"
OLD[cyclegan]="tests/test_cyclegan.py"
NEW[cyclegan]="tests/test_formulas.py -k cyclegan|lsgan"
OLD[dcgan]="tests/test_dcgan.py"
NEW[dcgan]="tests/test_formulas.py -k dcgan"
OLD[coin_gan]="tests/test_coin_gan.py"
NEW[coin_gan]="tests/test_formulas.py -k coin_gan|saturating"
OLD[cgan]="tests/test_cgan.py"
NEW[cgan]="tests/test_formulas.py -k cgan"
OLD[pixelcnn]="tests/test_pixelcnn.py"
NEW[pixelcnn]="tests/test_formulas.py -k pixelcnn|masks|receptive"
OLD[metrics]="tests/test_metrics.py"
NEW[metrics]="tests/test_formulas.py tests/test_mutants.py -k fld|kid|inception"
OLD[diffusion_view]="tests/test_diffusion_view.py"
NEW[diffusion_view]="tests/test_formulas.py -k ddpm_step|ddim_eta1_single|alpha_bar"

for module in "$@"; do
  [ -n "${NEW[$module]:-}" ] || { echo "unknown module: $module" >&2; exit 2; }
  tests=${NEW[$module]}; name=$module
  [ -n "${BEFORE:-}" ] && { tests=${OLD[$module]}; name=$module-before; }
  files=${tests%% -k *}; kflag=""
  [ "$files" != "$tests" ] && kflag="-k '${tests#* -k }'"
  kflag=${kflag//|/ or }
  mkdir -p "$WORK"
  OMP_NUM_THREADS=1 MUTATION_WORK=$WORK/runs nice -n 19 python3 "$ROOT/scripts/mutate.py" "$module" "$files $kflag" \
    | tee "$WORK/$name.txt"
done
