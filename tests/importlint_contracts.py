"""Import-linter contract types of our own (loaded by ``tests/lint_imports.py``)."""

from __future__ import annotations

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules


def _is_private(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


class PublicApiContract(Contract):
    """``importers`` import only public modules of ``provider``.

    A module is private when any part of its dotted name starts with one
    underscore (``dronepatrol.mavlink._codec``): that is the core telling its
    users "not for you". Imports inside the importer's own package are free.
    """

    type_name = "public_api"

    importers = fields.SetField(subfield=fields.ModuleExpressionField())
    provider = fields.StringField()

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        violations: list[dict[str, object]] = []
        for importer_package in module_expressions_to_modules(graph, self.importers):
            package = importer_package.name
            members = {package, *graph.find_descendants(package)}
            for importer in sorted(members):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if imported in members or not imported.startswith(self.provider + "."):
                        continue
                    if _is_private(imported):
                        details = graph.get_import_details(importer=importer, imported=imported)
                        violations.append(
                            {
                                "importer": importer,
                                "imported": imported,
                                "lines": sorted(d["line_number"] for d in details),
                            }
                        )
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            lines = ", ".join(str(n) for n in violation["lines"])
            output.print_error(
                f"{violation['importer']} imports private module {violation['imported']} "
                f"(l.{lines}): use the public API of {self.provider}"
            )
            output.new_line()
