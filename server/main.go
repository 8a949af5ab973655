package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/carminedb/carmine/server/node"
)

func main() {
	cfg, err := node.ParseArgs(os.Args[1:], os.ReadFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "carmine: %v\n", err)
		os.Exit(1)
	}
	cfg.ManageMemory = true // the process is the server's alone
	log := hclog.New(&hclog.LoggerOptions{Name: "server", Level: node.LogLevel(cfg.LogLevel)})
	if err := serve(cfg, log); err != nil {
		log.Error("exiting", "error", err)
		os.Exit(1)
	}
}

// serve runs the server until SIGINT or SIGTERM (a clean exit, as for SHUTDOWN) or a failure.
func serve(cfg node.Config, log hclog.Logger) error {
	srv, err := node.New(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("starting", "version", node.Version, "redis-version", node.RedisVersion, "pid", os.Getpid())
	err = srv.Run(ctx)
	if errors.Is(err, context.Canceled) || node.IsShutdown(err) {
		log.Info("received a stop request, exiting")
		return nil
	}
	return err
}
