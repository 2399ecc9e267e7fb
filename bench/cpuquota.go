package bench

import (
	"fmt"
	"time"
)

// Lambda gives a function CPU in proportion to its memory: 1,769 MB is one vCPU
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
const lambdaMBPerVCPU = 1769

// cfsPeriod is the quota period make bench uses: the one in which 128 MB, Lambda's smallest
// size, gets the smallest CPU quota the kernel takes (1,000 µs), so every size's quota is
// memory/128 ms per period.
const cfsPeriod = 13820 * time.Microsecond

// groupPrefix starts the name of every cgroup make bench makes: signin-bench-<pid>-<size>.
const groupPrefix = "signin-bench-"

// MemorySizes are the Lambda memory sizes make bench runs each function at.
var MemorySizes = []int{128, 256, 512, 1024}

// cpuQuota is the CPU time per cfsPeriod Lambda gives memoryMB: memoryMB/1,769 of one core.
func cpuQuota(memoryMB int) time.Duration {
	return (cfsPeriod * time.Duration(memoryMB) / lambdaMBPerVCPU).Round(time.Microsecond)
}

// coreShare is the quota as a fraction of one core, for the report.
func coreShare(memoryMB int) string {
	return fmt.Sprintf("%.2f%%", 100*float64(cpuQuota(memoryMB))/float64(cfsPeriod))
}
