#!/usr/bin/env bash
# Mutation testing of the math modules (issue 21): how many deliberate small bugs the fast tests catch.
#
#   bash scripts/mutation.sh vae            # genmodels/vae.py against its fast tests
#   bash scripts/mutation.sh ddpm cyclegan  # several modules, one after the other
#   BEFORE=1 bash scripts/mutation.sh vae   # the same, without tests/test_formulas.py (the old suite)
#
# Modules: vae ddpm cyclegan dcgan coin_gan cgan pixelcnn metrics diffusion_view. Only the math
# functions listed in scripts/mutmut_config.py are mutated (the rest is skipped). Runs mutmut 2.5.1
# (a venv with the system's torch, created on first use) in a copy of the tree under $WORK, so the
# working tree is never mutated, at nice 19. Not part of CI: minutes per module on a laptop, more
# on shared cores. Results: $WORK/<module>[-before]/results.txt (summary + every surviving diff).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${MUTMUT_VENV:-$HOME/.cache/genmodels-mutmut}
WORK=${MUTATION_WORK:-/tmp/genmodels-mutation}
[ $# -ge 1 ] || { sed -n 2,13p "$0"; exit 2; }

if [ ! -x "$VENV/bin/mutmut" ]; then
  python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q "mutmut==2.5.1"
fi

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
NEW[metrics]="tests/test_formulas.py -k fld|kid|inception"
OLD[diffusion_view]="tests/test_diffusion_view.py"
NEW[diffusion_view]="tests/test_formulas.py -k ddpm_step|ddim_eta1_single|alpha_bar"

for module in "$@"; do
  [ -n "${NEW[$module]:-}" ] || { echo "unknown module: $module" >&2; exit 2; }
  name=$module
  if [ -n "${BEFORE:-}" ]; then
    tests=${OLD[$module]}; name=$module-before
  else
    tests=${NEW[$module]}
  fi
  files=${tests%% -k *}; select=""
  [ "$files" != "$tests" ] && select=${tests#* -k }
  dir=$WORK/$name
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
     | tar cf - --null --ignore-failed-read -T - 2>/dev/null) | tar xf - -C "$dir"
  [ -f "$dir/tests/conftest.py" ] || { echo "copy of the tree incomplete: $dir" >&2; exit 1; }
  cp "$ROOT/scripts/mutmut_config.py" "$dir/mutmut_config.py"
  kflag=""
  [ -n "$select" ] && kflag="-k '${select//|/ or }'"
  runner="python3 -m pytest -x -q -p no:cacheprovider -m 'not slow' $files $kflag"
  echo "== $name: mutating genmodels/$module.py; runner: $runner"
  cd "$dir"
  start=$(date +%s)
  nice -n 19 "$VENV/bin/mutmut" run --paths-to-mutate "genmodels/$module.py" --tests-dir tests \
    --runner "$runner" --test-time-base 120 --no-progress --simple-output > mutmut.log 2>&1 || true
  {
    echo "module genmodels/$module.py; tests: $runner; $(( $(date +%s) - start )) s"
    "$VENV/bin/mutmut" results || true
    for id in $("$VENV/bin/mutmut" result-ids survived 2>/dev/null); do
      echo "---- survivor $id"; "$VENV/bin/mutmut" show "$id"
    done
  } > results.txt 2>&1
  tail -n 3 mutmut.log
  grep -E "^(Survived|Killed|Timeout|Suspicious|Skipped)|^module" results.txt || true
  cd "$ROOT"
done
