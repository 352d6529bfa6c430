"""A small mutation runner (issue 21 item 5), used instead of mutmut 2.5.1, whose pony-ORM
database died mid-run ("Attribute Mutant.line is required").

mutmut-style operator mutations are applied, one at a time, to the AST of the MATH functions of
one module (scripts/mutmut_config.MATH); the module is written back with ast.unparse into a copy
of the tree and the chosen fast tests run against it (pytest -x -m "not slow").
Exit status 0 = survived; 1 (a test failed) or the timeout = killed; any other pytest status
(internal/usage error, no tests collected) = an error, reported and left out of the score.

    OMP_NUM_THREADS=1 python3 scripts/mutate.py cyclegan "tests/test_formulas.py -k cyclegan or lsgan"
    OMP_NUM_THREADS=1 python3 scripts/mutate.py toy2d.gmm "tests/test_toy2d.py -k gmm"

MODULE is genmodels/MODULE.py, a dot for a subpackage (toy2d.gmm = genmodels/toy2d/gmm.py);
MATH names top-level functions/classes, or "Class.method" for one method.

Mutations: + <-> -, * <-> /, ** -> *, // -> /, < <-> <=, > <-> >=, == <-> !=, and <-> or,
unary minus dropped, `not` dropped, a number n -> n + 1 (0.5 -> 1.5), True <-> False.
Never mutated: docstrings and other strings, `raise` statements (message text), lines outside
the MATH functions.
"""
import ast
import copy
import os
import shlex
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from mutmut_config import MATH  # noqa: E402

SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
        ast.FloorDiv: ast.Div, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
        ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.And: ast.Or, ast.Or: ast.And}


def sites(tree, names):
    """(path, kind) of every mutable node inside the named top-level functions/classes."""
    out = []
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and ast.get_docstring(node) is not None:
            skip.update(id(n) for n in ast.walk(node.body[0]))
    targets = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names]
    for n in tree.body:                             # "Class.method": one method of a class
        if isinstance(n, ast.ClassDef):
            targets += [m for m in n.body if isinstance(m, ast.FunctionDef) and f"{n.name}.{m.name}" in names]
    for top in targets:
        for node in ast.walk(top):
            if id(node) in skip:
                continue
            if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in SWAP:
                out.append((node, "op"))
            elif isinstance(node, ast.BoolOp):
                out.append((node, "op"))
            elif isinstance(node, ast.Compare):
                out.extend((node, ("cmp", i)) for i, op in enumerate(node.ops) if type(op) in SWAP)
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
                out.append((node, "unary"))
            elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
                out.append((node, "const"))
    return out


def describe(node, kind):
    return f"line {node.lineno}: {ast.unparse(node)[:90]}"


def mutate(tree, k):
    """A deep copy of tree with site k mutated, plus the description of the mutation."""
    t = copy.deepcopy(tree)
    node, kind = sites(t, NAMES)[k]
    before = describe(node, kind)
    parent_fix = None
    if kind == "op":
        node.op = SWAP[type(node.op)]()
    elif isinstance(kind, tuple):
        node.ops[kind[1]] = SWAP[type(node.ops[kind[1]])]()
    elif kind == "unary":
        parent_fix = node.operand
    elif kind == "const":
        v = node.value
        node.value = (not v) if isinstance(v, bool) else v + 1
    if parent_fix is not None:                      # replace the UnaryOp by its operand
        for p in ast.walk(t):
            for field, val in ast.iter_fields(p):
                if val is node:
                    setattr(p, field, parent_fix)
                elif isinstance(val, list):
                    for i, x in enumerate(val):
                        if x is node:
                            val[i] = parent_fix
        after = ast.unparse(parent_fix)
    else:
        after = ast.unparse(node)
    return t, f"{before}  ->  {after[:90]}"


