"""Live charts read the DataCollector table and draw one line per run."""

from __future__ import annotations

import numpy as np

from ssrsim.app.charts import PANELS, ChartFigure, series
from ssrsim.app.shocks import make_shock
from ssrsim.model.model import SSRModel


def test_series_is_the_datacollector_column(make_scenario):
    model = SSRModel(make_scenario())
    for _ in range(3):
        model.step()
    table = model.datacollector.get_model_vars_dataframe()
    for column, _, _ in PANELS:
        assert np.allclose(series(model, column), table[column].to_numpy())


def test_chart_figure_draws_lines_events_and_grows(make_scenario):
    models = [SSRModel(make_scenario()), SSRModel(make_scenario({"cmo": {"coordination": 1}}))]
    figure = ChartFigure(["a", "b"], horizon=12)
    first = figure.rgb(models)
    for m in models:
        m.step()
        m.inject_event(make_shock("coup", m.steps))
        m.step()
    second = figure.rgb(models)
    assert not np.array_equal(first, second)
    assert len(figure._events) == 1  # the same shock in both runs: one mark
    line = figure.lines["trust"][1]
    assert len(line.get_xdata()) == 3
    for m in models:
        for _ in range(14):
            m.step()
    figure.rgb(models)
    assert figure.axes["trust"].get_xlim()[1] >= 16  # the x range grew past the horizon
