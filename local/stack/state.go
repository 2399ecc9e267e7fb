package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errStateInUse is returned when another stack (make dev, or sls invoke local's own stack)
// already runs on a state folder: a local Cognito owns its state file, and two of them on one
// file would overwrite each other's changes.
var errStateInUse = errors.New("state folder in use")

// lockState takes the state folder for this process (creating it), or fails with
// errStateInUse. The lock is an flock on <stateDir>/lock, released by the returned function or
// when the process exits, however it exits.
func lockState(stateDir string) (unlock func(), err error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	path := filepath.Join(stateDir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		holder := ""
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
			holder = " by process " + strings.TrimSpace(string(data))
		}
		return nil, fmt.Errorf("%w: %s is used%s (a running make dev?)", errStateInUse, stateDir, holder)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = os.Remove(runningFile(stateDir))
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// readRunning returns what the stack holding stateDir recorded, when one holds it.
func readRunning(stateDir string) (runningRecord, bool) {
	unlock, err := lockState(stateDir)
	if err == nil { // nobody holds it: whatever running.json says is stale
		unlock()
		return runningRecord{}, false
	}
	data, err := os.ReadFile(runningFile(stateDir))
	if err != nil {
		return runningRecord{}, false
	}
	var r runningRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return runningRecord{}, false
	}
	return r, true
}

func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
