//go:build unix && !linux

package cognitolocal

import "syscall"

// sysProcAttr starts cognito-local in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
