"""The trainers' browser app (`ssrsim serve`): map, live charts, levers, shocks, comparison.

Needs the `app` extra (`pip install -e '.[app]'`). Modules:

- `server`: `serve()` and the `ssrsim serve` arguments; starts Solara's server;
- `page`: the Solara page (layout, map and chart panels, play loop);
- `controls`: run buttons, scenario and policy pickers, shock buttons, lever sliders;
- `session`: one tab's scenario, runs, levers and shocks (plain Python);
- `levers`, `shocks`: levers and shock events derived from the scenario schema;
- `map`, `charts`: fast matplotlib drawing of the grid and the time series;
- `config`: how the server passes the scenario to the page;
- `assets`: fills Solara's CDN cache from npm for offline use.

See docs/app.md.
"""
