package vtl

import (
	"errors"
	"fmt"

	"github.com/orderbot/orderbot/local/vtl/parse"
)

// Error is a parse or render error located in the template source.
type Error struct {
	Name      string
	Line, Col int
	Msg       string
	Err       error // wrapped cause, e.g. ErrLimit
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Template is a compiled template, safe for concurrent Render calls.
type Template struct {
	name   string
	src    string
	tree   *parse.Tree
	root   []node
	names  []string // variable slot names
	limits Limits
	// well-known slots, -1 when the template never mentions them
	slotInput, slotUtil, slotContext, slotStage         int
	slotForeach, slotVelocityCount, slotVelocityHasNext int
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

// Tree returns the template's syntax tree. It must not be modified; its
// String method prints the template as VTL.
func (t *Template) Tree() *parse.Tree { return t.tree }

// Parse compiles a template; errors carry line and column: "name:LINE:COL: message".
func Parse(name, src string) (*Template, error) {
	return ParseWithLimits(name, src, DefaultLimits)
}

// ParseWithLimits is Parse with explicit limits (nesting depth applies to
// parsing; the rest become the template's render limits).
func ParseWithLimits(name, src string, lim Limits) (*Template, error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxTemplate {
		return nil, &Error{Name: name, Line: 1, Col: 1, Msg: fmt.Sprintf("template larger than %d bytes", lim.MaxTemplate), Err: ErrLimit}
	}
	tree, err := parse.Parse(name, src, lim.MaxDepth)
	if err != nil {
		var pe *parse.Error
		if !errors.As(err, &pe) {
			return nil, err
		}
		e := &Error{Name: pe.Name, Line: pe.Line, Col: pe.Col, Msg: pe.Msg}
		if errors.Is(pe, parse.ErrTooDeep) {
			e.Err = ErrLimit
		}
		return nil, e
	}
	t := &Template{name: name, src: src, tree: tree, limits: lim}
	compile(t, tree)
	return t, nil
}
