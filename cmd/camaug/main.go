// Command camaug is the CaMau-G Citizen Voice service and its operator
// commands.
//
//	camaug [serve]                      serve the API (the default)
//	camaug export reference FILE.json   write all reference data to FILE ("-": standard output)
//	camaug import reference FILE.json   validate FILE and replace all reference data with it
//	camaug migrate --from sqlite:DIR --to mongodb://HOST/DB   copy the embedded store into MongoDB
//	camaug backup --out FILE.tar.gz     back up the embedded store (database and photos)
//	camaug restore --from FILE.tar.gz --data-dir DIR   restore such a backup
//
// Configuration comes from the environment (see README.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "camaug:", err)
		os.Exit(1)
	}
}
