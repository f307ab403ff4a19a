//go:build !unix

package serve

func closeOnExec(int) {}
