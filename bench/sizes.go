package bench

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// SizeReport is what each function ships: the stripped linux/arm64 bootstrap from
// `make build`, its zip, its modules, and how the (non-stripped) symbols split by module.
type SizeReport struct {
	Functions []FunctionSize
	// Modules lists module → symbol bytes per function (same order as Functions).
	Modules []ModuleSize
	Notes   []string
}

// FunctionSize is one function's artefacts.
type FunctionSize struct {
	Function  string
	Raw, Zip  int64 // bytes; 0 when not built
	SymTotal  int64 // sum of symbol sizes in the non-stripped build
	Deps      []string
	BuildInfo string // go version -m
}

// ModuleSize is one module's symbol bytes in each function.
type ModuleSize struct {
	Module  string
	Version string
	Bytes   []int64
}

// ZipTarget is the bound on a zipped bootstrap.
const ZipTarget = 5 << 20

func runSizes(ctx context.Context, cfg Config) (SizeReport, error) {
	var rep SizeReport
	tmp, err := os.MkdirTemp("", "orderbot-bench-size-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)
	byModule := map[string]*ModuleSize{}
	// Every function runs the same bootstrap (ORDERBOT_FUNCTION names the route): make
	// build leaves it in lambdas/build/bootstrap/ and its zip, the one asset, next to it.
	artefacts := []string{"bootstrap"}
	for i, name := range artefacts {
		fs, note := builtSize(ctx, cfg.Root, name)
		if note != "" {
			rep.Notes = append(rep.Notes, note)
		}
		versions := moduleVersions(fs.BuildInfo)
		// Symbol sizes need the symbol table, which -s strips: build the same binary
		// without -s -w for the breakdown only.
		full := filepath.Join(tmp, name)
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", full, "./cmd/bootstrap")
		cmd.Dir = filepath.Join(cfg.Root, "lambdas")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
		if out, err := cmd.CombinedOutput(); err != nil {
			return rep, fmt.Errorf("go build %s (with symbols): %v\n%s", name, err, out)
		}
		if versions == nil {
			out, _ := exec.CommandContext(ctx, "go", "version", "-m", full).Output()
			versions = moduleVersions(string(out))
		}
		for m := range versions {
			fs.Deps = append(fs.Deps, m)
		}
		sort.Strings(fs.Deps)
		sizes, total, err := symbolSizes(ctx, full, versions)
		if err != nil {
			return rep, err
		}
		fs.SymTotal = total
		for m, n := range sizes {
			ms := byModule[m]
			if ms == nil {
				ms = &ModuleSize{Module: m, Version: versions[m], Bytes: make([]int64, len(artefacts))}
				byModule[m] = ms
			}
			ms.Bytes[i] = n
		}
		rep.Functions = append(rep.Functions, fs)
		cfg.logf("size %-13s raw %9d zip %9d symbols %9d", name, fs.Raw, fs.Zip, total)
	}
	for _, ms := range byModule {
		rep.Modules = append(rep.Modules, *ms)
	}
	sort.Slice(rep.Modules, func(a, b int) bool {
		return maxOf(rep.Modules[a].Bytes) > maxOf(rep.Modules[b].Bytes)
	})
	return rep, nil
}

// builtSize is what make build left of artefact name: the binary's size and build info,
// and its zip's size; note says when it is not built.
func builtSize(ctx context.Context, root, name string) (fs FunctionSize, note string) {
	fs.Function = name
	bin := filepath.Join(root, "lambdas", "build", name, "bootstrap")
	if fi, err := os.Stat(bin); err == nil {
		fs.Raw = fi.Size()
		if out, err := exec.CommandContext(ctx, "go", "version", "-m", bin).Output(); err == nil {
			fs.BuildInfo = strings.TrimSpace(string(out))
		}
	} else {
		note = fmt.Sprintf("%s: not built (run make build first)", bin)
	}
	if fi, err := os.Stat(filepath.Join(root, "lambdas", "build", name+".zip")); err == nil {
		fs.Zip = fi.Size()
	}
	return fs, note
}

func maxOf(xs []int64) int64 {
	var m int64
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// moduleVersions reads the "mod" and "dep" lines of go version -m.
func moduleVersions(info string) map[string]string {
	if info == "" {
		return nil
	}
	m := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "mod" || f[0] == "dep") {
			v := ""
			if len(f) >= 3 {
				v = f[2]
			}
			m[f[1]] = v
		}
	}
	return m
}

// symbolSizes sums go tool nm -size by the module that defines each symbol. Symbols of
// the standard library count as "std"; linker-generated tables (pclntab, type metadata
// not tied to a package) as "(runtime tables)".
func symbolSizes(ctx context.Context, bin string, modules map[string]string) (map[string]int64, int64, error) {
	out, err := exec.CommandContext(ctx, "go", "tool", "nm", "-size", "-sort", "size", bin).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("go tool nm %s: %v", bin, err)
	}
	// nm lists zero-initialised variables too (the FIPS DRBG alone reserves 32 MB); they
	// cost memory, not bytes in the file or the zip, so drop symbols in NOBITS sections.
	ef, err := elf.Open(bin)
	if err != nil {
		return nil, 0, err
	}
	defer ef.Close()
	var nobits [][2]uint64
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NOBITS {
			nobits = append(nobits, [2]uint64{s.Addr, s.Addr + s.Size})
		}
	}
	sizes := map[string]int64{}
	var total int64
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || n == 0 {
			continue
		}
		addr, _ := strconv.ParseUint(f[0], 16, 64)
		if inRanges(addr, nobits) {
			continue
		}
		name := strings.Join(f[3:], " ")
		sizes[moduleOf(symbolPackage(name), modules)] += n
		total += n
	}
	return sizes, total, nil
}

func inRanges(addr uint64, ranges [][2]uint64) bool {
	for _, r := range ranges {
		if addr >= r[0] && addr < r[1] {
			return true
		}
	}
	return false
}

// symbolPackage extracts the import path from a symbol name such as
// "github.com/aws/smithy-go/middleware.(*Stack).HandleMiddleware" or
// "type:*github.com/slack-go/slack.Msg".
func symbolPackage(name string) string {
	if strings.HasPrefix(name, "go:") && !strings.HasPrefix(name, "go:itab.") {
		return "" // linker-generated: func data, string data, build info
	}
	for _, p := range []string{"type:", "go:itab.", "go:info.", "go:cuinfo.", "go:string.", "go:"} {
		name = strings.TrimPrefix(name, p)
	}
	name = strings.TrimLeft(name, "*")
	if i := strings.IndexAny(name, "[,"); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot < 0 {
		return name
	}
	return name[:slash+1+dot]
}

func moduleOf(pkg string, modules map[string]string) string {
	best := ""
	for m := range modules {
		if (pkg == m || strings.HasPrefix(pkg, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	if best != "" {
		return best
	}
	first, _, _ := strings.Cut(pkg, "/")
	if pkg != "" && !strings.Contains(first, ".") {
		return "std"
	}
	return "(runtime tables)"
}
