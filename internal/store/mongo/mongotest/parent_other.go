//go:build !linux

package mongotest

import "os/exec"

// dieWithParent: elsewhere the server ends when its standard input closes.
func dieWithParent(cmd *exec.Cmd) {}
