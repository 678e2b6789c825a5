"""Which importers the loaded plugins offer, without opening a network."""

from __future__ import annotations

from cpnetwork.errors import PluginError
from cpnetwork.importers.base import Importer
from cpnetwork.plugins import PluginHost


def registered_importers(host: PluginHost) -> dict[str, tuple[str, Importer]]:
    """Importers by kind, each with the plugin giving it; the first plugin wins a kind."""
    found: dict[str, tuple[str, Importer]] = {}
    for plugin, answer in host.call_all("register_importers"):
        for importer in answer:
            if not isinstance(importer, Importer):
                raise PluginError(plugin, "register_importers", f"{importer!r} is no Importer")
            found.setdefault(importer.kind, (plugin, importer))
    return found
