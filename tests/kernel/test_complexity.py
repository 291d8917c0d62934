"""Functions stay readable in one sitting (#31): none of the kernel or the built-in addons is of
radon grade C or worse (cyclomatic complexity over 10). Split a function that grows past it into
named pieces rather than raising this bar."""
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

REPO = Path(__file__).resolve().parents[2]


def blocks_of(path):
    for block in cc_visit(path.read_text()):
        yield block
        yield from getattr(block, "methods", ())  # a class's methods, graded one by one


def test_no_function_is_graded_c_or_worse():
    too_complex = sorted(
        f"{path.relative_to(REPO)}:{block.lineno} {block.name} {cc_rank(block.complexity)} "
        f"({block.complexity})"
        for folder in ("core", "addons")
        for path in sorted((REPO / folder).rglob("*.py"))
        for block in blocks_of(path)
        if cc_rank(block.complexity) not in ("A", "B"))
    assert not too_complex, "split these into named pieces:\n" + "\n".join(too_complex)