def run_tests(work, tests, timeout):
    cmd = ["python3", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow"] + shlex.split(tests)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    try:
        return subprocess.run(cmd, cwd=work, env=env, capture_output=True, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return "timeout"


class InProcess:
    """INPROCESS=1: one Python process for the whole run. torch, the tests and the module are imported
    once; each mutant's source is exec'd into the module's own namespace (so every call through the
    module, from the tests or from the module itself, runs the mutant), pytest.main runs the tests, and
    the namespace is restored from a snapshot. ~1 s a mutant instead of ~10-20 s (the cost of starting
    Python, torch and pytest). A caller that imported a function by name (`from m import f`) keeps the
    original unless rebound (``_rebind`` does it for genmodels.* and the tests); rerun survivors
    without INPROCESS to confirm them. The per-mutant timeout is pytest-timeout's (a hanging test fails = killed)."""

    def __init__(self, work, module, tests, timeout):
        import importlib
        os.chdir(work)
        sys.path.insert(0, work)
        name = "genmodels." + module.removesuffix(".__init__")
        self.mod = importlib.import_module(name)
        self.snapshot = dict(self.mod.__dict__)
        self.args = (["-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", f"--timeout={int(timeout)}"]
                     + shlex.split(tests))

    def run(self, source=None):
        import contextlib
        import io
        import pytest
        patched = []
        try:
            if source is not None:
                exec(compile(source, self.mod.__file__, "exec"), self.mod.__dict__)
                patched = self._rebind()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                rc = int(pytest.main(list(self.args)))
        except Exception:                          # the mutant does not even run its module body
            rc = 1
        finally:
            for m, attr, val in patched:
                setattr(m, attr, val)
            self.mod.__dict__.clear()
            self.mod.__dict__.update(self.snapshot)
        return rc

    def _rebind(self):
        """As a fresh import would: every other loaded module of ours (genmodels.*, the tests) that
        holds one of this module's functions/classes by name (`from .ddpm import DDIMScheduler`) gets
        the new one, so an `is`/isinstance check elsewhere does not fail a correct mutant. Returns
        what to put back."""
        own = {id(v): k for k, v in self.snapshot.items()
               if getattr(v, "__module__", None) == self.mod.__name__ and (callable(v) or isinstance(v, type))}
        patched = []
        for name, m in list(sys.modules.items()):
            if m is None or m is self.mod or not (name.startswith("genmodels") or name.startswith("test_")
                                                  or name == "conftest"):
                continue
            for attr, val in list(vars(m).items()):
                k = own.get(id(val))
                if k is not None and k in self.mod.__dict__:
                    patched.append((m, attr, val))
                    setattr(m, attr, self.mod.__dict__[k])
        return patched


if __name__ == "__main__":
    module, tests = sys.argv[1], sys.argv[2]
    timeout = float(os.environ.get("MUTANT_TIMEOUT", 120))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = os.environ.get("MUTATION_WORK", "/tmp/genmodels-mutate") + f"/{module}-{os.getpid()}"   # one dir per run: runs never share
    rel = f"genmodels/{module.replace('.', '/')}.py"      # toy2d.gmm -> genmodels/toy2d/gmm.py
    NAMES = MATH[rel]
    shutil.rmtree(work, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for f in files:
        if f and os.path.isfile(os.path.join(root, f)) and not f.startswith("checkpoints/"):
            os.makedirs(os.path.dirname(os.path.join(work, f)) or work, exist_ok=True)
            shutil.copy2(os.path.join(root, f), os.path.join(work, f))
    if os.path.isdir(os.path.join(root, "checkpoints")):
        os.symlink(os.path.join(root, "checkpoints"), os.path.join(work, "checkpoints"), target_is_directory=True) \
            if not os.path.exists(os.path.join(work, "checkpoints")) else None
    source = open(os.path.join(root, rel)).read()
    tree = ast.parse(source)
    n = len(sites(tree, NAMES))
    start = time.time()
    inproc = InProcess(work, module, tests, timeout) if os.environ.get("INPROCESS") else None
    rc = inproc.run() if inproc else run_tests(work, tests, timeout)
    print(f"== {rel}: {n} mutants{' (INPROCESS)' if inproc else ''}; tests: {tests}; "
          f"unmutated run rc={rc} ({time.time() - start:.0f} s)", flush=True)
    if rc != 0:
        sys.exit("the unmutated tree fails its tests; no score")
    if inproc and inproc.run(ast.unparse(tree)) != 0:   # the unmutated source exec'd the same way must pass too
        sys.exit("the unmutated module, exec'd in process, fails its tests: run this module with INPROCESS= (off)")
    killed, survivors, errors = 0, [], []
    only = os.environ.get("MUTANTS")                # e.g. MUTANTS=3,7 to rerun some
    ids = [int(i) for i in only.split(",")] if only else range(n)
    for k in ids:
        t, desc = mutate(tree, k)
        if inproc:
            rc = inproc.run(ast.unparse(t))
        else:
            open(os.path.join(work, rel), "w").write(ast.unparse(t))
            rc = run_tests(work, tests, timeout)
        if rc not in (0, 1, "timeout"):            # pytest 2..5: interrupted / internal / usage / no tests
            errors.append((k, desc))
            print(f"  #{k:3d} ERROR (rc={rc}, not counted) {desc}", flush=True)
            continue
        ok = rc != 0
        killed += ok
        if not ok:
            survivors.append((k, desc))
        print(f"  #{k:3d} {'killed' if ok else 'SURVIVED'} (rc={rc}) {desc}", flush=True)
    open(os.path.join(work, rel), "w").write(source)
    counted = len(ids) - len(errors)
    print(f"== {rel}: {killed}/{counted} killed ({100 * killed / max(1, counted):.0f}%) in {time.time() - start:.0f} s"
          + (f"; {len(errors)} not counted (pytest error: rerun them with MUTANTS=...)" if errors else ""))
    for k, desc in survivors:
        print(f"   survivor #{k}: {desc}")
