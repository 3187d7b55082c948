"""The architecture, checked from the source: module size, private names, import contracts.

No database: these read the files under the project root (and run `lint-imports`).
- No Python module outside migrations and tests is longer than MAX_MODULE_LINES.
- No module of a Tandem app imports another app's private (underscore) names, neither
  `from accounts.access import _helper` nor `access._helper` on an imported module
  (nor a private module such as `accounts._internal`). An app is a top-level package;
  `core` counts as one, and `mentoring.config` and `mentoring.engagements` are one app.
- The import contracts in `.importlinter` hold (`lint-imports` exits 0).
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "accounts", "trust", "messaging", "mentoring", "dashboard")
MAX_MODULE_LINES = 600
# folders that hold no project module of ours (or that these rules leave out)
NOT_SOURCE = {
    ".git",
    ".venv",
    "node_modules",
    "staticfiles",
    "var",
    "__pycache__",
    "migrations",
    "tests",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".import_linter_cache",
    "test-results",
}


def project_modules() -> list[Path]:
    found = []
    stack = [ROOT]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                if entry.name not in NOT_SOURCE and not entry.is_symlink():
                    stack.append(entry)
            elif entry.suffix == ".py":
                found.append(entry)
    return sorted(found)


def app_modules() -> list[Path]:
    return [path for path in project_modules() if path.relative_to(ROOT).parts[0] in APPS]


def dotted_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_part(dotted: str) -> str | None:
    """The first private component of a module path below its top package, if any."""
    return next((part for part in dotted.split(".")[1:] if is_private(part)), None)


def attribute_chain(node: ast.Attribute) -> tuple[str, list[str]] | None:
    """`a.b.c` as ("a", ["b", "c"]); None when the chain does not start at a plain name."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, attributes[::-1]


def private_uses(path: Path) -> list[str]:
    """Where the module at `path` reaches into another app's private names."""
    importer = dotted_name(path)
    own_app = importer.split(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = f"{path.relative_to(ROOT)}"
    found = []
    # local name -> the dotted path it stands for, for names bound to other apps' modules
    bound: dict[str, str] = {}

    def foreign(module: str) -> bool:
        top = module.split(".")[0]
        return top in APPS and top != own_app

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not foreign(alias.name):
                    continue
                if private := private_part(alias.name):
                    found.append(f"{where}:{node.lineno}: import {alias.name} (private module {private})")
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    bound[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not foreign(node.module):
                continue
            if private := private_part(node.module):
                found.append(f"{where}:{node.lineno}: from {node.module} import … (private module {private})")
            for alias in node.names:
                if is_private(alias.name):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    # only whole chains: `a.b._c` once, not again as its inner `a.b`
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        chain = attribute_chain(node)
        if chain is None or chain[0] not in bound:
            continue
        name, attributes = chain
        dotted = bound[name]
        # follow the chain while it names modules; the first attribute past a module is the
        # module's own name (a class's attributes, such as Model._meta, are not checked)
        for attribute in attributes:
            if not is_module(dotted):
                break
            if is_private(attribute):
                found.append(f"{where}:{node.lineno}: {name}.{'.'.join(attributes)} ({dotted}.{attribute})")
                break
            dotted = f"{dotted}.{attribute}"
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_no_module_outside_migrations_and_tests_is_longer_than_the_limit():
    offenders = []
    for path in project_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            offenders.append((lines, str(path.relative_to(ROOT))))
    offenders.sort(reverse=True)
    listing = "\n".join(f"  {lines:5d}  {name}" for lines, name in offenders)
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines (split them by what they hold):\n{listing}"


def test_no_app_imports_another_apps_private_names():
    found = []
    for path in app_modules():
        found.extend(private_uses(path))
    assert not found, (
        "private (underscore) names used across apps; make them public in their own app "
        "or move the code there:\n" + "\n".join(f"  {line}" for line in found)
    )


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    command = str(lint_imports) if lint_imports.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed (import-linter is in requirements-dev.in)"
    # --no-cache: the test leaves no .import_linter_cache behind and never trusts a stale one
    result = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"lint-imports exited {result.returncode}:\n{result.stdout}{result.stderr}"
