#!/usr/bin/env python3
"""Regenerates libm_vectors.txt: sin, cos, asin and Redis's distance formula as the C library computes them.

Python's math module calls the platform C library, the same libm (glibc) redis-server links, so these are the
values Redis's geohashGetDistance computes. usage: python3 gen_libm.py > libm_vectors.txt
"""
import math, random, platform

r = random.Random(20261124)
R = 6372797.560856
D_R = math.pi / 180.0

def dist(lon1, lat1, lon2, lat2):
    lon1r = lon1 * D_R
    lon2r = lon2 * D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return R * abs(lat2 * D_R - lat1 * D_R)
    lat1r = lat1 * D_R
    lat2r = lat2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * R * math.asin(math.sqrt(a))

print("# %s %s; values in hex floats" % (platform.libc_ver()[0], platform.libc_ver()[1]))
print("# trig x sin(x) cos(x) y asin(y)")
for i in range(2000):
    x = r.uniform(-3.2, 3.2)
    y = r.uniform(0, 1) if i % 4 else 1 - r.uniform(0, 1e-6)
    print("trig", x.hex(), math.sin(x).hex(), math.cos(x).hex(), y.hex(), math.asin(y).hex())
print("# dist lon1 lat1 lon2 lat2 distance")
for i in range(2000):
    a = (r.uniform(-180, 180), r.uniform(-85.05, 85.05))
    if i % 2:
        b = (r.uniform(-180, 180), r.uniform(-85.05, 85.05))
    else:
        b = (a[0] + r.uniform(-1, 1), a[1] + r.uniform(-1, 1))
    print("dist", a[0].hex(), a[1].hex(), b[0].hex(), b[1].hex(), dist(a[0], a[1], b[0], b[1]).hex())
