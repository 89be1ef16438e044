"""The layers the code is built in (README, "How the pieces fit"): a module imports from its own layer and the
ones below, never from above; no two packages import each other both ways, so the journeys stand side by side;
and pages outside the help centre reach its search through portal.help.service."""

import grimp
import pytest

# Top to bottom. A package here means the package and everything in it.
LAYERS = {
    "wiring": ["worker", "portal.cli", "portal.demo", "portal.templating"],
    "desks": ["portal.account", "portal.admin", "portal.agent", "portal.assistant", "portal.dev", "portal.home",
              "portal.inbound", "portal.lead", "portal.ops"],
    "case pages": ["portal.cases", "portal.labels"],
    "journeys": ["portal.bookings", "portal.complaints", "portal.help", "portal.orders", "portal.returns",
                 "portal.surveys"],
    "shared by journeys": ["portal.casework", "portal.order_lookup"],
    "base": ["portal.auth", "portal.business_hours", "portal.config", "portal.embedded_redis", "portal.extensions",
             "portal.formatting", "portal.hours", "portal.i18n", "portal.jobs", "portal.logs", "portal.mail",
             "portal.masking", "portal.metrics", "portal.models", "portal.numbers", "portal.redirects",
             "portal.semantics", "portal.settings", "portal.shop_events", "portal.storable", "portal.supervisor",
             "portal.web"],
}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("portal", "worker", cache_dir=None)


def _package(module):
    """The part of the code a module belongs to: `portal.returns.parcel` -> `portal.returns`, `worker.sla` ->
    `worker`."""
    return ".".join(module.split(".")[:2]) if module.startswith("portal.") else module.split(".")[0]


def _package_imports(graph):
    """{(importer, imported): [module-level imports]} between different packages."""
    imports = {}
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            pair = (_package(importer), _package(imported))
            # `portal` itself is create_app, which registers every blueprint: the wiring, above everything.
            if pair[0] != pair[1] and "portal" not in pair:
                imports.setdefault(pair, []).append(f"{importer} -> {imported}")
    return imports


def test_every_package_has_a_layer(graph):
    placed = [name for names in LAYERS.values() for name in names]
    packages = {_package(module) for module in graph.modules} - {"portal"}

    assert sorted(packages - set(placed)) == []
    assert len(placed) == len(set(placed))


def _route(route):
    return " -> ".join([" | ".join(sorted(route.heads)), *route.middle, " | ".join(sorted(route.tails))])


def test_no_module_imports_from_a_layer_above_its_own(graph):
    layers = [grimp.Layer(*names, independent=False) for names in LAYERS.values()]
    upward = [_route(route) for dependency in graph.find_illegal_dependencies_for_layers(layers=layers)
              for route in dependency.routes]

    assert sorted(upward) == []


def _way_back(imports, start, goal):
    """The packages from `start` to `goal` along imports, or None when there is no way."""
    came_from, frontier = {start: None}, [start]
    while frontier:
        package = frontier.pop(0)
        if package == goal:
            way = [package]
            while came_from[way[-1]] is not None:
                way.append(came_from[way[-1]])
            return way[::-1]
        for importer, imported in imports:
            if importer == package and imported not in came_from:
                came_from[imported] = package
                frontier.append(imported)
    return None


def test_no_two_packages_import_each_other_directly_or_through_others(graph):
    imports = _package_imports(graph)
    loops = [(f"{importer} -> {imported}", imports[importer, imported], _way_back(imports, imported, importer))
             for importer, imported in sorted(imports)]

    assert [loop for loop in loops if loop[2]] == []


def test_pages_outside_the_help_centre_search_through_the_help_service(graph):
    views = [module for module in graph.modules
             if module.endswith(".views") and not module.startswith("portal.help.")]
    direct = [view for view in views if graph.direct_import_exists(importer=view, imported="portal.help.search")]

    assert direct == []
