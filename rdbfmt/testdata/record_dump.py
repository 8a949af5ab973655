#!/usr/bin/env python3
"""Records DUMP payloads of string values from a real redis-server, as test vectors for dump_test.go.

Usage: redis-server --port 16399 --save '' & python3 record_dump.py 16399 > dump_redis.txt

Each line is: name, the value, the payload in hex. A value is hex:<bytes in hex> or
repeat:<unit in hex>:<count> (the unit repeated count times), to keep large values small here.
"""
import random
import socket
import sys


def command(sock, f, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    line = f.readline()
    if line[:1] == b"$":
        return f.read(int(line[1:]) + 2)[:-2]
    if line[:1] in (b"+", b":"):
        return line
    raise SystemExit("unexpected reply %r" % line)


rng = random.Random(7)
vectors = [
    ("int 0", "hex:" + b"0".hex()),
    ("int 1", "hex:" + b"1".hex()),
    ("int -1", "hex:" + b"-1".hex()),
    ("int 127", "hex:" + b"127".hex()),
    ("int 128", "hex:" + b"128".hex()),
    ("int -128", "hex:" + b"-128".hex()),
    ("int -129", "hex:" + b"-129".hex()),
    ("int 32767", "hex:" + b"32767".hex()),
    ("int 32768", "hex:" + b"32768".hex()),
    ("int -32769", "hex:" + b"-32769".hex()),
    ("int 2147483647", "hex:" + b"2147483647".hex()),
    ("int -2147483648", "hex:" + b"-2147483648".hex()),
    ("int 2147483648", "hex:" + b"2147483648".hex()),
    ("int 12345678901", "hex:" + b"12345678901".hex()),
    ("int max", "hex:" + b"9223372036854775807".hex()),
    ("leading zero", "hex:" + b"012".hex()),
    ("minus zero", "hex:" + b"-0".hex()),
    ("plus sign", "hex:" + b"+1".hex()),
    ("space", "hex:" + b" 1".hex()),
    ("empty", "hex:"),
    ("hello", "hex:" + b"hello".hex()),
    ("binary", "hex:" + bytes(range(256)).hex()),
    ("20 a", "repeat:61:20"),
    ("21 a", "repeat:61:21"),
    ("100 x", "repeat:78:100"),
    ("63 random", "hex:" + rng.randbytes(63).hex()),
    ("64 random", "hex:" + rng.randbytes(64).hex()),
    ("16384 random", "hex:" + rng.randbytes(16384).hex()),
    ("text", "repeat:" + b"the quick brown fox jumps over the lazy dog. ".hex() + ":40"),
    ("1MB abc", "repeat:" + b"abc".hex() + ":349526"),
    ("1MB zero", "repeat:00:1048576"),
]


def value(spec):
    kind, _, rest = spec.partition(":")
    if kind == "hex":
        return bytes.fromhex(rest)
    unit, count = rest.split(":")
    return bytes.fromhex(unit) * int(count)


sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = sock.makefile("rb")
for name, spec in vectors:
    command(sock, f, b"SET", b"k", value(spec))
    payload = command(sock, f, b"DUMP", b"k")
    print("%s\t%s\t%s" % (name, spec, payload.hex()))
