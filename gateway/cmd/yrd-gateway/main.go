// Command yrd-gateway serves the YRD settlement HTTP API for one province:
// it loads the configuration (-config or YRD_GATEWAY_CONFIG), connects to
// the province's peer, serves until SIGINT or SIGTERM, then drains in-flight
// requests and asynchronous writes before exiting.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/metrics"
	"github.com/yangtze-delta/settlement/gateway/server"
)

func main() {
	path := flag.String("config", "", "configuration file (default $"+config.EnvPath+")")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(*path, log); err != nil {
		log.Error("yrd-gateway stopped", "err", err)
		os.Exit(1)
	}
}

func run(path string, log *slog.Logger) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	log = log.With("mspId", cfg.MSPID)
	m := metrics.New()
	fab, err := ledger.Dial(cfg, m, log)
	if err != nil {
		return err
	}
	defer fab.Close()

	srv := server.New(server.Options{
		Ledger:       fab,
		Clients:      cfg.Clients,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Selection:    cfg.Selection,
		Network:      server.NetworkInfo{MSPID: cfg.MSPID, Channel: cfg.Channel, Chaincode: cfg.Chaincode, Peer: cfg.Peer.Endpoint},
		Metrics:      m,
		Logger:       log,
	})
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS != nil {
		tc, err := serverTLS(cfg.TLS)
		if err != nil {
			return err
		}
		hs.TLSConfig = tc
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		log.Info("serving", "listen", ln.Addr().String(), "peer", cfg.Peer.Endpoint, "tls", cfg.TLS != nil)
		if cfg.TLS != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "grace", cfg.ShutdownGrace.D().String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace.D())
	defer cancel()
	srv.BeginShutdown()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown incomplete", "err", err)
	}
	if err := srv.Drain(sctx); err != nil {
		log.Warn("asynchronous writes still running at shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func serverTLS(c *config.ServerTLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls.certFile/keyFile: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.clientCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.clientCAFile %s: no PEM certificates", c.ClientCAFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}
