// Command funclen fails when a non-test Go function is longer than a limit: the house
// rule is that no function outgrows what a reader can hold at once (60 lines, from the
// func line to its closing brace). `make lint` runs it over the whole tree, both modules.
//
//	go run ./cmd/funclen [-max 60] [dir ...]
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Long is one function over the limit.
type Long struct {
	Pos   token.Position
	Name  string
	Lines int
}

func (l Long) String() string {
	return fmt.Sprintf("%s:%d: %s is %d lines", l.Pos.Filename, l.Pos.Line, l.Name, l.Lines)
}

func main() {
	limit := flag.Int("max", 60, "longest allowed function, in lines")
	flag.Parse()
	dirs := flag.Args()
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	var all []Long
	for _, d := range dirs {
		found, err := Find(d, *limit)
		if err != nil {
			fmt.Fprintln(os.Stderr, "funclen:", err)
			os.Exit(2)
		}
		all = append(all, found...)
	}
	for _, l := range all {
		fmt.Println(l)
	}
	if len(all) > 0 {
		fmt.Fprintf(os.Stderr, "funclen: %d functions over %d lines: split them\n", len(all), *limit)
		os.Exit(1)
	}
}

// Find lists the non-test functions under root longer than limit lines, skipping
// node_modules, testdata, vendor and hidden directories.
func Find(root string, limit int) ([]Long, error) {
	fset := token.NewFileSet()
	var out []Long
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "node_modules" || name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
			if n := end.Line - start.Line + 1; n > limit {
				out = append(out, Long{Pos: start, Name: funcName(fd), Lines: n})
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Lines > out[j].Lines })
	return out, err
}

// funcName is "Recv.Name" for a method, "Name" for a function.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if ix, ok := t.(*ast.IndexListExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}
