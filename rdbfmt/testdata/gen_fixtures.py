#!/usr/bin/env python3
"""Makes the RDB fixtures of rdbfmt with a real redis-server (7.0), and what Redis says they hold.

Usage: python3 testdata/gen_fixtures.py [redis-server]   (run from rdbfmt/; writes testdata/<case>.rdb and .json)

For each case below it starts its own redis-server (127.0.0.1, a free port, a temporary dir, the case's config),
runs the case's commands, SAVEs, copies dump.rdb to testdata/<case>.rdb, then asks the server for every key's
type, OBJECT ENCODING, PEXPIRETIME, LRU idle time or LFU frequency and contents, and writes them to
testdata/<case>.json. Strings in the JSON are the bytes read as Latin-1 (so every byte is one character).
"""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SERVER = sys.argv[1] if len(sys.argv) > 1 else "redis-server"
HERE = os.path.dirname(os.path.abspath(__file__))


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")

    def __call__(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)


def s(b):
    """bytes -> JSON string, one character per byte."""
    return b.decode("latin-1")


def free_port():
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def pad(prefix, i, n):
    x = ("%s-%04d-" % (prefix, i)).encode()
    return x + b"x" * (n - len(x))


rng = random.Random(20261124)


def types_case(c):
    """Every type in the encodings the default config chooses, small and large, in three databases."""
    c("SET", "str:int8", "12")
    c("SET", "str:int16", "-1234")
    c("SET", "str:int32", "2147483647")
    c("SET", "str:bigint", "12345678901")
    c("SET", "str:raw", "hello world")
    c("SET", "str:empty", "")
    c("SET", "str:lzf", "abc" * 100)
    c("SET", "str:binary", bytes(range(256)))
    c("SET", "str:random", rng.randbytes(3000))
    c("SET", "str:expire", "soon")
    c("PEXPIREAT", "str:expire", 4102444800123)  # 2100-01-01
    c("RPUSH", "list:small", "a", "b", "12", "-5", "100000", "c" * 70)
    c("RPUSH", "list:big", *[pad("elem", i, 100) for i in range(500)])
    c("RPUSH", "list:ints", *[str(i * 7919 - 100000) for i in range(300)])
    c("SADD", "set:intset", "1", "-2", "300", "70000", "-5000000000")
    c("SADD", "set:intset512", *[str(i * 3) for i in range(512)])
    c("SADD", "set:ints513", *[str(i) for i in range(513)])
    c("SADD", "set:strings", "apple", "banana", "cherry")
    c("SADD", "set:big", *[pad("member", i, 30) for i in range(300)])
    c("HSET", "hash:small", "name", "carmine", "n", "42", "neg", "-7", "empty", "")
    c("HSET", "hash:big", *[x for i in range(200) for x in (pad("f", i, 10), pad("v", i, 20))])
    c("HSET", "hash:huge", *[x for i in range(600) for x in (pad("f", i, 10), pad("v", i, 20))])
    c("HSET", "hash:longval", "f", "v" * 65, "g", "1")
    c("ZADD", "zset:small", "1", "one", "2.5", "two.5", "-3", "minus3", "inf", "top", "-inf", "bottom", "0", "zero")
    c("ZADD", "zset:big", *[x for i in range(200) for x in (str(i * 0.25 - 10), pad("m", i, 15))])
    c("ZADD", "zset:longmember", "1.0000000000000002", "m" * 65, "1e300", "x")
    c("ZADD", "zset:skip-inf", *[x for i in range(130) for x in (str(i), "m%d" % i)], "inf", "top", "-inf", "bot")
    for i in range(1, 11):
        c("XADD", "stream:s", "1700000000000-%d" % i, "name", "n%d" % i, "value", str(i * 10))
    c("XADD", "stream:s", "1700000000001-0", "other", "fields", "count", "3", "x", "y")
    c("XDEL", "stream:s", "1700000000000-3", "1700000000000-4")
    c("XGROUP", "CREATE", "stream:s", "g1", "0")
    c("XGROUP", "CREATE", "stream:s", "g2", "$")
    c("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "stream:s", ">")
    c("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "stream:s", ">")
    c("XACK", "stream:s", "g1", "1700000000000-2")
    c("XGROUP", "CREATECONSUMER", "stream:s", "g1", "carol")
    for i in range(300):
        c("XADD", "stream:big", "*", "field", pad("value", i, 40), "n", str(i))
    c("XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM")
    c("XADD", "stream:trimmed", "5-1", "a", "1")
    c("XADD", "stream:trimmed", "5-2", "a", "2")
    c("XDEL", "stream:trimmed", "5-1", "5-2")
    c("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)")
    c("SELECT", 1)
    c("SET", "db1:key", "in db 1")
    c("RPUSH", "db1:list", "x")
    c("PEXPIREAT", "db1:list", 4102444800000)
    c("SELECT", 5)
    c("HSET", "db5:hash", "a", "b")


def listpack_big_case(c):
    """Listpacks and intsets with entries of every size: 2- and 3-byte back lengths, 12- and 32-bit string
    lengths, every integer width."""
    ints = ["0", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "-32768", "32768", "8388607",
            "-8388608", "8388608", "2147483647", "-2147483648", "2147483648", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "007", "-0", "+1", "1.5"]
    c("HSET", "hash:sizes", *[x for i, v in enumerate(ints) for x in ("f%d" % i, v)],
      "s63", "a" * 63, "s64", "b" * 64, "s200", "c" * 200, "s4095", "d" * 4095, "s4096", "e" * 4096,
      "s20000", rng.randbytes(20000))
    c("ZADD", "zset:sizes", "1.5", "a" * 5000, "-0.125", "b" * 100, "3", "c", "1e-10", "d", "123456789012", "e")
    c("SADD", "set:intset64", "1", "9223372036854775807", "-9223372036854775808")
    c("SADD", "set:intset32", "1", "2147483647", "-70000")
    c("RPUSH", "list:sizes", *ints, "x" * 5000, "y" * 20000)


def plain_case(c):
    """Quicklist plain nodes (an element above the packed threshold) and compressed nodes (list-compress-depth)."""
    c("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000")
    c("RPUSH", "list:plain", "small", "p" * 2000, "tiny", rng.randbytes(5000))
    c("RPUSH", "list:compressed", *[pad("c", i, 200) for i in range(400)])


def lru_case(c):
    """LRU idle times, saved with an LRU maxmemory-policy."""
    c("SET", "a", "1")
    c("RPUSH", "b", "x")


def lfu_case(c):
    """LFU frequencies, saved with an LFU maxmemory-policy."""
    c("SET", "a", "1")
    c("SET", "b", "2")
    for _ in range(50):
        c("GET", "b")


def small_case(c):
    c("SET", "k", "v" * 100)
    c("HSET", "h", "f", "v")


CASES = [
    ("types", [], types_case),
    ("listpack_big", ["--hash-max-listpack-entries", "1000", "--hash-max-listpack-value", "100000",
                      "--zset-max-listpack-entries", "1000", "--zset-max-listpack-value", "100000",
                      "--list-max-listpack-size", "-5"], listpack_big_case),
    ("quicklist_plain", ["--list-compress-depth", "1", "--enable-debug-command", "yes"], plain_case),
    ("lru", ["--maxmemory-policy", "allkeys-lru"], lru_case),
    ("lfu", ["--maxmemory-policy", "allkeys-lfu"], lfu_case),
    ("nocompress", ["--rdbcompression", "no"], small_case),
    ("nochecksum", ["--rdbchecksum", "no"], small_case),
]


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2]))


