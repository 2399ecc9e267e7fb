package bench

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
)

// Functions lists the service's functions as the Makefile finds them: every folder of
// root/functions with a main.go, in name order.
func Functions(root string) ([]string, error) {
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		return nil, fmt.Errorf("no functions/*/main.go under %s", root)
	}
	names := make([]string, len(mains))
	for i, m := range mains {
		names[i] = filepath.Base(filepath.Dir(m))
	}
	return names, nil
}

// SizeRow is item 4 for one function: its arm64 bootstrap and deployment zip, in bytes.
type SizeRow struct {
	Function  string
	Bootstrap int64
	Zip       int64
}

// Sizes stats build/<fn>/bootstrap and build/<fn>.zip, which `make build` writes for
// linux/arm64 (what is deployed).
func Sizes(root string, functions []string) ([]SizeRow, error) {
	var rows []SizeRow
	for _, fn := range functions {
		row := SizeRow{Function: fn}
		for path, dst := range map[string]*int64{
			filepath.Join(root, "build", fn, "bootstrap"): &row.Bootstrap,
			filepath.Join(root, "build", fn+".zip"):       &row.Zip,
		} {
			info, err := os.Stat(path)
			if err != nil {
				return nil, fmt.Errorf("%w (run make build first)", err)
			}
			*dst = info.Size()
		}
		if err := checkARM64(filepath.Join(root, "build", fn, "bootstrap")); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// checkARM64 refuses a bootstrap that is not a linux/arm64 executable: the sizes are those of
// what is deployed.
func checkARM64(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		return fmt.Errorf("%s is built for %s, not arm64 (run make build)", path, f.Machine)
	}
	return nil
}
