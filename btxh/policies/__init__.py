"""Built-in policy plugins (pluggy hookimpls), like Datasette's ``default_*`` modules.

``national`` is always registered, last; ``example_hn75`` is an illustrative province
policy that is only used when registered explicitly.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("btxh")

DEFAULT_PLUGINS = ("btxh.policies.national",)
