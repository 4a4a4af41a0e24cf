#!/usr/bin/env python3
"""Builds hppc-1c-30degC-4s.csv from the ARTS-Lab Samsung 30Q HPPC recording (CC BY-SA 4.0).

Usage: python3 make_hppc_sample.py /work/shared/data/samsung30q/DNN01_HPPC_1C_30amb.csv > hppc-1c-30degC-4s.csv

- Reference SoC: the data README's definition, 100 x (charge still to be delivered until the end of the
  file's final discharge) / (charge delivered from the full start to that end), computed on the whole file
  before cutting the excerpt.
- Excerpt: seconds START_S..END_S of the recording (time restarts at 0): from the rest after the first 5 %
  step (about 95 % SoC) through three HPPC blocks (10 s 3 A discharge pulse, rest, 0.4 A charge pulse,
  5 % discharge at 1 A, 1 h rest). The first block at 100 % SoC is left out: its charge pulse drives a
  full cell to 4.186 V, a lab condition rather than normal use.
- Change-based decimation: a row is kept when the current moves by more than 50 mA, the voltage by 2 mV
  or more, or 60 s have passed; the row just before a current step is kept too. Replay holds each value
  until the next row, so the kept rows reproduce the recording to within 2 mV.
- 4 series cells: one recorded cell; cells 2..4 carry fixed offsets of +4, -3, +6 mV (synthetic, to give a
  realistic small spread). t1 = recorded cell surface temperature (the file records no other).
"""
import csv, sys

START_S = 4000
END_S = 14400
OFFSETS_MV = [0, 4, -3, 6]

rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig")))[1:]
data = [(float(r[0]), float(r[1]), float(r[2])) for r in rows]

delivered = [0.0]  # Ah delivered (discharge positive), one row per second
for current_a, _, _ in data[1:]:
    delivered.append(delivered[-1] - current_a / 3600.0)
q_end = max(delivered)

print("# bms-trace v1")
print("# cells=4")
print("# temps=1")
print("# capacity_mAh=%d" % round(q_end * 1000))
print("# chemistry=nmc-graphite")
print("# source=ARTS-Lab Samsung 30Q dataset (CC BY-SA 4.0), DNN01_HPPC_1C_30amb s %d-%d, decimated; cells 2-4 offset %s mV; see samples/README.md" % (START_S, END_S, "/".join("%+d" % o for o in OFFSETS_MV[1:])))
print("time_ms,current_mA,v1_mV,v2_mV,v3_mV,v4_mV,t1_dC,soc_ref_pcm")

def row(i):
    current_a, volt_v, temp_c = data[i]
    mv = round(volt_v * 1000)
    soc = round(100000 * (q_end - delivered[i]) / q_end)
    return "%d,%d,%s,%d,%d" % ((i - START_S) * 1000, round(current_a * 1000), ",".join(str(mv + o) for o in OFFSETS_MV),
                                  round(temp_c * 10), soc)

last_i, last_ma, last_mv = None, None, None
for i in range(START_S, min(END_S + 1, len(data))):
    ma = round(data[i][0] * 1000)
    mv = round(data[i][1] * 1000)
    keep = last_i is None or abs(ma - last_ma) > 50 or abs(mv - last_mv) >= 2 or i - last_i >= 60 or i == END_S
    step_next = i + 1 < len(data) and abs(round(data[i + 1][0] * 1000) - ma) > 50
    if keep or step_next:
        print(row(i))
        last_i, last_ma, last_mv = i, ma, mv