def describe(c, key, policy):
    d = {"key": s(key)}
    if policy == "lru":  # first: the reads below touch the key
        d["idle"] = c("OBJECT", "IDLETIME", key)
    if policy == "lfu":
        d["freq"] = c("OBJECT", "FREQ", key)
    t = c("TYPE", key).decode()
    d.update(type=t, encoding=c("OBJECT", "ENCODING", key).decode(), expire_ms=c("PEXPIRETIME", key))
    if t == "string":
        d["value"] = s(c("GET", key))
    elif t == "list":
        d["value"] = [s(x) for x in c("LRANGE", key, 0, -1)]
    elif t == "set":
        d["value"] = sorted(s(x) for x in c("SMEMBERS", key))
    elif t == "hash":
        d["value"] = {s(k): s(v) for k, v in pairs(c("HGETALL", key)).items()}
    elif t == "zset":
        flat = c("ZRANGE", key, 0, -1, "WITHSCORES")
        d["value"] = [[s(m), sc.decode()] for m, sc in zip(flat[::2], flat[1::2])]
    elif t == "stream":
        info = pairs(c("XINFO", "STREAM", key, "FULL", "COUNT", 0))
        d["value"] = {
            "length": info[b"length"],
            "last_id": info[b"last-generated-id"].decode(),
            "max_deleted_id": info[b"max-deleted-entry-id"].decode(),
            "entries_added": info[b"entries-added"],
            "first_id": info[b"recorded-first-entry-id"].decode(),
            "entries": [[e[0].decode(), [s(x) for x in e[1]]] for e in info[b"entries"]],
            "groups": [],
        }
        for g in info[b"groups"]:
            g = pairs(g)
            d["value"]["groups"].append({
                "name": s(g[b"name"]),
                "last_id": g[b"last-delivered-id"].decode(),
                "entries_read": -1 if g[b"entries-read"] is None else g[b"entries-read"],
                "pel": [[p[0].decode(), s(p[1]), p[2], p[3]] for p in g[b"pending"]],
                "consumers": [{"name": s(cp[b"name"]), "seen_ms": cp[b"seen-time"],
                               "pel": [p[0].decode() for p in cp[b"pending"]]}
                              for cp in (pairs(x) for x in g[b"consumers"])],
            })
    return d


def run_case(name, config, fill):
    tmp = tempfile.mkdtemp(prefix="rdbfixture-")
    port = free_port()
    proc = subprocess.Popen([SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"] + config,
                            stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = Conn(port)
                c("PING")
                break
            except OSError:
                time.sleep(0.05)
        fill(c)
        c("SELECT", 0)
        c("SAVE")
        shutil.copy(os.path.join(tmp, "dump.rdb"), os.path.join(HERE, name + ".rdb"))
        policy = dict(zip(config[::2], config[1::2])).get("--maxmemory-policy", "")[-3:]
        info = dict(line.split(":", 1) for line in c("INFO", "server").decode().split("\r\n") if ":" in line)
        out = {"redis_ver": info["redis_version"], "dbs": {}, "functions": []}
        for db in range(16):
            c("SELECT", db)
            keys = sorted(c("KEYS", "*"))
            if keys:
                out["dbs"][str(db)] = [describe(c, k, policy) for k in keys]
        for lib in c("FUNCTION", "LIST", "WITHCODE"):
            out["functions"].append(s(pairs(lib)[b"library_code"]))
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp)


for name, config, fill in CASES:
    run_case(name, config, fill)
    print("wrote", name)
