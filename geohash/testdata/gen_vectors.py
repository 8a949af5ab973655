#!/usr/bin/env python3
"""Regenerates redis_vectors.txt from a real redis-server (see README.md).

usage: redis-server --port 6399 --save '' &  python3 gen_vectors.py 6399 > redis_vectors.txt
"""
import random, socket, sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 6399
sock = socket.create_connection(("127.0.0.1", port))
f = sock.makefile("rb")

def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return read()

def read():
    line = f.readline()[:-2]
    t, rest = line[:1], line[1:]
    if t in (b"+", b"-"):
        return rest.decode()
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [read() for _ in range(n)]
    raise ValueError(line)

rng = random.Random(20261124)
LATMAX = 85.05112878

def fmt(x):
    return repr(float(x))

points = [
    (0, 0), (180, LATMAX), (-180, -LATMAX), (180, -LATMAX), (-180, LATMAX), (179.9999999, 85.05), (-0.0000001, -0.0000001),
    (13.361389, 38.115556), (15.087269, 37.502669), (2.3522219, 48.856614), (-122.4194155, 37.7749295),
    (139.6917, 35.6895), (-73.935242, 40.730610), (151.2093, -33.8688), (-58.3816, -34.6037), (1e-9, -1e-9),
    (179.999999999, 0), (-179.999999999, 0), (0, 85.0511287), (0, -85.0511287), (90, 45), (-90, -45),
]
for _ in range(150):
    points.append((rng.uniform(-180, 180), rng.uniform(-LATMAX, LATMAX)))
for _ in range(30):  # near the poles and the antimeridian
    points.append((rng.choice([-1, 1]) * rng.uniform(179, 180), rng.choice([-1, 1]) * rng.uniform(80, LATMAX)))

print("# GEOADD k lon lat m; ZSCORE k m; GEOHASH k m; GEOPOS k m (redis-server %s)" % cmd("INFO", "server").split("redis_version:")[1].split("\r\n")[0])
print("# point lon lat score geohash poslon poslat")
for i, (lon, lat) in enumerate(points):
    cmd("DEL", "k")
    r = cmd("GEOADD", "k", fmt(lon), fmt(lat), "m")
    assert r == 1, r
    score = cmd("ZSCORE", "k", "m")
    gh = cmd("GEOHASH", "k", "m")[0]
    pos = cmd("GEOPOS", "k", "m")[0]
    print("point", fmt(lon), fmt(lat), score, gh, pos[0], pos[1])

print("# ZADD k score m; GEOHASH k m; GEOPOS k m: scores Redis never stores")
print("# score score geohash poslon poslat")
for s in ["0", "1", "-1", "0.5", "4503599627370495", "4503599627370496", "9007199254740993", "1e18",
          "9.3e18", "1e19", "1.8e19", "2e19", "-1e18", "1e30", "-1e30", "3.5e15", "-3.5e15", "123456789.75"]:
    cmd("DEL", "k")
    cmd("ZADD", "k", s, "m")
    gh = cmd("GEOHASH", "k", "m")[0]
    pos = cmd("GEOPOS", "k", "m")[0]
    print("score", s, gh, pos[0], pos[1])

print("# GEOADD k lon1 lat1 a lon2 lat2 b; GEODIST k a b unit")
print("# dist lon1 lat1 lon2 lat2 unit distance")
pairs = [((13.361389, 38.115556), (15.087269, 37.502669)), ((0, 0), (0, 0)), ((0, 10), (0, -10)),
         ((179.9, 1), (-179.9, -1)), ((0, LATMAX), (180, LATMAX)), ((-180, 0), (180, 0)), ((0, 0), (180, 0))]
for _ in range(120):
    a = (rng.uniform(-180, 180), rng.uniform(-LATMAX, LATMAX))
    if rng.random() < 0.5:
        b = (a[0] + rng.uniform(-0.01, 0.01), max(-LATMAX, min(LATMAX, a[1] + rng.uniform(-0.01, 0.01))))
        b = (max(-180, min(180, b[0])), b[1])
    else:
        b = (rng.uniform(-180, 180), rng.uniform(-LATMAX, LATMAX))
    pairs.append((a, b))
units = ["m", "km", "ft", "mi"]
for i, (a, b) in enumerate(pairs):
    cmd("DEL", "k")
    cmd("GEOADD", "k", fmt(a[0]), fmt(a[1]), "a", fmt(b[0]), fmt(b[1]), "b")
    u = units[i % 4]
    d = cmd("GEODIST", "k", "a", "b", u)
    print("dist", fmt(a[0]), fmt(a[1]), fmt(b[0]), fmt(b[1]), u, d)
cmd("DEL", "k")

print("# GEOADD s lon lat name ... (the members); GEOSEARCH s FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit ASC WITHDIST")
print("# member name lon lat")
print("# radius lon lat r unit name:dist ... | box lon lat w h unit name:dist ...")
cmd("DEL", "s")
def centre():
    lon, lat = rng.uniform(-180, 180), rng.uniform(-LATMAX, LATMAX)
    k = rng.randrange(4)
    if k == 0:
        lat = (1 if lat > 0 else -1) * rng.uniform(75, LATMAX)
    elif k == 1:
        lon = (1 if lon > 0 else -1) * rng.uniform(170, 180)
    return lon, lat
for i in range(600):
    lon, lat = centre()
    name = "m%d" % i
    cmd("GEOADD", "s", fmt(lon), fmt(lat), name)
    print("member", name, fmt(lon), fmt(lat))
for i in range(300):
    lon, lat = centre()
    unit = units[rng.randrange(4)]
    conv = {"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}[unit]
    size = 10 ** rng.uniform(4, 7) / conv
    if i % 2 == 0:
        r = cmd("GEOSEARCH", "s", "FROMLONLAT", fmt(lon), fmt(lat), "BYRADIUS", fmt(size), unit, "ASC", "WITHDIST")
        head = ["radius", fmt(lon), fmt(lat), fmt(size), unit]
    else:
        h = size * rng.uniform(0.2, 2)
        r = cmd("GEOSEARCH", "s", "FROMLONLAT", fmt(lon), fmt(lat), "BYBOX", fmt(size), fmt(h), unit, "ASC", "WITHDIST")
        head = ["box", fmt(lon), fmt(lat), fmt(size), fmt(h), unit]
    assert isinstance(r, list), r
    print(" ".join(head + ["%s:%s" % (m, d) for m, d in r]))
cmd("DEL", "s")
