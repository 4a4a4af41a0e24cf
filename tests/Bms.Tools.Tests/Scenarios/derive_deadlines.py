#!/usr/bin/env python3
"""Derives the noise-robust protection deadlines of the simulated scenarios from their recorded data.

For each threshold: the first time the recorded value stays at or beyond (threshold + 2 units of noise margin)
for the protection's set delay plus one sample. The expectation files' by_s values are these plus about 1 s.
Run after regenerating the traces (`bms-replay simulate NAME -o NAME.csv --seed 1`) and update the
.expect.json files if the figures moved.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(name):
    lines = [l for l in open(os.path.join(HERE, name)) if not l.startswith('#')]
    header = lines[0].strip().split(',')
    return header, [l.strip().split(',') for l in lines[1:]]


def held(name, value, threshold, hold_s):
    header, data = rows(name)
    since = None
    for r in data:
        t = int(r[0]) / 1000
        if value(header, r) >= threshold:
            since = t if since is None else since
            if t - since >= hold_s:
                return since
        else:
            since = None
    return None


def cells(h, r): return [int(r[i]) for i, c in enumerate(h) if c.startswith('v') and c.endswith('_mV')]
def temps(h, r): return [int(r[i]) for i, c in enumerate(h) if c.startswith('t') and c.endswith('_dC')]
def max_cell(h, r): return max(cells(h, r))
def spread(h, r): v = cells(h, r); return max(v) - min(v)
def max_temp(h, r): return max(temps(h, r))


# (trace, what, quantity, threshold + margin, set delay + one sample)
CHECKS = [
    ('overvoltage-charger-fault.csv', 'CellOverVoltage warning (4200 mV, 1 s)', max_cell, 4202, 2),
    ('overvoltage-charger-fault.csv', 'CellOverVoltage alarm (4225 mV, 0.5 s)', max_cell, 4227, 1),
    ('overvoltage-charger-fault.csv', 'CellOverVoltage fault (4250 mV, 0.3 s)', max_cell, 4252, 1),
    ('cell-imbalance.csv', 'CellImbalance warning (150 mV, 5 s)', spread, 152, 6),
    ('cell-imbalance.csv', 'CellImbalance alarm (300 mV, 5 s)', spread, 302, 6),
    ('over-temperature.csv', 'OverTemperatureDischarge warning (70 °C, 2 s)', max_temp, 702, 3),
    ('over-temperature.csv', 'OverTemperatureDischarge alarm (73 °C, 1 s)', max_temp, 732, 2),
    ('over-temperature.csv', 'OverTemperatureDischarge fault (75 °C, 1 s)', max_temp, 752, 2),
    ('over-temperature-charge.csv', 'OverTemperatureCharge warning (45 °C, 2 s)', max_temp, 452, 3),
    ('over-temperature-charge.csv', 'OverTemperatureCharge alarm (48 °C, 1 s)', max_temp, 482, 2),
    ('over-temperature-charge.csv', 'OverTemperatureCharge fault (50 °C, 1 s)', max_temp, 502, 2),
]

if __name__ == '__main__':
    for trace, what, quantity, threshold, hold in CHECKS:
        since = held(trace, quantity, threshold, hold)
        print(f'{trace}: {what}: held from {since} s -> by_s {since + hold + 1 if since is not None else None}')
    h, data = rows('cell-imbalance.csv')
    print('cell-imbalance.csv: largest spread', max(spread(h, r) for r in data), 'mV; lowest cell', min(min(cells(h, r)) for r in data), 'mV')
