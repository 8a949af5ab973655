package node

import (
	"strings"
	"syscall"
)

// ShutdownOnSignal stops the server as Redis does on SIGINT (sigint set) or SIGTERM, with the flags of
// shutdown-on-sigint or shutdown-on-sigterm: by default it saves when there are save points; "save" saves
// anyway, "nosave" never; "force" stops even when the save fails, which otherwise keeps the server running
// (logged, as Redis logs it). "now" changes nothing: there are no replicas to wait for. The save runs on the
// caller's goroutine, holding every key still.
func (s *Server) ShutdownOnSignal(sig syscall.Signal) {
	cfg := s.config()
	name, flags := "SIGTERM", cfg.ShutdownOnSigterm
	if sig == syscall.SIGINT {
		name, flags = "SIGINT", cfg.ShutdownOnSigint
	}
	has := func(f string) bool { return strings.Contains(" "+flags+" ", " "+f+" ") }
	s.log.Info("received signal, scheduling shutdown", "signal", name)
	tx := s.ks.BeginAll(0)
	err := s.saveForShutdown(&tx, has("save"), has("nosave"), has("force"))
	tx.End()
	if err != nil {
		s.log.Error("errors trying to shut down the server, check the logs for more information", "error", err)
		return
	}
	s.Shutdown()
}
