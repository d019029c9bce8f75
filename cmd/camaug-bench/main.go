// Command camaug-bench measures the service on the machine it runs on: the
// ceilings (durable single-row SQLite commits, an empty Fiber handler under
// the same HTTP client), then every hot path of the API against a store
// filled with N generated reports, from C concurrent clients. It prints a
// table and, with -json, the same figures as JSON. With MONGODB_URI set it
// runs on MongoDB instead of the embedded SQLite store.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "camaug-bench:", err)
		}
		os.Exit(1)
	}
}

// options are the command line's.
type options struct {
	N          int
	Clients    int
	Duration   string
	DataDir    string
	JSON       string
	Only       string
	CPUProfile string
	Keep       bool
	// PublicCache is the public list cache's TTL, as CAMAUG_PUBLIC_CACHE_TTL.
	PublicCache time.Duration
}

// report is the whole run, as -json writes it.
type report struct {
	Machine struct {
		CPUs    int    `json:"cpus"`
		OS      string `json:"os"`
		Arch    string `json:"arch"`
		Go      string `json:"go"`
		CPUName string `json:"cpu_name,omitempty"`
	} `json:"machine"`
	Store          string  `json:"store"`
	Reports        int     `json:"reports"`
	Clients        int     `json:"clients"`
	Duration       string  `json:"duration_per_scenario"`
	FillSeconds    float64 `json:"fill_seconds"`
	FillPerSecond  float64 `json:"fill_reports_per_second"`
	BytesPerReport float64 `json:"bytes_per_report,omitempty"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	// SurveyResponses is how many SIPAS responses the indicator reads
	// aggregate (0 when the survey scenarios did not run).
	SurveyResponses int      `json:"survey_responses,omitempty"`
	Filters         filters  `json:"filters"`
	Results         []result `json:"results"`
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("camaug-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.N, "n", 1_000_000, "reports to fill the store with")
	fs.IntVar(&o.Clients, "clients", 32, "concurrent clients")
	fs.StringVar(&o.Duration, "duration", "5s", "how long each scenario runs")
	fs.StringVar(&o.DataDir, "data-dir", "", "folder for the database (default: a new temporary folder, removed at the end)")
	fs.StringVar(&o.JSON, "json", "", `also write the figures as JSON to this file ("-": standard output)`)
	fs.StringVar(&o.Only, "only", "", "run only the scenarios whose name contains this, or one of its |-separated parts (ceilings always run)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the scenarios to this file")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary database folder")
	fs.DurationVar(&o.PublicCache, "public-cache", time.Second, "how long public feed answers are kept (CAMAUG_PUBLIC_CACHE_TTL; 0 for none); the uncached scenarios bypass it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.N < 100 || o.Clients < 1 {
		return fmt.Errorf("-n must be at least 100 and -clients at least 1")
	}
	rep, err := bench(ctx, o, getenv, stderr)
	if err != nil {
		return err
	}
	rep.Machine.CPUs, rep.Machine.OS, rep.Machine.Arch, rep.Machine.Go = runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version()
	rep.Machine.CPUName = cpuName()
	printTable(stdout, rep)
	if o.JSON != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		b = append(b, '\n')
		if o.JSON == "-" {
			_, err = stdout.Write(b)
			return err
		}
		return os.WriteFile(o.JSON, b, 0o644)
	}
	return nil
}
