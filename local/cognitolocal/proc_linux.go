package cognitolocal

import "syscall"

// sysProcAttr starts cognito-local in its own process group, and has the kernel stop it if this
// process dies without a chance to (kill -9), so no orphan keeps the port.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
