// Command server runs Carmine, a Redis-compatible in-memory data server.
//
// It takes redis-server's arguments: an optional redis.conf-style configuration file first, then options as
// "--name value...", later settings winning:
//
//	go run ./server
//	go run ./server ./carmine.conf --port 7000
//
// The server itself is the package github.com/carminedb/carmine/server/node, which Go programs and tests can
// start in-process; this command only reads the arguments, sets up logging and handles signals.
package main
