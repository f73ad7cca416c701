// Command scimd is a SCIM 2.0 server for Users and Groups with bulk CSV
// import/export. `scimd serve` runs the server; `scimd tenant|token|client`
// administer a database offline; `scimd import|export` are HTTP clients.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		var ee exitError
		if asExit(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, "scimd:", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "scimd:", err)
		return 1
	}
	return 0
}
