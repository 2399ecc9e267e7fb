//go:build unix

package cognitolocal

import "syscall"

// signalGroup signals the process group of pid: cognito-local is started in its own group so
// that nothing it might spawn outlives it.
func signalGroup(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}
