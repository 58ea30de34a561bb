"""Synthetic daily weather for multivariate forecasting (the keras-io weather model, small).

    python specs/data/make_weather.py            # writes specs/data/weather.csv

The keras-io example forecasts temperature from several measured series (the Jena
climate record: 7 features in, 1 out). That record is 40 MB and cannot be downloaded
offline, so the bundled spec `weather_lstm` trains on 500 simulated days with the same
kind of structure, written here:

* pressure (hPa): weather systems pass by, an AR(1) process around 1013 hPa;
* humidity (%): a yearly cycle plus slow day-to-day changes, 15..100;
* wind_speed (m/s): stronger when pressure is low (storms), never negative;
* temperature (degC): a yearly cycle, a part of yesterday's deviation from it, and
  what the other series did *before*: high pressure yesterday brings clear, warm
  days, humid air two days ago cools, wind yesterday cools a little.

So a model that reads the other columns can foresee most of tomorrow's change, while
the naive forecast (tomorrow = today) cannot: a multivariate forecaster must beat it
clearly. The function is seeded and deterministic: the shipped file is exactly what
`make_weather()` returns (tests/test_seq_forecast_multi.py checks it).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

DAYS = 500
START = "2023-01-01"
COLUMNS = ["date", "temperature", "pressure", "humidity", "wind_speed"]


def make_weather(days: int = DAYS, seed: int = 7) -> list[list]:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    year = 2 * np.pi * t / 365.25
    season = 9.0 - 8.0 * np.cos(year - 0.35)  # coldest mid January, warmest mid July
    pressure = np.empty(days)
    humidity = np.empty(days)
    p, h = 0.0, 0.0
    for i in range(days):
        p = 0.8 * p + rng.normal(0, 5.0)  # deviation from 1013 hPa
        h = 0.6 * h + rng.normal(0, 7.0)
        pressure[i] = 1013.0 + p
        humidity[i] = np.clip(72 + 10 * np.cos(year[i]) + h, 15, 100)
    wind = np.clip(4.0 - 0.25 * (pressure - 1013.0) + rng.gamma(2.0, 1.0, days), 0, None)
    temperature = np.empty(days)
    dev = 0.0
    for i in range(days):
        lag1 = i - 1 if i else 0
        lag2 = i - 2 if i > 1 else 0
        dev = (0.5 * dev + 0.3 * (pressure[lag1] - 1013.0) - 0.08 * (humidity[lag2] - 72.0)
               - 0.2 * (wind[lag1] - 5.0) + rng.normal(0, 0.8))
        temperature[i] = season[i] + dev
    dates = np.datetime64(START, "D") + t
    return [[str(d), f"{a:.2f}", f"{b:.1f}", f"{c:.1f}", f"{w:.2f}"]
            for d, a, b, c, w in zip(dates, temperature, pressure, humidity, wind)]


def csv_text(rows) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


if __name__ == "__main__":
    path = Path(__file__).with_name("weather.csv")
    path.write_text(csv_text(make_weather()), encoding="utf-8")
    print(f"wrote {path} ({DAYS} days)")
