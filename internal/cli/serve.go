package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
)

func runServe(ctx context.Context, env Env, args []string) error {
	var cfg config.Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.Register(fs)
	if err := parse(env, fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(env.Stderr, cfg.LogLevel, cfg.LogFormat)
	d := daemon.New(cfg, log)
	if err := d.Start(ctx); err != nil {
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	case err := <-d.Done():
		runErr = err
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := d.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return runErr
}
