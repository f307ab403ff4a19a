//go:build !unix

package execplugin

// runEcho serves BenchmarkFloor, which runs on Unix only.
func runEcho() {}
