// Command yrdctl is the operator CLI over a province's yrd-gateway HTTP
// API: open and inspect accounts, mint, pay, read statements and supply,
// and tail business events. The command line is package gateway/cli; every
// call goes through package client. See docs/gateway.md and `yrdctl --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/yangtze-delta/settlement/gateway/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
