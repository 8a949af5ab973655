// Package tools holds Carmine's developer commands, each a main package of its own:
//
//   - tools/bench: Carmine's throughput against a real redis-server on the same machine, as ratios.
//   - tools/cmdmeta: regenerates the command table (server/internal/cmdspec) from a running redis-server.
//   - tools/rdbdump: prints an RDB file as JSON lines and validates it, like redis-check-rdb.
package tools
