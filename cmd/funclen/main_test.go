package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindLongFunctions(t *testing.T) {
	dir := t.TempDir()
	body := func(n int) string { return strings.Repeat("\t_ = 0\n", n) }
	write := func(name, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 80 lines in all (func line + 78 + brace) passes; 81 does not.
	write("a.go", "package a\n\nfunc ok() {\n"+body(78)+"}\n\ntype T struct{}\n\nfunc (*T) long() {\n"+body(79)+"}\n")
	write("a_test.go", "package a\n\nfunc longTest() {\n"+body(200)+"}\n")
	write("node_modules/x/x.go", "package x\n\nfunc long() {\n"+body(200)+"}\n")
	write("testdata/y.go", "package y\n\nfunc long() {\n"+body(200)+"}\n")

	got, err := Find(dir, 80)
	if err != nil {
		t.Fatalf("Find: got error %v, want nil", err)
	}
	if len(got) != 1 || got[0].Name != "T.long" || got[0].Lines != 81 || filepath.Base(got[0].Pos.Filename) != "a.go" {
		t.Fatalf("Find: got %v, want only a.go's T.long at 81 lines", got)
	}
}
