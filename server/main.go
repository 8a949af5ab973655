package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
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
	if cfg.Daemonize && os.Getenv(daemonEnv) == "" {
		if err := daemonize(cfg); err != nil {
			fmt.Fprintf(os.Stderr, "carmine: %v\n", err)
			os.Exit(1)
		}
		return
	}
	cfg.ManageMemory = true // the process is the server's alone
	out, err := logOutput(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "carmine: %v\n", err)
		os.Exit(1)
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "server", Level: node.LogLevel(cfg.LogLevel), Output: out})
	defer cpuProfile(log)()
	defer allocProfile(log)
	if err := serve(cfg, log); err != nil {
		log.Error("exiting", "error", err)
		os.Exit(1)
	}
}

// cpuProfile writes a CPU profile of the whole run to the file named by CARMINE_CPUPROFILE, if set, for
// `go tool pprof` (a developer's tool: profile the server under redis-benchmark or tools/bench). The returned
// function stops it; os.Exit skips it, so only a clean exit writes the profile.
func cpuProfile(log hclog.Logger) func() {
	path := os.Getenv("CARMINE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		log.Error("cannot write the CPU profile", "path", path, "error", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// allocProfile writes the profile of the memory allocated over the whole run to the file named by
// CARMINE_ALLOCPROFILE, if set, at a clean exit (`go tool pprof -sample_index=alloc_space`): what makes work for
// the garbage collector.
func allocProfile(log hclog.Logger) {
	path := os.Getenv("CARMINE_ALLOCPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		log.Error("cannot write the allocation profile", "path", path, "error", err)
	}
}

// serve runs the server until SHUTDOWN, SIGINT or SIGTERM (a clean exit; see shutdown-on-sigint and
// shutdown-on-sigterm) or a failure.
func serve(cfg node.Config, log hclog.Logger) error {
	srv, err := node.New(cfg, log)
	if err != nil {
		return err
	}
	{ // Signals: each one asks the server to shut down, which may refuse (a failed save) and run on.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		done := make(chan struct{})
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			for {
				select {
				case sig := <-sigs:
					srv.ShutdownOnSignal(sig.(syscall.Signal))
				case <-done:
					return
				}
			}
		}()
		defer func() { signal.Stop(sigs); close(done); <-stopped }()
	}
	log.Info("starting", "version", node.Version, "redis-version", node.RedisVersion, "pid", os.Getpid())
	defer writePidFile(cfg, log)()
	if err := srv.Listen(); err != nil {
		return err
	}
	notifyReady(cfg, log)
	defer notifyStopping(cfg, log)
	err = srv.Run(context.Background())
	if errors.Is(err, context.Canceled) || node.IsShutdown(err) {
		log.Info("received a stop request, exiting")
		return nil
	}
	return err
}
