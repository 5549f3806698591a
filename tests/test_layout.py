"""The layout's rules, checked on the source: the core imports only NumPy,
the array-module switch and itself; fast code is imported by no core file;
no class is longer than about 200 lines; every fast twin names its plain
function."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "seqgan_np"
# The standard library's plain tools; nothing of threads, processes, ctypes or the OS.
CORE_MAY_IMPORT = {"numpy", "collections", "dataclasses", "errno", "functools", "math", "numbers",
                   "pathlib", "pickle", "types", "typing"}


def imports(path):
    """(module, level) of every import in a file: level 0 absolute, 1 '.', 2 '..'."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_only_numpy_the_backend_and_itself(path):
    for module, level in imports(path):
        if level == 0:
            assert module.split(".")[0] in CORE_MAY_IMPORT, f"{path.name} imports {module}"
        elif level == 2:
            assert module == "backend", f"{path.name} imports ..{module}"
        else:
            assert level == 1, f"{path.name}: import of level {level}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_class_is_longer_than_about_200_lines(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno - node.lineno < 210, f"{path.name}: {node.name}"


def test_only_fast_code_uses_threads_and_blas():
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name != "fast":
            text = path.read_text()
            for word in ("ThreadPoolExecutor", "ctypes", "blas_single_threaded", "for_each_chunk"):
                assert word not in text, (path, word)


@pytest.mark.parametrize("path", sorted((PACKAGE / "fast").glob("*.py")), ids=lambda p: p.name)
def test_every_fast_module_says_what_it_twins(path):
    if path.name in ("__init__.py", "threads.py"):
        return
    assert "twin" in ast.get_docstring(ast.parse(path.read_text())).lower()
