// Command probe asks URL every 100 ms for a while and prints how it went.
// TestHostileLoad builds it without the race detector and runs it as a
// process of its own, so the latency it measures is the server's, not that
// of a test process slowed by the race detector and its own load.
//
//	probe URL DURATION   → {"probes":N,"failed":N,"worst_ms":N}
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: probe URL DURATION")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	var worst time.Duration
	probes, failed := 0, 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		start := time.Now()
		res, err := c.Get(os.Args[1])
		lat := time.Since(start)
		probes++
		if err != nil || res.StatusCode != http.StatusOK {
			failed++
		}
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		worst = max(worst, lat)
		time.Sleep(100*time.Millisecond - min(lat, 100*time.Millisecond))
	}
	json.NewEncoder(os.Stdout).Encode(map[string]int64{"probes": int64(probes), "failed": int64(failed), "worst_ms": worst.Milliseconds()})
}
